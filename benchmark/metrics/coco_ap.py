"""COCO mask AP through pycocotools, with a detection cap suited to dense images.

``COCOeval`` keeps at most ``maxDets`` detections per image (highest scores first) and its stock
summary uses 100. An image with more than 100 cells then cannot reach full recall, so AP is
biased low. :func:`coco_ap` runs one evaluation with the caps ``1, 10, 100`` and ``max_dets``
(default 1000) and reports the numbers at ``max_dets`` with the stock 100-cap numbers beside them.

Definitions (pycocotools): AP is the mean over IoU thresholds 0.50:0.05:0.95 and over categories
of the 101-point interpolated precision; AP50 and AP75 fix the threshold; AR is the mean recall
over thresholds and categories. Matching is greedy by score; ``iscrowd`` ground truth is ignored.
"""

from __future__ import annotations

import contextlib
import copy
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class CocoAP:
    """COCO segmentation metrics at the cap ``max_dets`` and at the stock cap of 100."""

    max_dets: int
    ap: float
    ap50: float
    ap75: float
    ar: float
    ap_100: float
    ap50_100: float
    ap75_100: float
    ar_100: float

    @property
    def cap_matters(self) -> bool:
        """Whether the stock 100 cap changes any number."""
        pairs = [
            (self.ap, self.ap_100),
            (self.ap50, self.ap50_100),
            (self.ap75, self.ap75_100),
            (self.ar, self.ar_100),
        ]
        return any(not np.isclose(a, b, equal_nan=True) for a, b in pairs)


def _mean_valid(x: np.ndarray) -> float:
    valid = x[x > -1]
    return float(valid.mean()) if valid.size else float("nan")


def run_cocoeval(ground_truth: str | Path | dict, results: str | Path | list, max_dets: int):
    """Run ``COCOeval`` (segm) with caps ``[1, 10, 100, max_dets]``; return it accumulated."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(ground_truth, dict):
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(ground_truth)
            coco_gt.createIndex()
        else:
            coco_gt = COCO(str(ground_truth))
        if isinstance(results, list | tuple) and not results:
            raise ValueError("no detections to evaluate")
        # loadRes adds fields to the detections it is given: hand it a copy
        coco_dt = coco_gt.loadRes(
            copy.deepcopy(results) if isinstance(results, list) else str(results)
        )
        ev = COCOeval(coco_gt, coco_dt, iouType="segm")
        ev.params.maxDets = sorted({1, 10, 100, int(max_dets)})
        ev.evaluate()
        ev.accumulate()
    return ev


def coco_ap(
    ground_truth: str | Path | dict, results: str | Path | list, max_dets: int = 1000
) -> CocoAP:
    """COCO AP, AP50, AP75 and AR (all areas) at ``max_dets`` and at 100 detections per image.

    Parameters
    ----------
    ground_truth
        COCO dataset (path or dict) with segmentations.
    results
        COCO results (path or list) with RLE segmentations and scores.
    max_dets
        Detection cap per image for the main numbers.
    """
    ev = run_cocoeval(ground_truth, results, max_dets)
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    recall = ev.eval["recall"]  # [T, K, A, M]
    thr = ev.params.iouThrs
    caps = list(ev.params.maxDets)
    area_all = list(ev.params.areaRngLbl).index("all")

    def numbers(cap: int) -> tuple[float, float, float, float]:
        m = caps.index(cap)
        p = precision[:, :, :, area_all, m]
        t50 = int(np.argmin(np.abs(thr - 0.5)))
        t75 = int(np.argmin(np.abs(thr - 0.75)))
        return (
            _mean_valid(p),
            _mean_valid(p[t50]),
            _mean_valid(p[t75]),
            _mean_valid(recall[:, :, area_all, m]),
        )

    main, stock = numbers(int(max_dets)), numbers(100)
    return CocoAP(int(max_dets), *main, *stock)
