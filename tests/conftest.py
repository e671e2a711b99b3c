"""Fixtures shared by every test folder: one small synthetic dataset, generated once per session."""

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
