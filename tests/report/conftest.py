"""Shared fixtures: a small synthetic dataset, perturbed predictions and one built report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from benchmark.data.generate import DatasetSpec, generate_dataset
from benchmark.data.masks import decode_rle, encode_mask
from benchmark.data.synthetic import SynthConfig

SPEC = DatasetSpec(
    name="report-tiny",
    seed=5,
    splits=(("train", 24), ("validation", 6), ("test", 40)),
    config=SynthConfig(height=160, width=160, cells_per_image=8.0),
)
SCORE_THRESHOLD = 0.5
PROVENANCE = {
    "config": {"name": "tiny", "digest": "cfg123"},
    "dataset": {"name": SPEC.name, "hash": SPEC.digest()},
    "checkpoint": {"sha256": "0" * 64},
    "detectron2": {"source": "test"},
    "device": "cpu",
    "timings_s": {"data": 0.1, "train": 0.2, "predict": 0.3, "evaluate": 0.4},
}


def _detection(image_id: int, category: int, mask: np.ndarray, score: float) -> dict:
    return {
        "image_id": image_id,
        "category_id": category,
        "segmentation": encode_mask(mask),
        "score": round(float(score), 4),
    }


def perturbed_predictions(gt: dict, seed: int = 0) -> list[dict]:
    """COCO results made from the ground truth: some cells dropped, eroded, dilated or split,
    a few classes swapped, one false alarm per image, random scores."""
    rng = np.random.default_rng(seed)
    out = []
    for ann in gt["annotations"]:
        mask = decode_rle(ann["segmentation"])
        category = ann["category_id"]
        draw = rng.random()
        if draw < 0.1:
            continue  # missed
        if draw < 0.35:
            mask = ndimage.binary_erosion(mask, iterations=2)
        elif draw < 0.5:
            mask = ndimage.binary_dilation(mask, iterations=1)
        elif draw < 0.55:  # split in two halves
            rows = np.flatnonzero(mask.any(axis=1))
            middle = rows[rows.size // 2]
            top, bottom = mask.copy(), mask.copy()
            top[middle:] = False
            bottom[:middle] = False
            for part in (top, bottom):
                out.append(_detection(ann["image_id"], category, part, rng.uniform(0.5, 1)))
            continue
        if rng.random() < 0.05:
            category = 3 - category
        if mask.any():
            out.append(_detection(ann["image_id"], category, mask, rng.uniform(0.2, 1.0)))
    for img in gt["images"]:
        yy, xx = np.mgrid[: img["height"], : img["width"]]
        cy, cx = rng.integers(12, img["height"] - 12), rng.integers(12, img["width"] - 12)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= 8**2
        out.append(_detection(img["id"], 1, disc, rng.uniform(0.3, 0.9)))
    return out


def write_training_log(path: Path, iterations: int = 60) -> Path:
    """A detectron2 ``metrics.json``: losses every 5 iterations, validation every 20."""
    lines = []
    for it in range(4, iterations, 5):
        decay = np.exp(-it / 30)
        parts = {
            "loss_cls": 0.4 * decay + 0.05,
            "loss_box_reg": 0.5 * decay + 0.1,
            "loss_mask": 0.6 * decay + 0.2,
            "loss_rpn_cls": 0.3 * decay + 0.01,
            "loss_rpn_loc": 0.2 * decay + 0.02,
        }
        lines.append({"iteration": it, "total_loss": sum(parts.values()), "lr": 0.01, **parts})
        if (it + 1) % 20 == 0:
            lines.append({"iteration": it, "macroseg/f1@0.50": 0.5 + it / 200})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small three-split synthetic dataset."""
    root = tmp_path_factory.mktemp("report-data") / SPEC.name
    return generate_dataset(root, SPEC, workers=1, progress=False)


@pytest.fixture(scope="session")
def predictions(dataset: Path) -> Path:
    """Perturbed ground truth of the test split, as a COCO results file."""
    gt = json.loads((dataset / "annotations" / "test.json").read_text())
    path = dataset / "predictions.json"
    path.write_text(json.dumps(perturbed_predictions(gt)))
    return path


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory, dataset: Path, predictions: Path):
    """``(folder, files written)`` of a report built with every optional input."""
    from benchmark.report import build_report

    out = tmp_path_factory.mktemp("report") / "benchmark"
    log = write_training_log(tmp_path_factory.mktemp("train") / "metrics.json")
    files = build_report(
        out,
        dataset / "annotations" / "test.json",
        dataset / "images",
        predictions,
        score_threshold=SCORE_THRESHOLD,
        training_metrics=log,
        splits={
            "train": dataset / "annotations" / "train.json",
            "validation": dataset / "annotations" / "validation.json",
        },
        provenance=PROVENANCE,
        n_resamples=200,
        n_permutations=2000,
    )
    return out, files
