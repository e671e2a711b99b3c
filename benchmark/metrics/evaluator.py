"""Evaluate a dataset: overlaps once per image, matching per class and threshold, tables.

For each image the sparse overlaps are computed once (:func:`benchmark.metrics.iou.overlaps`).
For each class group (every class id, plus the class-agnostic ``"all"``) the candidate pairs are
those whose ground truth and prediction are both in the group (same class); ignored (crowd)
ground truth takes no part in matching. At each threshold ``t``:

* TP = matched pairs; FN = non-ignored ground truth left unmatched;
* FP = unmatched predictions, except those lying in ignored ground truth
  (``|G ∩ P| >= t |P|``, COCO's crowd rule), which are dropped.

Shape subsets (optional) follow the rule of :mod:`benchmark.metrics.shape`; their bin edges come
from all non-ignored ground truth of the dataset, so every class shares them.

detectron2's ``reset / process / evaluate`` evaluator over this module is
:class:`benchmark.model.evaluation.MacrosegEvaluator` (it lives with the model code, because it
needs detectron2's catalogs; this package never imports detectron2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmark.metrics.errors import ErrorCounts, error_counts
from benchmark.metrics.instances import Instances, as_label_image
from benchmark.metrics.iou import Overlaps, label_overlaps, overlaps
from benchmark.metrics.matching import DEFAULT_THRESHOLDS, Method, match_pairs
from benchmark.metrics.scores import ScoreRecord, image_mean_scores, score_records
from benchmark.metrics.shape import assign_bins, bin_edges, bin_labels, shape_features
from benchmark.metrics.uncertainty import (
    IntervalRecord,
    PermutationResult,
    bootstrap_scores,
    f1_permutation_test,
)

#: Class names of the project.
CLASS_NAMES: dict[int, str] = {1: "macrophage", 2: "dead_macrophage"}
ALL = "all"


@dataclass(frozen=True, eq=False)
class ImagePair:
    """Ground truth and predictions of one image.

    Attributes
    ----------
    image_id
        Name of the image in tables.
    gt, pred
        Ground-truth and predicted instances.
    overlaps
        Their overlaps when already computed (:meth:`from_label_images`); ``None`` lets
        :func:`evaluate` compute them.
    """

    image_id: str
    gt: Instances
    pred: Instances
    overlaps: Overlaps | None = None

    @classmethod
    def from_label_images(
        cls,
        image_id: str,
        gt_label: np.ndarray,
        pred_label: np.ndarray,
        gt_classes: Mapping[int, int] | int = 1,
        pred_classes: Mapping[int, int] | int = 1,
        pred_scores: Mapping[int, float] | None = None,
    ) -> ImagePair:
        """A pair of label images, read in a single pass over their pixels.

        Algorithm: :func:`~benchmark.metrics.iou.label_overlaps` scans both images together and
        returns the ids and areas of both as well as the overlaps, so the instances are built
        without scanning each image again (unlike two calls to
        :meth:`Instances.from_label_image <benchmark.metrics.instances.Instances.from_label_image>`,
        which give the same instances).

        Parameters
        ----------
        image_id
            Name of the image.
        gt_label, pred_label
            2-D integer label images of the same shape (0 is background, ids need not be
            sequential).
        gt_classes, pred_classes
            One class id for all instances, or a mapping label value -> class id.
        pred_scores
            Optional mapping label value -> score (default 1.0).
        """
        gt_label, pred_label = as_label_image(gt_label), as_label_image(pred_label)
        gt_ids, pred_ids, ov = label_overlaps(gt_label, pred_label)
        gt = Instances.from_label_ids(gt_label, gt_ids, ov.gt_area, gt_classes)
        pred = Instances.from_label_ids(
            pred_label, pred_ids, ov.pred_area, pred_classes, pred_scores
        )
        return cls(str(image_id), gt, pred, ov)


@dataclass(frozen=True, eq=False)
class ImageResult:
    """What an evaluation keeps of one image: overlaps and the instances' attributes."""

    image_id: str
    overlaps: Overlaps
    gt_classes: np.ndarray
    gt_ignore: np.ndarray
    pred_classes: np.ndarray
    pred_scores: np.ndarray
    gt_feature: np.ndarray | None = None
    pred_feature: np.ndarray | None = None


