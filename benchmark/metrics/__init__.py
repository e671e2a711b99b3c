"""Evaluation engine: overlaps, matching, scores, shape subsets, uncertainty, COCO AP.

Pure numpy/scipy (pycocotools and scikit-image where needed); never imports torch or detectron2.
See ``docs/metrics.md`` for the definitions.
"""

from benchmark.metrics.evaluator import (
    CLASS_NAMES,
    Evaluation,
    ImagePair,
    evaluate,
)
from benchmark.metrics.instances import Instances
from benchmark.metrics.iou import Overlaps, overlaps
from benchmark.metrics.matching import DEFAULT_THRESHOLDS, Matching, match, match_pairs
from benchmark.metrics.scores import ScoreRecord, scores_from_counts

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_THRESHOLDS",
    "Evaluation",
    "ImagePair",
    "Instances",
    "Matching",
    "Overlaps",
    "ScoreRecord",
    "evaluate",
    "match",
    "match_pairs",
    "overlaps",
    "scores_from_counts",
]
