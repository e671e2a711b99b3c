"""Figures of the report, made from evaluations (records in, :class:`Figure` out).

Each ``*_figure`` function returns the figure and its alt text; :func:`build_report` saves them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from benchmark.metrics.evaluator import ALL, Evaluation, ImagePair
from benchmark.metrics.scores import scores_from_counts
from benchmark.metrics.uncertainty import IntervalRecord, PermutationResult, across_models
from benchmark.plots.curves import (
    PANELS,
    PRSeries,
    ScoreSeries,
    plot_precision_recall,
    plot_scores_vs_iou,
)
from benchmark.plots.overlays import (
    OverlayPanel,
    mask_layer,
    overlay_rgb,
    plot_overlays,
    plot_zoom,
    representative_images,
    zoom_window,
)
from benchmark.plots.style import SUBSET_STYLES, class_label, class_style
from benchmark.report.tables import subset_names, subset_range

#: Key of a band value: (class, subset, IoU threshold rounded, metric).
BandKey = tuple[str, str, float, str]


@dataclass(frozen=True)
class Bands:
    """Shaded bands of the score curves and what they are (the legend entry)."""

    label: str
    values: Mapping[BandKey, tuple[float, float]]

    def covers(self, groups: Sequence[tuple[str, str]]) -> bool:
        """Whether every group has a band."""
        have = {(c, s) for c, s, _, _ in self.values}
        return all(g in have for g in groups)


def _key(class_name: str, subset: str, threshold: float, metric: str) -> BandKey:
    return class_name, subset, round(float(threshold), 6), metric


def bootstrap_bands(intervals: Sequence[IntervalRecord]) -> Bands:
    """Bands from bootstrap intervals over images."""
    if not intervals:
        return Bands("bootstrap interval", {})
    r0 = intervals[0]
    label = f"bootstrap {r0.confidence:.0%} CI over images ({r0.n_resamples} resamples)"
    return Bands(
        label,
        {_key(r.class_name, r.subset, r.threshold, r.metric): (r.low, r.high) for r in intervals},
    )


def fold_bands(evaluations: Sequence[Evaluation]) -> Bands:
    """Bands mean ± 1 s.d. of the micro scores of k-fold models."""
    records = across_models([ev.scores("micro") for ev in evaluations], PANELS)
    values = {
        _key(r.class_name, r.subset, r.threshold, r.metric): (r.mean - r.sd, r.mean + r.sd)
        for r in records
    }
    return Bands(f"k-fold mean ± 1 s.d. ({len(evaluations)} models)", values)


def choose_bands(groups: Sequence[tuple[str, str]], folds: Bands | None, bootstrap: Bands) -> Bands:
    """k-fold bands when they cover every group, else the bootstrap ones."""
    return folds if folds is not None and folds.covers(groups) else bootstrap


def score_series(
    ev: Evaluation,
    group: tuple[str, str],
    label: str,
    style: Mapping[str, object],
    bands: Bands,
) -> ScoreSeries:
    """Micro precision, recall and F1 of one ``(class, subset)`` group, with its bands."""
    gi = ev.group_index(*group)
    scores = scores_from_counts(ev.counts.sum(axis=0)[gi])
    band = {}
    for metric in PANELS:
        pairs = [bands.values.get(_key(*group, t, metric)) for t in ev.thresholds]
        if all(p is not None for p in pairs):
            low, high = np.array(pairs, dtype=float).T
            band[metric] = (low, high)
    return ScoreSeries(
        label, style, np.asarray(ev.thresholds), {m: scores[m] for m in PANELS}, band
    )


def class_groups(ev: Evaluation) -> list[tuple[str, str]]:
    """``(class, "all")`` for each named class, then ``("all", "all")``."""
    names = [n for n in ev.class_ids if n != ALL] + [ALL]
    return [(n, ALL) for n in names]


def subset_groups(ev: Evaluation) -> list[tuple[str, str]]:
    """``("all", subset)`` for each shape subset, low to high."""
    return [(c, s) for c, s in ev.groups if c == ALL and s != ALL]


def classes_figure(ev: Evaluation, folds: Bands | None, bootstrap: Bands) -> tuple[Figure, str]:
    """Precision, recall and F1 against IoU per class, with bands."""
    groups = class_groups(ev)
    bands = choose_bands(groups, folds, bootstrap)
    series = [score_series(ev, g, class_label(g[0]), class_style(g[0]), bands) for g in groups]
    fig = plot_scores_vs_iou(series, f"shaded: {bands.label}")
    f1 = {s.label: float(s.values["f1"][0]) for s in series}
    alt = (
        "Three panels: precision, recall and F1 against the IoU threshold from 0.50 to 0.95, "
        f"one line per class ({', '.join(f1)}) with shaded bands ({bands.label}). "
        f"F1 at IoU 0.50: {', '.join(f'{k} {v:.2f}' for k, v in f1.items())}."
    )
    return fig, alt


def permutation_note(result: PermutationResult, iou_threshold: float = 0.5) -> str:
    """One line: the lowest vs highest subset F1, their difference and the p-value."""
    return (
        f"Permutation test, F1 at IoU {iou_threshold:.2f}, low vs high: "
        f"{result.f1_a:.3f} vs {result.f1_b:.3f}, difference {result.difference:+.3f}, "
        f"p = {result.p_value:.3g} ({result.n_permutations} permutations)"
    )


def subsets_figure(
    ev: Evaluation,
    folds: Bands | None,
    bootstrap: Bands,
    permutation: PermutationResult,
    feature_label: str,
) -> tuple[Figure, str]:
    """Precision, recall and F1 against IoU per shape subset (all classes), with the test result."""
    groups = subset_groups(ev)
    edges = np.asarray(ev.subset_edges)
    names = subset_names(len(groups))
    bands = choose_bands(groups, folds, bootstrap)
    series = [
        score_series(ev, g, f"{names[i]}: {subset_range(edges, i)}", SUBSET_STYLES[i % 5], bands)
        for i, g in enumerate(groups)
    ]
    note = permutation_note(permutation)
    fig = plot_scores_vs_iou(
        series, f"shaded: {bands.label}", legend_title=feature_label, note=note, height=3.6
    )
    alt = (
        f"Precision, recall and F1 against the IoU threshold for the {len(groups)} subsets of "
        f"{feature_label} ({'; '.join(s.label for s in series)}), shaded bands: {bands.label}. "
        f"{note}."
    )
    return fig, alt


def pr_figure(
    sweep: Evaluation, iou_threshold: float = 0.5, score_threshold: float | None = None
) -> tuple[Figure, str]:
    """Precision–recall curves of a score sweep per class, AP in the legend."""
    curves = []
    for class_name, _ in class_groups(sweep):
        pr = sweep.precision_recall(iou_threshold, class_name)
        point = None
        if score_threshold is not None and np.any(pr.scores >= score_threshold):
            i = int(np.flatnonzero(pr.scores >= score_threshold)[-1])
            point = (float(pr.recall[i]), float(pr.precision[i]))
        curves.append(
            PRSeries(
                class_label(class_name),
                class_style(class_name),
                pr.recall,
                pr.precision,
                pr.ap,
                point,
            )
        )
    fig = plot_precision_recall(curves, iou_threshold, score_threshold)
    alt = (
        f"Precision against recall as the score threshold is lowered, at IoU {iou_threshold:.2f}; "
        f"average precision: {', '.join(f'{c.label} {c.ap:.3f}' for c in curves)}."
    )
    return fig, alt


def image_f1(ev: Evaluation, iou_threshold: float = 0.5) -> dict[str, float]:
    """F1 (all classes) of each image at one IoU threshold."""
    ti = int(np.argmin(np.abs(np.asarray(ev.thresholds) - iou_threshold)))
    f1 = scores_from_counts(ev.counts[:, ev.group_index(ALL, ALL), ti])["f1"]
    return dict(zip(ev.image_ids, (float(v) for v in f1), strict=True))


def overlay_figures(
    pairs: Sequence[ImagePair],
    ev: Evaluation,
    image_paths: Mapping[str, Path],
    read_image,
    zoom_fraction: float = 0.25,
) -> list[tuple[str, Figure, str]]:
    """``overlays.png`` (best, median, worst image by F1 at IoU 0.5) and ``overlay_zoom.png``.

    Parameters
    ----------
    pairs
        Ground truth and (score-filtered) predictions of each image.
    ev
        Their evaluation.
    image_paths
        Image id -> image file.
    read_image
        Reads an image file into an array.
    zoom_fraction
        Side of the zoomed crop as a fraction of the shorter image side (at least 48 px).

    Returns
    -------
    list
        ``(file name, figure, alt text)`` for each figure (none without images).
    """
    f1 = image_f1(ev)
    picks = representative_images(f1)
    if not picks:
        return []
    by_id = {str(p.image_id): p for p in pairs}
    panels, layers = [], {}
    for role, image_id in picks:
        pair = by_id[image_id]
        truth = mask_layer(pair.gt.shape, *pair.gt.to_crops())
        pred = mask_layer(pair.pred.shape, *pair.pred.to_crops())
        rgb = overlay_rgb(read_image(image_paths[image_id]), truth, pred)
        layers[image_id] = (truth, pred, rgb)
        panels.append(
            OverlayPanel(f"{role}: {image_paths[image_id].name}, F1 {f1[image_id]:.2f}", rgb)
        )
    index = (
        next(i for i, (role, _) in enumerate(picks) if role == "median") if len(picks) > 1 else 0
    )
    role, image_id = picks[index]
    truth, pred, rgb = layers[image_id]
    side = max(48, int(min(rgb.shape[:2]) * zoom_fraction))
    box = zoom_window(truth, pred, side)
    y0, x0, y1, x1 = box
    overview = plot_overlays(panels, zoom=(index, box))
    zoom = plot_zoom(
        rgb[y0:y1, x0:x1],
        f"{role} image {image_paths[image_id].name}, pixels {y0}–{y1} × {x0}–{x1} (row × column)",
    )
    roles = ", ".join(f"{r} ({f1[i]:.2f})" for r, i in picks)
    return [
        (
            "overlays.png",
            overview,
            "Overlays of ground truth in green, predictions in red and their overlap in yellow on "
            f"held-out images chosen by F1 at IoU 0.5: {roles}.",
        ),
        (
            "overlay_zoom.png",
            zoom,
            f"Zoomed crop of the {role} image's overlay (ground truth green, prediction red, "
            "overlap yellow), where touching cells and errors are densest.",
        ),
    ]
