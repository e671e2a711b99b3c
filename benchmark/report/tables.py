"""Markdown tables for the site (included by the pages at build time).

Every function takes evaluation records and returns Markdown text: a pipe table followed by a
one-line italic note that says what the numbers are. Numbers are rounded to three decimals; a
score that is not defined (NaN) is shown as an em dash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.metrics.coco_ap import CocoAP
from benchmark.metrics.evaluator import ErrorRecord
from benchmark.metrics.scores import ScoreRecord
from benchmark.metrics.uncertainty import IntervalRecord, PermutationResult
from benchmark.plots.style import class_label

DASH = "—"


def number(value: float | None, digits: int = 3) -> str:
    """A score rounded to ``digits`` decimals, or an em dash when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:.{digits}f}"


def with_interval(estimate: float, low: float, high: float, digits: int = 3) -> str:
    """``0.912 (0.887–0.934)``; the bracket is left out when the interval is undefined."""
    text = number(estimate, digits)
    if math.isnan(low) or math.isnan(high):
        return text
    return f"{text} ({low:.{digits}f}–{high:.{digits}f})"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], note: str = "") -> str:
    """A Markdown pipe table (first column left-aligned, the others right-aligned) and a note."""
    align = [":---"] + ["---:"] * (len(header) - 1)
    lines = [_row(header), _row(align), *(_row(r) for r in rows)]
    text = "\n".join(lines) + "\n"
    return text + (f"\n*{note}*\n" if note else "")


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def class_order(names: Sequence[str]) -> list[str]:
    """Classes in table order: each named class, then ``all``."""
    return [n for n in names if n != "all"] + [n for n in names if n == "all"]


def subset_range(edges: np.ndarray, index: int, digits: int = 3) -> str:
    """Readable range of bin ``index``: ``< e1``, ``e1–e2`` or ``≥ e2`` (extreme bins are open)."""
    n = edges.size - 1
    lo, hi = f"{edges[index]:.{digits}g}", f"{edges[index + 1]:.{digits}g}"
    if n == 1:
        return "all"
    if index == 0:
        return f"< {hi}"
    if index == n - 1:
        return f"≥ {lo}"
    return f"{lo}–{hi}"


def subset_names(n: int) -> list[str]:
    """``low``, ``middle``, ``high`` for tertiles, else ``bin 1/n``, ...."""
    if n == 3:
        return ["low", "middle", "high"]
    return [f"bin {i + 1}/{n}" for i in range(n)]


def _score_rows(
    scores: Sequence[ScoreRecord],
    intervals: Sequence[IntervalRecord],
    keys: Sequence[tuple[str, str]],
    thresholds: Sequence[float],
) -> list[tuple[tuple[str, str], float, ScoreRecord, dict[str, IntervalRecord]]]:
    by_key = {(r.class_name, r.subset, round(r.threshold, 6)): r for r in scores}
    ci: dict[tuple[str, str, float], dict[str, IntervalRecord]] = {}
    for r in intervals:
        ci.setdefault((r.class_name, r.subset, round(r.threshold, 6)), {})[r.metric] = r
    out = []
    for key in keys:
        for t in thresholds:
            k = (*key, round(float(t), 6))
            if k in by_key:
                out.append((key, float(t), by_key[k], ci.get(k, {})))
    return out


def _score_cells(record: ScoreRecord, ci: Mapping[str, IntervalRecord]) -> list[str]:
    cells = [str(record.tp), str(record.fp), str(record.fn)]
    for metric in ("precision", "recall", "f1"):
        value = getattr(record, metric)
        r = ci.get(metric)
        cells.append(with_interval(value, r.low, r.high) if r else number(value))
    return cells


def _interval_note(intervals: Sequence[IntervalRecord], n_images: int, score: float) -> str:
    note = f"Held-out split, {n_images} images, predictions with score ≥ {score:g}."
    if intervals:
        r = intervals[0]
        note += (
            f" In brackets: {r.confidence:.0%} bootstrap interval over images "
            f"({r.n_resamples} resamples)."
        )
    return note


def metrics_table(
    scores: Sequence[ScoreRecord],
    intervals: Sequence[IntervalRecord],
    n_images: int,
    score_threshold: float,
    thresholds: Sequence[float] = (0.5, 0.75),
) -> str:
    """Precision, recall and F1 per class at the given IoU thresholds, with intervals.

    Parameters
    ----------
    scores
        Micro-aggregated score records (subset ``all`` rows are used).
    intervals
        Bootstrap intervals of the same evaluation.
    n_images, score_threshold
        For the note under the table.
    thresholds
        IoU thresholds to show.
    """
    names = class_order(list(dict.fromkeys(r.class_name for r in scores)))
    keys = [(n, "all") for n in names]
    rows = [
        [class_label(key[0]), f"{t:.2f}", *_score_cells(rec, ci)]
        for key, t, rec, ci in _score_rows(scores, intervals, keys, thresholds)
    ]
    header = ["Class", "IoU", "TP", "FP", "FN", "Precision", "Recall", "F1"]
    return markdown_table(header, rows, _interval_note(intervals, n_images, score_threshold))