@dataclass(frozen=True)
class ErrorRecord:
    """Error counts of one image (or ``image_id == ""`` for the dataset) and class."""

    image_id: str
    class_name: str
    n_gt: int
    n_pred: int
    splits: int
    split_fragments: int
    merges: int
    merged_cells: int
    missed: int
    false_alarms: int


@dataclass(frozen=True)
class PRCurve:
    """Precision-recall curve of a score sweep at one IoU threshold, and its AP.

    ``scores[i]`` is the cut-off giving ``precision[i]`` and ``recall[i]`` (predictions with score
    ``>= scores[i]`` kept). AP is the area under the interpolated curve (precision made
    non-increasing in recall, summed over recall steps), as in Pascal VOC 2010+.
    """

    class_name: str
    iou_threshold: float
    scores: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    ap: float


def _image_result(pair: ImagePair, feature: str | None, pixel_size: float | None) -> ImageResult:
    ov = pair.overlaps if pair.overlaps is not None else overlaps(pair.gt, pair.pred)
    gt_feat = pred_feat = None
    if feature is not None:
        gt_feat = shape_features(pair.gt.to_crops()[1], pixel_size)[feature]
        pred_feat = shape_features(pair.pred.to_crops()[1], pixel_size)[feature]
    return ImageResult(
        image_id=str(pair.image_id),
        overlaps=ov,
        gt_classes=pair.gt.classes,
        gt_ignore=pair.gt.ignore,
        pred_classes=pair.pred.classes,
        pred_scores=pair.pred.scores,
        gt_feature=gt_feat,
        pred_feature=pred_feat,
    )


def _select(classes: np.ndarray, class_id: int | None) -> np.ndarray:
    return np.ones(classes.size, dtype=bool) if class_id is None else classes == class_id


