"""Scores from match counts, and their aggregation over images.

Counts are kept as arrays whose last axis holds ``(TP, FP, FN, sum of matched IoU)``; every score
is a ratio of counts:

============  ====================================  =====================
score         formula                               undefined (NaN) when
============  ====================================  =====================
precision     TP / (TP + FP)                        no prediction
recall        TP / (TP + FN)                        no ground truth
f1            2 TP / (2 TP + FP + FN)               neither
dsb_ap        TP / (TP + FP + FN)                   neither
mean_iou      sum IoU / TP                          no match
pq            sum IoU / (TP + FP / 2 + FN / 2)      neither
============  ====================================  =====================

A ratio whose denominator is 0 is NaN ("not defined"), never 0 or 1. Aggregation: ``micro`` sums
the counts of all images, then divides; ``image_mean`` takes each image's score and averages the
images where it is defined (NaN-skipping mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCORE_FIELDS = ("precision", "recall", "f1", "dsb_ap", "mean_iou", "pq")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def scores_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every score of :data:`SCORE_FIELDS` from counts ``(..., 4)`` (see the module table)."""
    counts = np.asarray(counts, dtype=np.float64)
    tp, fp, fn, sum_iou = (counts[..., i] for i in range(4))
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "dsb_ap": _ratio(tp, tp + fp + fn),
        "mean_iou": _ratio(sum_iou, tp),
        "pq": _ratio(sum_iou, tp + 0.5 * fp + 0.5 * fn),
    }


def image_mean_scores(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image scores averaged over the images (axis 0) where they are defined."""
    per_image = scores_from_counts(counts)
    out = {}
    for name, values in per_image.items():
        defined = ~np.isnan(values)
        total = np.where(defined, values, 0.0).sum(axis=0)
        out[name] = _ratio(total, defined.sum(axis=0))
    return out


@dataclass(frozen=True)
class ScoreRecord:
    """One row of a score table: a class, a subset and a threshold, for an image or a dataset.

    ``aggregation`` is ``"image"`` (then ``image_id`` names it), ``"micro"`` or ``"image_mean"``.
    Counts are sums over the images of the row; ``n_images`` is how many.
    """

    aggregation: str
    image_id: str
    class_name: str
    subset: str
    threshold: float
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    dsb_ap: float
    mean_iou: float
    pq: float
    n_images: int


def score_records(
    counts: np.ndarray,
    thresholds,
    groups: list[tuple[str, str]],
    aggregation: str,
    image_id: str = "",
    n_images: int = 1,
    scores: dict[str, np.ndarray] | None = None,
) -> list[ScoreRecord]:
    """Rows for counts ``(n_groups, n_thresholds, 4)`` (scores computed from them by default)."""
    scores = scores_from_counts(counts) if scores is None else scores
    rows = []
    for gi, (class_name, subset) in enumerate(groups):
        for ti, t in enumerate(thresholds):
            c = counts[gi, ti]
            rows.append(
                ScoreRecord(
                    aggregation=aggregation,
                    image_id=image_id,
                    class_name=class_name,
                    subset=subset,
                    threshold=float(t),
                    tp=int(c[0]),
                    fp=int(c[1]),
                    fn=int(c[2]),
                    **{name: float(scores[name][gi, ti]) for name in SCORE_FIELDS},
                    n_images=n_images,
                )
            )
    return rows
