"""Sparse pairwise overlaps (intersection and IoU) between ground-truth and predicted instances.

Only pairs that share at least one pixel are stored. Three algorithms, chosen by the form of the
masks (:class:`~benchmark.metrics.instances.Instances`):

* two label images: one run-length pass over both images, which also yields the ids and areas
  of both (:func:`label_overlaps`);
* two sets of COCO RLE masks: ``pycocotools.mask.iou``, which skips pairs whose boxes are apart
  (:func:`rle_overlaps`);
* anything else (overlapping masks from a model): bounding-box culling, then the intersection of
  the two crops on the shared box (:func:`crop_overlaps`).

In all cases ``IoU = |G ∩ P| / (|G| + |P| - |G ∩ P|)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.metrics.instances import (
    LUT_LIMIT,
    Instances,
    index_of,
    run_instances,
    runs,
)


@dataclass(frozen=True)
class Overlaps:
    """Overlapping (ground truth, prediction) pairs of one image.

    Attributes
    ----------
    gt, pred
        Instance indices of each pair (int64, ``k`` entries), sorted by ``gt`` then ``pred``.
    intersection
        Shared pixels of each pair.
    iou
        Intersection over union of each pair.
    gt_area, pred_area
        Pixel count of every ground-truth / predicted instance.
    """

    gt: np.ndarray
    pred: np.ndarray
    intersection: np.ndarray
    iou: np.ndarray
    gt_area: np.ndarray
    pred_area: np.ndarray

    @classmethod
    def from_intersections(
        cls,
        gt: np.ndarray,
        pred: np.ndarray,
        intersection: np.ndarray,
        gt_area: np.ndarray,
        pred_area: np.ndarray,
    ) -> Overlaps:
        """Pairs from intersections; drops empty pairs, sorts, and computes IoU."""
        gt = np.asarray(gt, dtype=np.int64)
        pred = np.asarray(pred, dtype=np.int64)
        intersection = np.asarray(intersection, dtype=np.int64)
        keep = intersection > 0
        gt, pred, intersection = gt[keep], pred[keep], intersection[keep]
        order = np.lexsort((pred, gt))
        gt, pred, intersection = gt[order], pred[order], intersection[order]
        union = gt_area[gt] + pred_area[pred] - intersection
        return cls(gt, pred, intersection, intersection / union, gt_area, pred_area)

    def dense_iou(self) -> np.ndarray:
        """The full ``(n_gt, n_pred)`` IoU matrix (zeros for pairs that do not touch)."""
        out = np.zeros((self.gt_area.size, self.pred_area.size))
        out[self.gt, self.pred] = self.iou
        return out


def key_sums(
    keys: np.ndarray, weights: np.ndarray, n_keys: int, table_limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the sum of ``weights`` over each, for keys in ``[0, n_keys)``.

    Algorithm: when ``n_keys <= table_limit``, a boolean flag per possible key marks the keys
    present and ``np.flatnonzero`` lists them in order; an int32 table (left uninitialised, so
    only the entries of present keys are ever touched) maps each to its rank, and
    ``np.bincount`` sums the weights by rank. Otherwise ``np.unique`` (a sort) ranks the keys.
    """
    if n_keys <= min(table_limit, np.iinfo(np.int32).max):
        present = np.zeros(n_keys, dtype=bool)
        present[keys] = True
        distinct = np.flatnonzero(present)
        rank_of = np.empty(n_keys, dtype=np.int32)
        rank_of[distinct] = np.arange(distinct.size, dtype=np.int32)
        rank = rank_of[keys]
    else:
        distinct, rank = np.unique(keys, return_inverse=True)
    return distinct, np.bincount(rank.ravel(), weights=weights, minlength=distinct.size)


def label_overlaps(
    gt_label: np.ndarray, pred_label: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Overlaps]:
    """Instance ids of two label images and their overlaps, in one pass over their pixels.

    Algorithm: the two raveled images are cut into runs on which the pair (gt label, pred label)
    is constant (:func:`~benchmark.metrics.instances.runs`). Summing run lengths per gt
    label and per pred label gives the ids and areas of both images
    (:func:`~benchmark.metrics.instances.run_instances`); runs where both labels are non-zero are
    mapped to instance indices ``(i, j)`` and their lengths summed per key ``i * n_pred + j``
    (:func:`key_sums`, with a table of the possible pairs when they number at most
    ``max(LUT_LIMIT, pixels)``), which gives the intersections. The cost is one comparison pass
    over the pixels plus work proportional to the number of runs and of possible pairs; extra
    memory is a few bytes per run plus at most five bytes per pixel (mostly never touched).

    Parameters
    ----------
    gt_label, pred_label
        Label images of the same shape (non-negative integers, 0 is background).

    Returns
    -------
    gt_ids, pred_ids, overlaps
        Sorted non-zero ids of each image (instance ``i`` has id ``ids[i]``) and the overlaps,
        whose ``gt_area`` and ``pred_area`` are the instances' areas.
    """
    if gt_label.shape != pred_label.shape:
        raise ValueError(f"label images differ in shape: {gt_label.shape} vs {pred_label.shape}")
    lengths, (va, vb) = runs(gt_label.ravel(), pred_label.ravel())
    gt_ids, gt_area = run_instances(va, lengths)
    pred_ids, pred_area = run_instances(vb, lengths)
    both = (va != 0) & (vb != 0)
    ia = index_of(gt_ids, va[both].astype(np.int64))
    ib = index_of(pred_ids, vb[both].astype(np.int64))
    n_pred = max(pred_ids.size, 1)
    n_keys = gt_ids.size * n_pred
    keys, inter = key_sums(ia * n_pred + ib, lengths[both], n_keys, max(LUT_LIMIT, gt_label.size))
    ov = Overlaps.from_intersections(
        keys // n_pred, keys % n_pred, inter.astype(np.int64), gt_area, pred_area
    )
    return gt_ids, pred_ids, ov


