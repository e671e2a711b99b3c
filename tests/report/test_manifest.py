"""The provenance manifest: building, round trip and the staleness check."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import PurePosixPath

import pytest

from benchmark.report.manifest import (
    build_manifest,
    library_versions,
    manifest_is_stale,
    read_manifest,
    write_manifest,
)

from .conftest import PROVENANCE


def test_manifest_round_trips(tmp_path):
    created = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    manifest = build_manifest(PROVENANCE, created=created)
    path = write_manifest(manifest, tmp_path / "manifest.json")
    assert read_manifest(path) == manifest
    assert manifest["created"] == "2025-01-02T03:04:05+00:00"
    assert manifest["checkpoint"] == PROVENANCE["checkpoint"]
    assert manifest["code_version"].startswith(library_versions(("macroseg",))["macroseg"] or "0")
    assert {"numpy", "torch", "detectron2"} <= set(manifest["libraries"])


def test_given_keys_win_and_paths_become_text():
    manifest = build_manifest(
        {**PROVENANCE, "code_version": "v9", "weights": PurePosixPath("/some/where")}
    )
    assert manifest["code_version"] == "v9"
    assert manifest["weights"] == "/some/where"


def test_missing_provenance_is_named():
    with pytest.raises(ValueError, match=r"config\.digest.*dataset\.name"):
        build_manifest({"config": {"name": "x"}, "dataset": {"hash": "h"}})


def test_library_versions_of_missing_packages_are_none():
    assert library_versions(("surely-not-installed-xyz",)) == {"surely-not-installed-xyz": None}


def test_staleness_check_names_what_changed():
    manifest = build_manifest(PROVENANCE)
    digest, dataset_hash = PROVENANCE["config"]["digest"], PROVENANCE["dataset"]["hash"]
    assert manifest_is_stale(manifest, digest, dataset_hash) is None
    message = manifest_is_stale(manifest, "other", dataset_hash)
    assert message is not None
    assert "make benchmark" in message and "config digest" in message and "other" in message
    assert "dataset hash" in manifest_is_stale(manifest, digest, "new-data")
    assert "make benchmark" in manifest_is_stale({}, digest, dataset_hash)


def test_unreadable_manifest_is_an_error(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a JSON object"):
        read_manifest(bad)
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_manifest(bad)
