"""Error analysis: splits, merges, missed cells and false alarms.

Definitions (``f`` = coverage fraction, 0.5 by default; ``t`` = IoU threshold, 0.5 by default):

* a prediction ``P`` *lies in* a ground truth ``G`` when ``|G ∩ P| >= f |P|``;
  ``G`` *lies in* ``P`` when ``|G ∩ P| >= f |G|``;
* **split**: a ground truth in which at least two predictions lie (``split_fragments`` counts
  those predictions);
* **merge**: a prediction in which at least two ground truths lie (``merged_cells`` counts those
  ground truths);
* **missed**: a ground truth with no prediction at IoU ``>= t`` that is not split and does not lie
  in a merging prediction;
* **false alarm**: a prediction with no ground truth at IoU ``>= t`` that is not a merge and does
  not lie in a split ground truth.

Ignored (crowd) ground truth and the predictions lying in it are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.metrics.iou import Overlaps


@dataclass(frozen=True)
class ErrorCounts:
    """Error counts of one image or a dataset (see the module docstring)."""

    n_gt: int
    n_pred: int
    splits: int
    split_fragments: int
    merges: int
    merged_cells: int
    missed: int
    false_alarms: int

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )


def error_counts(
    ov: Overlaps,
    gt_keep: np.ndarray,
    pred_keep: np.ndarray,
    gt_ignore: np.ndarray | None = None,
    iou_threshold: float = 0.5,
    fraction: float = 0.5,
) -> ErrorCounts:
    """Count splits, merges, missed cells and false alarms among the kept instances.

    Parameters
    ----------
    ov
        Overlaps of the image.
    gt_keep, pred_keep
        Boolean masks of the instances to analyse (e.g. one class).
    gt_ignore
        Boolean mask of ignored ground truth (default none).
    iou_threshold, fraction
        ``t`` and ``f`` of the definitions.
    """
    n_gt, n_pred = gt_keep.size, pred_keep.size
    gt_ignore = np.zeros(n_gt, dtype=bool) if gt_ignore is None else gt_ignore
    pair = gt_keep[ov.gt] & pred_keep[ov.pred]
    crowd = pair & gt_ignore[ov.gt]
    crowd_pred = np.zeros(n_pred, dtype=bool)
    crowd_pred[ov.pred[crowd & (ov.intersection >= fraction * ov.pred_area[ov.pred])]] = True
    pair &= ~gt_ignore[ov.gt] & ~crowd_pred[ov.pred]
    gt_use = gt_keep & ~gt_ignore
    pred_use = pred_keep & ~crowd_pred
    g, p, inter, iou = ov.gt[pair], ov.pred[pair], ov.intersection[pair], ov.iou[pair]

    pred_in_gt = inter >= fraction * ov.pred_area[p]
    gt_in_pred = inter >= fraction * ov.gt_area[g]
    fragments = np.bincount(g[pred_in_gt], minlength=n_gt)
    cells = np.bincount(p[gt_in_pred], minlength=n_pred)
    split_gt = fragments >= 2
    merge_pred = cells >= 2
    in_merge = np.zeros(n_gt, dtype=bool)
    in_merge[g[gt_in_pred & merge_pred[p]]] = True
    in_split = np.zeros(n_pred, dtype=bool)
    in_split[p[pred_in_gt & split_gt[g]]] = True
    good = iou >= iou_threshold
    gt_hit = np.zeros(n_gt, dtype=bool)
    gt_hit[g[good]] = True
    pred_hit = np.zeros(n_pred, dtype=bool)
    pred_hit[p[good]] = True
    return ErrorCounts(
        n_gt=int(gt_use.sum()),
        n_pred=int(pred_use.sum()),
        splits=int((split_gt & gt_use).sum()),
        split_fragments=int(fragments[split_gt & gt_use].sum()),
        merges=int((merge_pred & pred_use).sum()),
        merged_cells=int(cells[merge_pred & pred_use].sum()),
        missed=int((gt_use & ~gt_hit & ~split_gt & ~in_merge).sum()),
        false_alarms=int((pred_use & ~pred_hit & ~merge_pred & ~in_split).sum()),
    )
