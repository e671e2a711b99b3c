"""The detectron2 install recipe: pinned download with digest check, cache, build tree."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from benchmark import install_detectron2 as recipe


def _make_sdist(folder: Path, with_package: bool = True) -> Path:
    """A small stand-in for the pb1-detectron2 sdist, laid out like the real one."""
    path = folder / recipe.SDIST_NAME
    files = {"pb1-detectron2-0.6/setup.py": b"raise SystemExit('must not run')\n"}
    if with_package:
        files |= {
            "pb1-detectron2-0.6/detectron2/__init__.py": b"__version__ = '0.6'\n",
            "pb1-detectron2-0.6/detectron2/model_zoo/__init__.py": b"",
            "pb1-detectron2-0.6/detectron2/model_zoo/configs/Base.yaml": b"MODEL: {}\n",
        }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_downloads_verifies_and_caches(tmp_path):
    source = _make_sdist(tmp_path)
    digest = _sha256(source)
    destination = tmp_path / "cache" / "downloads" / recipe.SDIST_NAME
    assert recipe.fetch(source.as_uri(), digest, destination) == destination
    assert destination.read_bytes() == source.read_bytes()
    source.unlink()  # a second call must use the cache, not the URL
    assert recipe.fetch(source.as_uri(), digest, destination) == destination
    assert [p.name for p in destination.parent.iterdir()] == [recipe.SDIST_NAME]


def test_fetch_rejects_a_wrong_digest_and_leaves_no_file(tmp_path):
    source = _make_sdist(tmp_path)
    destination = tmp_path / "cache" / recipe.SDIST_NAME
    with pytest.raises(recipe.InstallError, match=r"sha256 is .* expected 0000"):
        recipe.fetch(source.as_uri(), "0" * 64, destination)
    assert list(destination.parent.iterdir()) == []


def test_fetch_offline_says_how_to_supply_a_local_file(tmp_path):
    missing = (tmp_path / "nowhere.tar.gz").as_uri()
    with pytest.raises(recipe.InstallError, match="--sdist FILE"):
        recipe.fetch(missing, "0" * 64, tmp_path / "cache" / recipe.SDIST_NAME)


def test_pinned_digest_is_checked_for_a_local_sdist(tmp_path):
    with pytest.raises(recipe.InstallError, match=recipe.SDIST_SHA256):
        recipe.install(_make_sdist(tmp_path), force=True)


def test_build_tree_holds_only_the_python_package_and_its_configs(tmp_path):
    project = recipe.prepare_build_tree(_make_sdist(tmp_path), tmp_path / "work")
    assert sorted(p.name for p in project.iterdir()) == ["detectron2", "pyproject.toml"]
    assert (project / "detectron2/model_zoo/configs/Base.yaml").is_file()
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "pb1-detectron2"' in pyproject
    assert "configs/**/*.yaml" in pyproject


def test_build_tree_rejects_an_archive_without_detectron2(tmp_path):
    sdist = _make_sdist(tmp_path, with_package=False)
    with pytest.raises(recipe.InstallError, match=r"no detectron2/__init__\.py"):
        recipe.prepare_build_tree(sdist, tmp_path / "work")


def test_an_importable_detectron2_is_left_as_it_is():
    assert "left as it is" in recipe.install()
