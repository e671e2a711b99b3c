"""Score curves: precision, recall and F1 against the IoU threshold, and precision–recall.

The functions take plain arrays (:class:`ScoreSeries`, :class:`PRSeries`) and return a
:class:`matplotlib.figure.Figure`; the report turns evaluation records into series and saves the
figures with :func:`benchmark.plots.style.save_png`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from benchmark.plots.style import MUTED, new_figure, site_style

#: Scores drawn in the three panels, in order.
PANELS = ("precision", "recall", "f1")
PANEL_TITLES = {"precision": "Precision", "recall": "Recall", "f1": "F1"}


@dataclass(frozen=True)
class ScoreSeries:
    """One line per panel: a score against the IoU threshold, with an optional band.

    Attributes
    ----------
    label
        Legend entry.
    style
        Matplotlib line keywords (``color``, ``linestyle``, ``marker``).
    thresholds
        IoU thresholds (x values).
    values
        Score name (``precision``, ``recall``, ``f1``) -> values at the thresholds.
    bands
        Score name -> ``(low, high)`` arrays; absent or NaN where there is no band.
    """

    label: str
    style: Mapping[str, object]
    thresholds: np.ndarray
    values: Mapping[str, np.ndarray]
    bands: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class PRSeries:
    """A precision–recall curve with its AP and the operating point of the score threshold."""

    label: str
    style: Mapping[str, object]
    recall: np.ndarray
    precision: np.ndarray
    ap: float
    operating_point: tuple[float, float] | None = None


def plot_scores_vs_iou(
    series: Sequence[ScoreSeries],
    band_label: str,
    legend_title: str | None = None,
    note: str | None = None,
    height: float = 3.3,
) -> Figure:
    """Three panels (precision, recall, F1) against the IoU threshold, one line per series.

    Parameters
    ----------
    series
        The lines, drawn in order.
    band_label
        Legend entry of the shaded bands (what they are, e.g. ``bootstrap 95% CI``).
    legend_title
        Title of the legend (e.g. the feature that defines the subsets).
    note
        A line of text above the panels (e.g. a test result).
    height
        Figure height in inches.
    """
    with site_style():
        fig = new_figure(height=height)
        axes = fig.subplots(1, len(PANELS), sharex=True, sharey=True)
        for ax, metric in zip(axes, PANELS, strict=True):
            for s in series:
                _draw_series(ax, s, metric)
            ax.set_title(PANEL_TITLES[metric])
            ax.set_xlabel("IoU threshold")
            ax.set_xlim(0.48, 0.97)
            ax.set_xticks(np.round(np.arange(0.5, 0.951, 0.1), 2))
        axes[0].set_ylim(0.0, 1.02)
        axes[0].set_ylabel("score")
        handles, labels = axes[0].get_legend_handles_labels()
        if any(s.bands for s in series):
            handles.append(Patch(facecolor=MUTED, alpha=0.25, edgecolor="none"))
            labels.append(band_label)
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 4) if legend_title is None else 2,
            title=legend_title,
        )
        if note:
            fig.suptitle(note, fontsize=9)
    return fig


def _draw_series(ax, s: ScoreSeries, metric: str) -> None:
    x = np.asarray(s.thresholds, dtype=float)
    if metric in s.bands:
        low, high = (np.asarray(v, dtype=float) for v in s.bands[metric])
        ax.fill_between(x, low, high, color=s.style.get("color"), alpha=0.18, linewidth=0)
    ax.plot(x, np.asarray(s.values[metric], dtype=float), label=s.label, **s.style)


def plot_precision_recall(
    curves: Sequence[PRSeries], iou_threshold: float, score_threshold: float | None = None
) -> Figure:
    """Precision against recall of a score sweep, AP in the legend, operating points marked.

    Parameters
    ----------
    curves
        One curve per class.
    iou_threshold
        IoU threshold of the matching (for the title).
    score_threshold
        Score cut-off of the tables; its point on each curve is marked when given.
    """
    with site_style():
        fig = new_figure(width=5.6, height=4.2)
        ax = fig.subplots()
        for c in curves:
            style = {k: v for k, v in c.style.items() if k != "marker"}
            ax.plot(
                np.r_[0.0, c.recall],
                np.r_[c.precision[:1], c.precision] if c.precision.size else [],
                drawstyle="steps-post",
                label=f"{c.label} (AP {c.ap:.3f})",
                **style,
            )
            if c.operating_point is not None:
                ax.plot(
                    *c.operating_point,
                    marker="o",
                    markersize=6,
                    color=c.style.get("color"),
                    markeredgecolor="white",
                    linestyle="none",
                )
        if score_threshold is not None and any(c.operating_point for c in curves):
            ax.plot(
                [],
                [],
                marker="o",
                markersize=6,
                color=MUTED,
                markeredgecolor="white",
                linestyle="none",
                label=f"score ≥ {score_threshold:g} (tables)",
            )
        ax.set_xlim(0.0, 1.02)
        ax.set_ylim(0.0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title(f"Precision–recall, score sweep at IoU {iou_threshold:.2f}")
        ax.legend(loc="lower left")
    return fig
