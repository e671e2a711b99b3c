"""The manifest written beside the figures: what produced them.

A manifest is a JSON object. The pipeline passes its provenance; :func:`build_manifest` checks the
keys the staleness test needs and adds what it can find out itself without importing torch::

    {
      "config": {"name": "scratch_cpu", "digest": "..."},          # required
      "dataset": {"name": "macroseg-synth", "hash": "..."},        # required
      "checkpoint": {"sha256": "..."},                             # from here on: as passed
      "detectron2": {"source": "...", "version": "..."},
      "device": "cpu (2 threads)",
      "timings_s": {"data": 1.2, "train": 600.0, ...},
      ...,
      "code_version": "0.1.0+g1234abc",                            # added unless passed
      "libraries": {"numpy": "2.1.0", "torch": "2.4.1", ...},      # added
      "python": "3.11.9", "platform": "Linux-...-x86_64",          # added
      "created": "2025-01-01T12:00:00+00:00"                       # added (UTC)
    }
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from benchmark.environment import code_version
from benchmark.fileio import write_json_atomic

#: Distributions whose versions are recorded (looked up, never imported).
LIBRARIES = (
    "macroseg",
    "torch",
    "torchvision",
    "detectron2",
    "pb1-detectron2",
    "fvcore",
    "numpy",
    "scipy",
    "scikit-image",
    "pycocotools",
    "opencv-python-headless",
    "pillow",
    "matplotlib",
)
#: Name of the manifest file in the report folder.
MANIFEST_NAME = "manifest.json"
#: Required provenance: section -> keys.
REQUIRED = {"config": ("name", "digest"), "dataset": ("name", "hash")}


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution (``None`` when not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def build_manifest(
    provenance: Mapping[str, Any],
    libraries: Sequence[str] = LIBRARIES,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The manifest: ``provenance`` plus code version, library versions, platform and time.

    Parameters
    ----------
    provenance
        What the pipeline knows (see the module docstring); ``config.name``,
        ``config.digest``, ``dataset.name`` and ``dataset.hash`` are required. Keys given here
        win over the ones this function adds.
    libraries
        Distributions whose versions to record.
    created
        Creation time (default now), stored in UTC ISO 8601.

    Raises
    ------
    ValueError
        If a required key is missing.
    """
    missing = [
        f"{section}.{key}"
        for section, keys in REQUIRED.items()
        for key in keys
        if not isinstance(provenance.get(section), Mapping) or key not in provenance[section]
    ]
    if missing:
        raise ValueError(f"manifest provenance lacks {', '.join(missing)}")
    when = (created or datetime.now(timezone.utc)).astimezone(timezone.utc)
    added = {
        "code_version": code_version(),
        "libraries": library_versions(libraries),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "created": when.isoformat(timespec="seconds"),
    }
    return {
        **json.loads(json.dumps(provenance, default=str)),
        **{k: v for k, v in added.items() if k not in provenance},
    }


def write_manifest(manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write the manifest as JSON, atomically; return the path."""
    return write_json_atomic(path, dict(manifest))


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a manifest written by :func:`write_manifest`.

    Raises
    ------
    FileNotFoundError, ValueError
        If the file is missing or not a JSON object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data


def manifest_is_stale(
    manifest: Mapping[str, Any], config_digest: str, dataset_hash: str
) -> str | None:
    """Why the figures no longer match the current config and dataset, or ``None`` if they do.

    Parameters
    ----------
    manifest
        A manifest (e.g. the committed ``docs/assets/benchmark/manifest.json``).
    config_digest, dataset_hash
        The digest of the current default config and the hash of the current default dataset.
    """
    config = manifest.get("config") or {}
    dataset = manifest.get("dataset") or {}
    differences = [
        f"{what} {have!r} (now {want!r})"
        for what, have, want in (
            ("config digest", config.get("digest"), config_digest),
            ("dataset hash", dataset.get("hash"), dataset_hash),
        )
        if have != want
    ]
    if not differences:
        return None
    return (
        f"The benchmark figures are stale: they were made with {' and '.join(differences)}. "
        "Run `make benchmark` to regenerate docs/assets/benchmark/ and commit the result."
    )
