"""The committed benchmark assets come from the current default config and dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.data.generate import default_dataset
from benchmark.model.config import DEFAULT_CONFIG, config_digest, load_config
from benchmark.model.jobs import dataset_hash
from benchmark.report import manifest_is_stale, read_manifest

MANIFEST = Path(__file__).resolve().parent.parent / "docs/assets/benchmark/manifest.json"


def test_committed_figures_match_the_default_config_and_data():
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} is missing: run `make benchmark` and commit docs/assets/benchmark")
    stale = manifest_is_stale(
        read_manifest(MANIFEST),
        config_digest(load_config(DEFAULT_CONFIG)),
        dataset_hash(default_dataset(progress=False)),
    )
    assert stale is None, stale
