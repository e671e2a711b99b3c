"""The synthetic generator: determinism, exact masks, the default dataset's counts."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from benchmark.data.generate import (
    DEFAULT_SPEC,
    DatasetSpec,
    cached_path,
    default_dataset,
    generate_dataset,
)
from benchmark.data.synthetic import (
    SynthConfig,
    generate_image,
    image_rng,
    render,
    sample_scene,
    scene_masks,
)


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path, small_dataset: Path, small_spec: DatasetSpec) -> None:
    again = generate_dataset(tmp_path / "again", small_spec, workers=2, progress=False)
    assert tree_digest(again) == tree_digest(small_dataset)


def test_other_seed_other_images(
    tmp_path: Path, small_dataset: Path, small_spec: DatasetSpec
) -> None:
    spec = DatasetSpec(name="tiny", seed=12, splits=small_spec.splits, config=small_spec.config)
    other = generate_dataset(tmp_path / "other", spec, workers=1, progress=False)
    assert tree_digest(other) != tree_digest(small_dataset)


@pytest.mark.parametrize(
    ("modality", "bits", "dtype"), [("phase", 16, np.uint16), ("fluorescence", 8, np.uint8)]
)
def test_modalities_and_bit_depths(modality: str, bits: int, dtype: type) -> None:
    config = SynthConfig(
        height=128, width=128, cells_per_image=5, modality=modality, bit_depth=bits
    )
    image, _ = generate_image(3, 0, 0, config)
    again, _ = generate_image(3, 0, 0, config)
    assert image.dtype == dtype and image.shape == (128, 128)
    assert np.array_equal(image, again)
    assert image.std() > 0


def test_masks_do_not_overlap_and_are_single_pieces() -> None:
    config = SynthConfig(height=256, width=256, cells_per_image=20)
    for index in range(4):
        scene = sample_scene(image_rng(5, 0, index), config)
        masks = scene_masks(scene)
        assert np.sum(masks, axis=0).max() <= 1
        for mask in masks:
            assert ndimage.label(mask, structure=np.ones((3, 3)))[1] == 1


def test_masks_match_rendered_cells() -> None:
    """Every annotation is a visible cell; every visible object is annotated or is debris."""
    config = SynthConfig(height=256, width=256, cells_per_image=16)
    for index in range(4):
        scene = sample_scene(image_rng(9, 0, index), config)
        clean = render(scene, config)  # noise-free, even illumination, background 1.0
        contrast = np.abs(clean - 1.0)
        for mask in scene_masks(scene):
            assert contrast[mask].mean() > 0.03, "annotation without a visible cell"
        cells = ndimage.binary_dilation(scene.labels > 0, iterations=14)
        debris = ndimage.binary_dilation(scene.debris, iterations=14)
        visible, n = ndimage.label(contrast > 0.05)
        for k in range(1, n + 1):
            blob = visible == k
            assert (blob & (cells | debris)).any(), "visible object that is neither cell nor debris"
            if not (blob & cells).any():
                assert (blob & debris).any()


def test_default_dataset_counts_and_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACROSEG_CACHE", str(tmp_path))
    start = time.perf_counter()
    root = default_dataset(DEFAULT_SPEC, progress=False)
    elapsed = time.perf_counter() - start
    assert root == cached_path(DEFAULT_SPEC) and root.is_relative_to(tmp_path)
    assert elapsed < 60
    card = json.loads((root / "card.json").read_text())
    splits = card["splits"]
    assert 480 <= splits["train"]["instances"] <= 560
    assert 140 <= splits["validation"]["instances"] <= 190
    assert splits["test"]["instances"] >= 300
    for split in splits.values():
        assert set(split["per_class"]) == {"macrophage", "dead_macrophage"}
        assert split["per_class"]["dead_macrophage"] >= 0.08 * split["instances"]
    tertiles = card["test_perimeter_over_area_tertiles"]
    assert min(tertiles["counts"]) >= 80
    # the shape story: branched cells sit in the top tertile, round ones in the bottom
    assert tertiles["per_morphology"][2].get("branched", 0) > tertiles["per_morphology"][0].get(
        "branched", 0
    )
    assert tertiles["per_morphology"][0].get("round", 0) > tertiles["per_morphology"][2].get(
        "round", 0
    )
    assert (root / "card.md").is_file()
    mtime = (root / "card.json").stat().st_mtime_ns
    assert default_dataset(DEFAULT_SPEC, progress=False) == root  # cached: not regenerated
    assert (root / "card.json").stat().st_mtime_ns == mtime


def test_generated_coco_is_valid(small_dataset: Path) -> None:
    from benchmark.data.coco import load_coco

    for split in ("train", "validation", "test"):
        dataset = load_coco(
            small_dataset / "annotations" / f"{split}.json", small_dataset / "images"
        )
        assert dataset.coco["annotations"]
        assert {a["attributes"]["morphology"] for a in dataset.coco["annotations"]}
        assert not [w for w in dataset.warnings if w.code == "overlap"]
        assert all(img["pixel_size_um"] == 0.65 for img in dataset.coco["images"])
