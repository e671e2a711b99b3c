"""A tiny trained model, shared by the model tests (training once keeps the suite fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.model.config import load_config

#: Overrides that shrink scratch_cpu to seconds per iteration on the small test dataset.
TINY = [
    "INPUT.MIN_SIZE_TRAIN", "(192,)", "INPUT.MAX_SIZE_TRAIN", "192",
    "INPUT.MIN_SIZE_TEST", "192", "INPUT.MAX_SIZE_TEST", "192",
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.BASE_LR", "0.01", "SOLVER.WARMUP_ITERS", "0",
    "SOLVER.MAX_ITER", "6", "SOLVER.STEPS", "()", "SOLVER.CHECKPOINT_PERIOD", "3",
    "TEST.EVAL_PERIOD", "6", "DATALOADER.NUM_WORKERS", "0", "TEST.DETECTIONS_PER_IMAGE", "50",
    "MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0",
    "MACROSEG.SCORE_THRESHOLD", "0.0", "MACROSEG.LOG_PERIOD", "1",
]  # fmt: skip


@pytest.fixture(scope="session")
def tiny_cfg():
    """scratch_cpu shrunk by :data:`TINY`."""
    return load_config("scratch_cpu", TINY)


@pytest.fixture(scope="session")
def trained(tiny_cfg, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """A model trained for six iterations on the small dataset: ``(TrainResult, data folder)``."""
    from benchmark.model.jobs import train_on_folder

    out = tmp_path_factory.mktemp("train")
    return train_on_folder(tiny_cfg, small_dataset, out), small_dataset
