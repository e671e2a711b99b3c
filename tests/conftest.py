"""Fixtures shared by every test folder: a small synthetic dataset and a tiny trained model.

Both are made once per session, which keeps the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.data.generate import DatasetSpec, generate_dataset
from benchmark.data.synthetic import SynthConfig

SMALL_SPEC = DatasetSpec(
    name="tiny",
    seed=11,
    splits=(("train", 40), ("validation", 15), ("test", 30)),
    config=SynthConfig(height=192, width=192, cells_per_image=9.0),
)

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
def small_spec() -> DatasetSpec:
    """The spec of :func:`small_dataset`."""
    return SMALL_SPEC


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a small three-split synthetic dataset."""
    return generate_dataset(
        tmp_path_factory.mktemp("synth") / "tiny", SMALL_SPEC, workers=1, progress=False
    )


@pytest.fixture(scope="session")
def tiny_overrides() -> list[str]:
    """:data:`TINY`, for tests that pass overrides on (CLI, launch, pipeline)."""
    return list(TINY)


@pytest.fixture(scope="session")
def tiny_cfg():
    """scratch_cpu shrunk by :data:`TINY` (imports detectron2: only model tests use it)."""
    from benchmark.model.config import load_config

    return load_config("scratch_cpu", TINY)


@pytest.fixture(scope="session")
def trained(tiny_cfg, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """A model trained for six iterations on the small dataset: ``(TrainResult, data folder)``."""
    from benchmark.model.jobs import train_on_folder

    out = tmp_path_factory.mktemp("train")
    return train_on_folder(tiny_cfg, small_dataset, out), small_dataset
