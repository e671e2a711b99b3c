"""detectron2 ↔ macroseg metrics: predictions as COCO results, and a ``DatasetEvaluator``.

The evaluator is a thin adapter (``reset / process / evaluate``) over :mod:`benchmark.metrics`,
so that the numbers detectron2's evaluation hook logs during training are the ones the report
shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import benchmark.compat  # noqa: F401

import numpy as np
from detectron2.data import MetadataCatalog
from detectron2.evaluation import DatasetEvaluator
from detectron2.utils import comm
from pycocotools import mask as mask_utils

from benchmark.metrics.adapters import coco_pairs
from benchmark.metrics.evaluator import evaluate

#: IoU thresholds whose micro F1 the evaluator reports during training.
REPORTED_THRESHOLDS = (0.5, 0.75)


def instances_to_results(
    instances: Any, image_id: int, contiguous_to_category: Mapping[int, int]
) -> list[dict[str, Any]]:
    """COCO results (compressed RLE, score, dataset category id) of one image's predictions."""
    instances = instances.to("cpu")
    masks = np.asfortranarray(instances.pred_masks.numpy().astype(np.uint8).transpose(1, 2, 0))
    rles = mask_utils.encode(masks) if len(instances) else []
    results = []
    for rle, score, label in zip(
        rles, instances.scores.tolist(), instances.pred_classes.tolist(), strict=True
    ):
        rle["counts"] = rle["counts"].decode("ascii")
        results.append(
            {
                "image_id": image_id,
                "category_id": int(contiguous_to_category[int(label)]),
                "segmentation": rle,
                "score": round(float(score), 5),
            }
        )
    return results


def contiguous_to_category(dataset_name: str) -> dict[int, int]:
    """detectron2's contiguous class index -> the dataset's category id."""
    mapping = MetadataCatalog.get(dataset_name).thing_dataset_id_to_contiguous_id
    return {contiguous: category for category, contiguous in mapping.items()}


def summary_scores(
    ground_truth_json: str, results: Sequence[dict[str, Any]], score_threshold: float
) -> dict[str, float]:
    """Micro precision, recall and F1 (all cells) at :data:`REPORTED_THRESHOLDS`, and mean F1
    over 0.50:0.95, counting predictions with ``score >= score_threshold``."""
    kept = [r for r in results if r["score"] >= score_threshold]
    pairs, names = coco_pairs(ground_truth_json, kept)
    evaluation = evaluate(pairs, class_names=names)
    rows = [r for r in evaluation.scores("micro") if r.class_name == "all" and r.subset == "all"]
    summary = {"f1_mean": float(np.mean([r.f1 for r in rows]))}
    for row in rows:
        if any(np.isclose(row.threshold, t) for t in REPORTED_THRESHOLDS):
            key = f"{row.threshold:.2f}"
            summary |= {
                f"precision@{key}": row.precision,
                f"recall@{key}": row.recall,
                f"f1@{key}": row.f1,
            }
    return summary


class MacrosegEvaluator(DatasetEvaluator):
    """Scores a registered COCO dataset with :mod:`benchmark.metrics` (all processes gathered).

    ``evaluate`` returns ``{"macroseg": {"f1@0.50": ..., ...}}`` for detectron2's hooks.
    """

    def __init__(self, dataset_name: str, score_threshold: float) -> None:
        self.dataset_name = dataset_name
        self.json_file = MetadataCatalog.get(dataset_name).json_file
        self.class_map = contiguous_to_category(dataset_name)
        self.score_threshold = score_threshold
        self._results: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget the predictions of an earlier evaluation."""
        self._results = []

    def process(self, inputs: Sequence[dict], outputs: Sequence[dict]) -> None:
        """Convert one batch of predictions to COCO results."""
        for sample, output in zip(inputs, outputs, strict=True):
            self._results += instances_to_results(
                output["instances"], sample["image_id"], self.class_map
            )

    def evaluate(self) -> dict[str, dict[str, float]] | None:
        """Gather every process's results; the main process scores them."""
        gathered = comm.gather(self._results, dst=0)
        if not comm.is_main_process():
            return None
        results = [r for part in gathered for r in part]
        return {"macroseg": summary_scores(self.json_file, results, self.score_threshold)}
