"""What a bug report needs to know about the machine: versions, detectron2's source, devices.

Used by ``macroseg doctor`` and by the run manifests, so that every number the project reports
names the software it came from.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def code_version() -> str:
    """macroseg's version plus the git commit of the source tree (``.dirty`` if modified)."""
    from benchmark import __version__

    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    command = ["git", "-C", str(root), *args]
    return subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def source_digest(*parts: str) -> str:
    """SHA-256 of the Python sources of some of macroseg's modules or packages.

    ``parts`` are dotted names below ``benchmark`` (``"metrics"``, ``"model.predict"``). Cached
    results keyed by this digest are redone when that code changes, whatever git says.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for part in sorted(parts):
        path = root.joinpath(*part.split("."))
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def detectron2_source() -> dict[str, str]:
    """detectron2's version, location and where it came from.

    ``source`` is one of ``"official (compiled _C)"``, ``"registry pb1-detectron2 + macroseg
    compatibility (no _C)"`` or ``"not installed"``.
    """
    if importlib.util.find_spec("detectron2") is None:
        return {"version": "not installed", "location": "-", "source": "not installed"}
    import detectron2

    from benchmark import compat

    distributions = importlib.metadata.packages_distributions().get("detectron2", [])
    if compat.compiled_extension_present():
        source = "official (compiled _C)"
    else:
        source = f"registry {'/'.join(distributions) or 'unknown'} + macroseg compatibility (no _C)"
    return {
        "version": str(getattr(detectron2, "__version__", "unknown")),
        "location": os.path.dirname(detectron2.__file__),
        "source": source,
    }


def collect_environment() -> dict[str, str]:
    """Key facts of this environment as ordered ``name -> value`` strings.

    Importing torch and detectron2 here is deliberate: the report must describe the libraries that
    a run would really use, including the compatibility layer's decision.
    """
    import torch
    import torchvision

    info: dict[str, str] = {
        "macroseg": code_version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch CUDA build": str(torch.version.cuda),
        "torchvision": torchvision.__version__,
    }
    d2 = detectron2_source()
    info["detectron2"] = d2["version"]
    info["detectron2 source"] = d2["source"]
    info["detectron2 location"] = d2["location"]
    for distribution in ("numpy", "pycocotools", "pillow", "fvcore"):
        info[distribution] = _version(distribution)
    cuda = torch.cuda.is_available()
    info["CUDA available"] = str(cuda)
    if cuda:
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["GPUs"] = "; ".join(f"{i}: {name}" for i, name in enumerate(names))
    info["CPU cores"] = str(os.cpu_count())
    info["torch threads"] = str(torch.get_num_threads())
    return info


def format_environment(info: dict[str, str]) -> str:
    """Aligned ``name: value`` lines, ready to paste into an issue."""
    width = max(map(len, info))
    return "\n".join(f"{name.ljust(width)} : {value}" for name, value in info.items())
