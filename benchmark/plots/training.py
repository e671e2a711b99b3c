"""Training curves from detectron2's ``metrics.json`` (``JSONWriter``: one JSON object per line).

Each line has ``iteration`` and the values logged at it: losses (``total_loss``, ``loss_cls``,
``loss_box_reg``, ``loss_mask``, ``loss_rpn_cls``, ``loss_rpn_loc``), ``lr``, timing, and on
evaluation periods the validation scores (``macroseg/f1@0.50`` and the like). A resumed run may log
an iteration twice; the later values win.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from benchmark.plots.style import TEXT, new_figure, site_style

#: Loss keys and their legend labels, in drawing order.
LOSSES: dict[str, str] = {
    "total_loss": "total",
    "loss_cls": "classification",
    "loss_box_reg": "box regression",
    "loss_mask": "mask",
    "loss_rpn_cls": "RPN objectness",
    "loss_rpn_loc": "RPN box",
}
LOSS_COLOURS = ("#222222", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
#: Prefix of the validation scores the trainer logs.
VALIDATION_PREFIX = "macroseg/"


def read_training_metrics(path: str | Path) -> list[dict]:
    """Records of a ``metrics.json`` file, one per iteration, sorted by iteration.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file, or a line that is not a JSON object with an ``iteration``.
    """
    path = Path(path)
    merged: dict[int, dict] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not JSON ({err})") from None
        if not isinstance(record, dict) or "iteration" not in record:
            raise ValueError(f"{path}:{number}: expected a JSON object with an 'iteration'")
        merged.setdefault(int(record["iteration"]), {}).update(record)
    return [merged[k] for k in sorted(merged)]


def series(records: Sequence[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Iterations and finite values of ``key`` over the records that have it."""
    points = [
        (r["iteration"], float(r[key]))
        for r in records
        if isinstance(r.get(key), int | float) and np.isfinite(r[key])
    ]
    if not points:
        return np.zeros(0), np.zeros(0)
    x, y = np.array(points).T
    return x, y


def validation_keys(records: Sequence[dict]) -> list[str]:
    """Validation score keys, those at IoU 0.50 only when there are any."""
    keys = sorted({k for r in records for k in r if k.startswith(VALIDATION_PREFIX)})
    at_50 = [k for k in keys if k.endswith("@0.50")]
    return at_50 or keys


def plot_training_loss(records: Sequence[dict]) -> Figure:
    """Losses against iteration (log scale when they span a decade or more), beside either the
    validation scores (when logged) or the learning rate.

    Raises
    ------
    ValueError
        If no record has a loss.
    """
    losses = {k: series(records, k) for k in LOSSES}
    losses = {k: v for k, v in losses.items() if v[0].size}
    if not losses:
        raise ValueError(f"no losses ({', '.join(LOSSES)}) in the training metrics")
    with site_style():
        fig = new_figure(height=3.5)
        left, right = fig.subplots(1, 2, width_ratios=[3, 2])
        for (key, (x, y)), colour in zip(losses.items(), LOSS_COLOURS, strict=False):
            left.plot(
                x, y, color=colour, label=LOSSES[key], linewidth=2.0 if key == "total_loss" else 1.2
            )
        values = np.concatenate([y for _, y in losses.values()])
        positive = values[values > 0]
        if positive.size and positive.max() / positive.min() >= 10:
            left.set_yscale("log")
        left.set_xlabel("iteration")
        left.set_ylabel("loss")
        left.set_title("Training losses")
        handles, labels = left.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        _right_panel(right, records)
    return fig


def _right_panel(ax, records: Sequence[dict]) -> None:
    keys = validation_keys(records)
    if keys:
        for key, colour in zip(keys, LOSS_COLOURS[1:], strict=False):
            x, y = series(records, key)
            ax.plot(x, y, color=colour, marker="o", label=key.removeprefix(VALIDATION_PREFIX))
        ax.set_ylim(0.0, 1.02)
        ax.set_ylabel("score")
        ax.set_title("Validation")
        ax.legend()
    else:
        x, y = series(records, "lr")
        ax.plot(x, y, color=TEXT)
        ax.set_ylabel("learning rate")
        ax.set_title("Learning rate")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.set_xlabel("iteration")