def tertile_table(
    scores: Sequence[ScoreRecord],
    intervals: Sequence[IntervalRecord],
    subsets: Sequence[str],
    edges: np.ndarray,
    feature_label: str,
    n_images: int,
    score_threshold: float,
    thresholds: Sequence[float] = (0.5, 0.75),
) -> str:
    """Scores of every shape subset (class ``all``) at the given IoU thresholds.

    Parameters
    ----------
    scores, intervals
        Micro score records and bootstrap intervals including the subset rows.
    subsets
        Subset names of the evaluation, low to high.
    edges
        Bin edges of the subsets.
    feature_label
        Readable feature name with unit, e.g. ``perimeter/area (1/µm)``.
    n_images, score_threshold, thresholds
        As for :func:`metrics_table`.
    """
    names = subset_names(len(subsets))
    rows = []
    for key, t, rec, ci in _score_rows(
        scores, intervals, [("all", s) for s in subsets], thresholds
    ):
        i = subsets.index(key[1])
        cells = [names[i], subset_range(edges, i), f"{t:.2f}", *_score_cells(rec, ci)]
        rows.append(cells)
    header = ["Subset", feature_label, "IoU", "TP", "FP", "FN", "Precision", "Recall", "F1"]
    note = _interval_note(intervals, n_images, score_threshold)
    note += " Subsets: equally populated bins of the ground truth; all classes together."
    return markdown_table(header, rows, note)


def permutation_table(
    result: PermutationResult, name_a: str, name_b: str, iou_threshold: float = 0.5
) -> str:
    """The permutation test of ``F1(a) - F1(b)`` as a one-row table."""
    p = result.p_value
    p_text = DASH if math.isnan(p) else (f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}")
    rows = [
        [
            f"{name_a} vs {name_b}",
            number(result.f1_a),
            number(result.f1_b),
            number(result.difference),
            p_text,
            str(result.n_permutations),
        ]
    ]
    header = [
        "Comparison",
        f"F1 {name_a}",
        f"F1 {name_b}",
        "Difference",
        "p (two-sided)",
        "Permutations",
    ]
    note = (
        f"Permutation test of the difference in F1 at IoU {iou_threshold:.2f}, all classes: "
        "true positives, false positives and missed cells of the two subsets pooled and dealt "
        f"out again at random. The smallest possible p is 1/{result.n_permutations + 1}."
    )
    return markdown_table(header, rows, note)


def coco_ap_table(results: Mapping[str, CocoAP | None]) -> str:
    """COCO AP, AP50, AP75 and AR per class, at the high detection cap and at the stock 100.

    Parameters
    ----------
    results
        Class name -> its COCO metrics (``None`` when the class has no detections).
    """
    caps = {r.max_dets for r in results.values() if r is not None}
    cap = max(caps) if caps else 1000
    header = [
        "Class",
        "AP",
        "AP50",
        "AP75",
        "AR",
        "AP (100)",
        "AP50 (100)",
        "AP75 (100)",
        "AR (100)",
    ]
    rows = []
    for name in class_order(list(results)):
        r = results[name]
        values = (
            [r.ap, r.ap50, r.ap75, r.ar, r.ap_100, r.ap50_100, r.ap75_100, r.ar_100]
            if r is not None
            else [float("nan")] * 8
        )
        rows.append([class_label(name), *(number(v) for v in values)])
    note = (
        f"pycocotools segmentation metrics, all predictions, at most {cap} detections per image; "
        "“(100)”: COCO's stock cap of 100 detections per image."
    )
    return markdown_table(header, rows, note)


def errors_table(records: Sequence[ErrorRecord], iou_threshold: float = 0.5) -> str:
    """Dataset totals of missed cells, false alarms, splits and merges per class."""
    totals = {r.class_name: r for r in records if r.image_id == ""}
    header = [
        "Class",
        "Cells",
        "Predictions",
        "Missed",
        "False alarms",
        "Splits (fragments)",
        "Merges (cells)",
    ]
    rows = [
        [
            class_label(name),
            str(r.n_gt),
            str(r.n_pred),
            str(r.missed),
            str(r.false_alarms),
            f"{r.splits} ({r.split_fragments})",
            f"{r.merges} ({r.merged_cells})",
        ]
        for name in class_order(list(totals))
        for r in [totals[name]]
    ]
    note = (
        f"Held-out split at IoU {iou_threshold:.2f}. A split is a cell covered by two or more "
        "predictions, a merge a prediction covering two or more cells; missed cells and false "
        "alarms exclude those."
    )
    return markdown_table(header, rows, note)


@dataclass(frozen=True)
class SplitCounts:
    """Images and annotated cells of one dataset split, in total and per class name."""

    images: int
    cells: int
    per_class: Mapping[str, int]


def dataset_table(counts: Mapping[str, SplitCounts], class_names: Sequence[str]) -> str:
    """Images and annotated cells per split and class.

    Parameters
    ----------
    counts
        Split name -> its counts.
    class_names
        Classes to give a column each.
    """
    header = ["Split", "Images", "Cells", *(class_label(n) for n in class_names)]
    rows = [
        [split, str(c.images), str(c.cells), *(str(c.per_class.get(n, 0)) for n in class_names)]
        for split, c in counts.items()
    ]
    return markdown_table(header, rows, "Annotated cells; crowd regions are not counted.")