def _outcomes(
    res: ImageResult, class_id: int | None, threshold: float, method: Method
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Matched GT, matched pred, their IoU, missed GT and false-positive pred of one group."""
    ov = res.overlaps
    gsel = _select(res.gt_classes, class_id)
    psel = _select(res.pred_classes, class_id)
    pair = gsel[ov.gt] & psel[ov.pred]
    usable = pair & ~res.gt_ignore[ov.gt]
    m = match_pairs(
        ov.gt[usable], ov.pred[usable], ov.iou[usable], threshold, method, res.pred_scores
    )
    unmatched_pred = psel.copy()
    unmatched_pred[m.pred] = False
    crowd = pair & res.gt_ignore[ov.gt]
    crowd &= ov.intersection >= threshold * ov.pred_area[ov.pred]
    unmatched_pred[ov.pred[crowd]] = False
    missed = gsel & ~res.gt_ignore
    missed[m.gt] = False
    return m.gt, m.pred, m.iou, np.flatnonzero(missed), np.flatnonzero(unmatched_pred)


def _group_counts(
    res: ImageResult,
    class_id: int | None,
    thresholds: Sequence[float],
    method: Method,
    edges: np.ndarray | None,
) -> np.ndarray:
    """Counts ``(1 + n_bins, n_thresholds, 4)`` of one image and class: all, then each bin."""
    n_bins = 0 if edges is None else edges.size - 1
    out = np.zeros((1 + n_bins, len(thresholds), 4))
    if edges is not None:
        gt_bin = assign_bins(res.gt_feature, edges) + 1
        pred_bin = assign_bins(res.pred_feature, edges) + 1
    for ti, t in enumerate(thresholds):
        mg, _, miou, fn, fp = _outcomes(res, class_id, t, method)
        out[0, ti] = mg.size, fp.size, fn.size, miou.sum()
        if edges is not None:  # bin index 0 holds instances whose feature is NaN: dropped
            k = n_bins + 1
            out[1:, ti, 0] = np.bincount(gt_bin[mg], minlength=k)[1:]
            out[1:, ti, 1] = np.bincount(pred_bin[fp], minlength=k)[1:]
            out[1:, ti, 2] = np.bincount(gt_bin[fn], minlength=k)[1:]
            out[1:, ti, 3] = np.bincount(gt_bin[mg], weights=miou, minlength=k)[1:]
    return out


@dataclass
class Evaluation:
    """Per-image counts of a dataset and everything derived from them.

    Attributes
    ----------
    thresholds
        IoU thresholds.
    method
        Matching rule.
    groups
        ``(class_name, subset)`` of each group; subset ``"all"`` is every instance.
    counts
        ``(n_images, n_groups, n_thresholds, 4)`` counts (TP, FP, FN, sum of matched IoU).
    images
        Per-image overlaps and attributes (for score sweeps and error analysis).
    class_ids
        Class name -> id (``None`` for ``"all"``).
    subset_feature, subset_edges
        Shape feature and bin edges of the subsets, if any.
    """

    thresholds: tuple[float, ...]
    method: Method
    groups: list[tuple[str, str]]
    counts: np.ndarray
    images: list[ImageResult]
    class_ids: dict[str, int | None]
    subset_feature: str | None = None
    subset_edges: np.ndarray | None = field(default=None, repr=False)

    @property
    def image_ids(self) -> list[str]:
        """Image ids in evaluation order."""
        return [r.image_id for r in self.images]

    def scores(self, aggregation: str = "micro") -> list[ScoreRecord]:
        """Score table: ``"micro"``, ``"image_mean"`` or ``"image"`` (one block per image)."""
        n = len(self.images)
        if aggregation == "micro":
            return score_records(
                self.counts.sum(axis=0), self.thresholds, self.groups, "micro", n_images=n
            )
        if aggregation == "image_mean":
            return score_records(
                self.counts.sum(axis=0),
                self.thresholds,
                self.groups,
                "image_mean",
                n_images=n,
                scores=image_mean_scores(self.counts),
            )
        if aggregation == "image":
            rows = []
            for res, c in zip(self.images, self.counts, strict=True):
                rows += score_records(c, self.thresholds, self.groups, "image", res.image_id)
            return rows
        raise ValueError(f"unknown aggregation {aggregation!r}; use micro, image_mean or image")

    def group_index(self, class_name: str = ALL, subset: str = ALL) -> int:
        """Index of a ``(class_name, subset)`` group, with a clear error when absent."""
        try:
            return self.groups.index((class_name, subset))
        except ValueError:
            raise KeyError(
                f"no group class={class_name!r} subset={subset!r}; have {self.groups}"
            ) from None

    def confidence_intervals(
        self,
        metrics: Sequence[str] = ("precision", "recall", "f1"),
        n_resamples: int = 1000,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> list[IntervalRecord]:
        """Bootstrap intervals (over images) of the micro scores of every group and threshold."""
        boot = bootstrap_scores(self.counts, n_resamples, confidence, seed)
        rows = []
        for gi, (class_name, subset) in enumerate(self.groups):
            for ti, t in enumerate(self.thresholds):
                for m in metrics:
                    est, low, high = boot[m]
                    rows.append(
                        IntervalRecord(
                            class_name,
                            subset,
                            float(t),
                            m,
                            float(est[gi, ti]),
                            float(low[gi, ti]),
                            float(high[gi, ti]),
                            confidence,
                            n_resamples,
                        )
                    )
        return rows

    def permutation_test(
        self,
        subset_a: str,
        subset_b: str,
        threshold: float = 0.5,
        class_name: str = ALL,
        n_permutations: int = 10000,
        seed: int = 0,
    ) -> PermutationResult:
        """Permutation test for ``F1(subset_a) - F1(subset_b)`` at one threshold."""
        ti = int(np.argmin(np.abs(np.asarray(self.thresholds) - threshold)))
        if not np.isclose(self.thresholds[ti], threshold):
            raise KeyError(f"threshold {threshold} not evaluated; have {self.thresholds}")
        total = self.counts.sum(axis=0)
        a = total[self.group_index(class_name, subset_a), ti, :3]
        b = total[self.group_index(class_name, subset_b), ti, :3]
        return f1_permutation_test(a, b, n_permutations, seed)

    def errors(self, iou_threshold: float = 0.5, fraction: float = 0.5) -> list[ErrorRecord]:
        """Error analysis per image and class, then dataset totals (``image_id == ""``)."""
        rows = []
        totals: dict[str, ErrorCounts] = {}
        for res in self.images:
            for class_name, class_id in self.class_ids.items():
                e = error_counts(
                    res.overlaps,
                    _select(res.gt_classes, class_id),
                    _select(res.pred_classes, class_id),
                    res.gt_ignore,
                    iou_threshold,
                    fraction,
                )
                totals[class_name] = totals[class_name] + e if class_name in totals else e
                rows.append(ErrorRecord(res.image_id, class_name, **vars(e)))
        rows += [ErrorRecord("", name, **vars(e)) for name, e in totals.items()]
        return rows

    def precision_recall(self, iou_threshold: float = 0.5, class_name: str = ALL) -> PRCurve:
        """Score sweep at one IoU: greedy (score-ordered) matching, then cumulative counts.

        Greedy matching is nested across score cut-offs (the matches of the top-k predictions do
        not depend on lower-scored ones), so one matching per image gives the whole curve.
        """
        class_id = self.class_ids[class_name]
        all_scores, all_tp = [], []
        n_gt = 0
        for res in self.images:
            mg, mp, _, fn, fp = _outcomes(res, class_id, iou_threshold, "greedy")
            n_gt += mg.size + fn.size
            all_scores += [res.pred_scores[mp], res.pred_scores[fp]]
            all_tp += [np.ones(mp.size, dtype=bool), np.zeros(fp.size, dtype=bool)]
        scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
        is_tp = np.concatenate(all_tp) if all_tp else np.zeros(0, dtype=bool)
        order = np.argsort(-scores, kind="stable")
        scores, is_tp = scores[order], is_tp[order]
        tp = np.cumsum(is_tp)
        fp = np.cumsum(~is_tp)
        last = np.r_[scores[1:] != scores[:-1], True]  # one point per distinct cut-off
        scores, tp, fp = scores[last], tp[last], fp[last]
        precision = tp / np.maximum(tp + fp, 1)
        recall = tp / n_gt if n_gt else np.full(tp.size, np.nan)
        if n_gt == 0:
            ap = float("nan")
        else:
            envelope = np.maximum.accumulate(precision[::-1])[::-1]
            ap = float(np.sum(np.diff(np.r_[0.0, recall]) * envelope))
        return PRCurve(class_name, float(iou_threshold), scores, precision, recall, ap)


def evaluate(
    pairs: Iterable[ImagePair],
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    method: Method = "optimal",
    class_names: Mapping[int, str] | None = None,
    subset_feature: str | None = None,
    bins: int | Sequence[float] = 3,
    pixel_size: float | None = None,
) -> Evaluation:
    """Evaluate predictions against ground truth over a dataset.

    Parameters
    ----------
    pairs
        Ground truth and predictions per image.
    thresholds
        IoU thresholds (default 0.50, 0.55, ..., 0.95).
    method
        ``"optimal"`` or ``"greedy"`` matching (:mod:`benchmark.metrics.matching`).
    class_names
        Class id -> name for the per-class groups (default :data:`CLASS_NAMES`, restricted to the
        classes that occur; unnamed ids become ``"class_<id>"``). With a single class only
        ``"all"`` is reported.
    subset_feature
        Shape feature defining subsets (e.g. ``"perimeter_over_area"``), or ``None``.
    bins
        Number of quantile bins or explicit edges (:func:`benchmark.metrics.shape.bin_edges`).
    pixel_size
        Pixel size in µm, for features in µm units.
    """
    thresholds = tuple(float(t) for t in thresholds)
    if not thresholds or any(not 0.0 < t <= 1.0 for t in thresholds):
        raise ValueError(f"IoU thresholds must lie in (0, 1], got {thresholds}")
    images = [_image_result(p, subset_feature, pixel_size) for p in pairs]
    names = dict(CLASS_NAMES if class_names is None else class_names)
    present = sorted(
        {int(c) for r in images for c in np.concatenate([r.gt_classes, r.pred_classes])}
    )
    class_ids: dict[str, int | None] = {ALL: None}
    if len(present) > 1:
        class_ids |= {names.get(c, f"class_{c}"): c for c in present}
    edges = None
    subsets = [ALL]
    if subset_feature is not None:
        values = [r.gt_feature[~r.gt_ignore] for r in images]
        edges = bin_edges(np.concatenate(values) if values else np.zeros(0), bins)
        subsets += bin_labels(subset_feature, edges)
    groups = [(name, s) for name in class_ids for s in subsets]
    counts = np.zeros((len(images), len(groups), len(thresholds), 4))
    for i, res in enumerate(images):
        blocks = [_group_counts(res, cid, thresholds, method, edges) for cid in class_ids.values()]
        counts[i] = np.concatenate(blocks, axis=0)
    return Evaluation(thresholds, method, groups, counts, images, class_ids, subset_feature, edges)
