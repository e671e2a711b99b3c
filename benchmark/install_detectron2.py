"""Install detectron2 v0.6 into the running interpreter, without compiling anything.

detectron2's authors publish no release on the package registry. This recipe, run by ``make``
with the project's virtual environment, does the following, in this order:

1. If ``import detectron2`` already works (for example the official compiled build, installed with
   ``pip install --no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git'``),
   it is used as it is and nothing is installed.
2. Otherwise the registry sdist ``pb1-detectron2==0.6`` is fetched (pinned URL and sha256, cached
   under ``$MACROSEG_CACHE`` or ``~/.cache/macroseg``), or taken from a local file given with
   ``--sdist`` / ``$MACROSEG_DETECTRON2_SDIST``. Its Python files are identical to detectron2's
   ``v0.6`` tag, but it lacks ``detectron2/layers/csrc`` so its own ``setup.py`` cannot build.
3. Only its ``detectron2`` package (with the model-zoo configs) is installed, as a pure-Python
   distribution named ``pb1-detectron2``. :mod:`benchmark.compat` then supplies what the missing
   compiled extension would have provided.

This file uses the standard library only, so it runs before the project is importable::

    python benchmark/install_detectron2.py [--sdist FILE] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

SDIST_NAME = "pb1-detectron2-0.6.tar.gz"
SDIST_URL = (
    "https://files.pythonhosted.org/packages/60/26/"
    "48f5bbb7ee492696a21da23303daeecdfe3942c498a70d34108acf63b2bd/" + SDIST_NAME
)
SDIST_SHA256 = "5d2e9e51e523ec72f6a31cca04b0a515492e9514b773a3d134cedc0677170b29"
DISTRIBUTION_NAME = "pb1-detectron2"
DISTRIBUTION_VERSION = "0.6"

# The metadata of the pure-Python distribution built from the sdist. Its runtime requirements are
# installed with macroseg itself (see pyproject.toml), so the build is installed with --no-deps.
_PYPROJECT = f"""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "{DISTRIBUTION_NAME}"
version = "{DISTRIBUTION_VERSION}"
description = "detectron2 v0.6 Python sources from the pb1-detectron2 sdist, without _C"
requires-python = ">=3.8"

[tool.setuptools.packages.find]
include = ["detectron2*"]
namespaces = false

[tool.setuptools.package-data]
"detectron2.model_zoo" = ["configs/**/*.yaml", "configs/**/*.py"]
"""


class InstallError(RuntimeError):
    """The detectron2 sdist could not be fetched, verified or installed."""


def cache_dir() -> Path:
    """Folder for downloads: ``$MACROSEG_CACHE`` or ``~/.cache/macroseg``."""
    return Path(os.environ.get("MACROSEG_CACHE", Path.home() / ".cache" / "macroseg"))


def sha256_of(path: Path) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str) -> None:
    """Raise :class:`InstallError` unless ``path`` has the expected SHA-256 digest."""
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise InstallError(
            f"{path}: sha256 is {actual}, expected {expected_sha256}. "
            "The file is corrupt or not the pinned pb1-detectron2 0.6 sdist; delete it and retry."
        )


def fetch(url: str, expected_sha256: str, destination: Path, timeout: float = 120.0) -> Path:
    """Return ``destination``, downloading ``url`` there first unless a verified copy exists.

    The download goes to a temporary file beside ``destination`` and is renamed into place only
    after its digest matched, so an interrupted download never leaves a bad cache entry.
    """
    if destination.exists():
        verify(destination, expected_sha256)
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    shutil.copyfileobj(response, out)
            except OSError as error:
                raise InstallError(
                    f"could not download {url}: {error}. Offline? Download {SDIST_NAME} on a "
                    "machine with internet and pass it with --sdist FILE "
                    "(or MACROSEG_DETECTRON2_SDIST=FILE)."
                ) from error
        verify(Path(partial), expected_sha256)
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return destination


def prepare_build_tree(sdist: Path, workdir: Path) -> Path:
    """Unpack the sdist and lay out a pure-Python project holding its ``detectron2`` package."""
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(workdir, filter="data")
        else:  # Python without extraction filters: allow plain files and folders inside only
            for member in archive.getmembers():
                name = Path(member.name)
                if (
                    name.is_absolute()
                    or ".." in name.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise InstallError(f"{sdist}: unsafe archive member {member.name!r}")
            archive.extractall(workdir)
    unpacked = workdir / sdist.name.removesuffix(".tar.gz")
    package = unpacked / "detectron2"
    if not (package / "__init__.py").is_file():
        raise InstallError(f"{sdist}: no detectron2/__init__.py inside; not a detectron2 sdist")
    project = workdir / "project"
    project.mkdir()
    shutil.move(str(package), project / "detectron2")
    (project / "pyproject.toml").write_text(_PYPROJECT)
    return project


def installed_detectron2() -> str | None:
    """Location of an importable detectron2 in this interpreter, or ``None``."""
    spec = importlib.util.find_spec("detectron2")
    return None if spec is None else str(spec.origin)


def install(sdist: Path | None = None, force: bool = False) -> str:
    """Install detectron2 as described in the module docstring; return what was done."""
    if not force and (location := installed_detectron2()):
        return f"detectron2 already importable from {location}; left as it is"
    if sdist is None:
        sdist = fetch(SDIST_URL, SDIST_SHA256, cache_dir() / "downloads" / SDIST_NAME)
    else:
        verify(sdist, SDIST_SHA256)
    with tempfile.TemporaryDirectory(prefix="macroseg-detectron2-") as tmp:
        project = prepare_build_tree(sdist, Path(tmp))
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--force-reinstall",
            str(project),
        ]
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            raise InstallError(f"pip failed ({completed.returncode}): {' '.join(command)}")
    return f"installed {DISTRIBUTION_NAME} {DISTRIBUTION_VERSION} (Python only) from {sdist}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sdist",
        type=Path,
        default=os.environ.get("MACROSEG_DETECTRON2_SDIST"),
        help=f"local copy of {SDIST_NAME} (checked against the pinned sha256)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="reinstall from the sdist even if detectron2 is importable",
    )
    args = parser.parse_args(argv)
    try:
        print(install(Path(args.sdist) if args.sdist else None, force=args.force))
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