def rle_overlaps(gt_rles: list[dict], pred_rles: list[dict], gt_area, pred_area) -> Overlaps:
    """Overlaps of two sets of COCO RLE masks with ``pycocotools.mask.iou``.

    pycocotools compares run-length encodings and skips pairs whose boxes are apart. The
    intersection is recovered from ``iou = I / (|G| + |P| - I)`` as ``I = iou (|G| + |P|) / (1 +
    iou)``, rounded to whole pixels; the IoU values are pycocotools' own.
    """
    from pycocotools import mask as mask_utils

    if not gt_rles or not pred_rles:
        empty = np.zeros(0, dtype=np.int64)
        return Overlaps(empty, empty, empty, np.zeros(0), gt_area, pred_area)
    dense = np.asarray(mask_utils.iou(gt_rles, pred_rles, [0] * len(pred_rles)))
    gt, pred = np.nonzero(dense)
    iou = dense[gt, pred]
    inter = np.rint(iou * (gt_area[gt] + pred_area[pred]) / (1.0 + iou)).astype(np.int64)
    return Overlaps(gt.astype(np.int64), pred.astype(np.int64), inter, iou, gt_area, pred_area)


def box_pairs(boxes_a: np.ndarray, boxes_b: np.ndarray, block: int = 1024) -> np.ndarray:
    """Index pairs ``(i, j)`` whose half-open boxes ``(y0, x0, y1, x1)`` share area.

    Algorithm: a vectorised interval test, ``block`` rows of ``boxes_a`` at a time so that memory
    stays ``O(block * len(boxes_b))``.
    """
    pairs = []
    for start in range(0, boxes_a.shape[0], block):
        a = boxes_a[start : start + block, None, :]
        b = boxes_b[None, :, :]
        hit = (
            (a[..., 0] < b[..., 2])
            & (b[..., 0] < a[..., 2])
            & (a[..., 1] < b[..., 3])
            & (b[..., 1] < a[..., 3])
        )
        i, j = np.nonzero(hit)
        pairs.append(np.stack([i + start, j], axis=1))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


def crop_overlaps(gt: Instances, pred: Instances) -> Overlaps:
    """Overlaps of instances given as boxes and crops (masks may overlap each other).

    Algorithm: candidate pairs are those whose bounding boxes intersect (:func:`box_pairs`); for
    each, the two crops are cut to the shared box and their logical AND is counted. No label
    image is formed, so overlapping predictions keep their own pixels.
    """
    gt_boxes, gt_crops = gt.to_crops()
    pred_boxes, pred_crops = pred.to_crops()
    pairs = box_pairs(gt_boxes, pred_boxes)
    inter = np.zeros(pairs.shape[0], dtype=np.int64)
    for k, (i, j) in enumerate(pairs):
        gy0, gx0 = gt_boxes[i, :2]
        py0, px0 = pred_boxes[j, :2]
        y0, x0 = max(gy0, py0), max(gx0, px0)
        y1 = min(gt_boxes[i, 2], pred_boxes[j, 2])
        x1 = min(gt_boxes[i, 3], pred_boxes[j, 3])
        g = gt_crops[i][y0 - gy0 : y1 - gy0, x0 - gx0 : x1 - gx0]
        p = pred_crops[j][y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
        inter[k] = np.count_nonzero(g & p)
    return Overlaps.from_intersections(pairs[:, 0], pairs[:, 1], inter, gt.areas, pred.areas)


def overlaps(gt: Instances, pred: Instances) -> Overlaps:
    """Sparse overlaps of one image, with the fastest algorithm the mask forms allow."""
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth is {gt.shape} but predictions are {pred.shape}")
    if gt.label_image is not None and pred.label_image is not None:
        return label_overlaps(gt.label_image, pred.label_image)[2]
    if gt.rles is not None and pred.rles is not None:
        return rle_overlaps(gt.rles, pred.rles, gt.areas, pred.areas)
    return crop_overlaps(gt, pred)
