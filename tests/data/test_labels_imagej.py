"""Label images and ImageJ ROI sets: round trips and expected masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from benchmark.data.coco import load_coco
from benchmark.data.errors import DatasetError
from benchmark.data.importers import import_coco, import_label_images, import_roi_sets
from benchmark.data.labels import export_label_images, label_masks
from benchmark.data.masks import decode_rle


def masks_of(coco: dict) -> list[np.ndarray]:
    return [decode_rle(a["segmentation"]) for a in coco["annotations"]]


def test_coco_to_labels_to_coco_preserves_every_mask(small_dataset: Path, tmp_path: Path) -> None:
    for split in ("train", "test"):
        dataset = load_coco(
            small_dataset / "annotations" / f"{split}.json", small_dataset / "images"
        )
        export_label_images(dataset, tmp_path / f"labels-{split}")
        back = import_label_images(
            tmp_path / f"labels-{split}",
            small_dataset / "images" / split,
            tmp_path / f"back-{split}",
        )
        before, after = masks_of(dataset.coco), masks_of(back.coco)
        assert len(before) == len(after) > 0
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
        assert [a["category_id"] for a in dataset.coco["annotations"]] == [
            a["category_id"] for a in back.coco["annotations"]
        ]
        assert len(back.coco["images"]) == len(dataset.coco["images"])


def test_export_refuses_overlapping_masks(tmp_path: Path, small_dataset: Path) -> None:
    dataset = load_coco(small_dataset / "annotations" / "test.json", small_dataset / "images")
    first = dataset.coco["annotations"][0]
    dataset.coco["annotations"].append({**first, "id": 10_000})
    with pytest.raises(DatasetError):
        export_label_images(dataset, tmp_path / "labels")
    assert not (tmp_path / "labels").exists()
    export_label_images(dataset, tmp_path / "labels", allow_overlap=True)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32])
def test_label_images_with_any_ids_and_depths(tmp_path: Path, dtype: type) -> None:
    labels = np.zeros((30, 40), dtype=dtype)
    labels[2:8, 3:9] = 7
    labels[10:20, 10:30] = (
        200 if dtype == np.uint8 else 70_000 if dtype in (np.int32, np.float32) else 3000
    )
    (tmp_path / "lab").mkdir()
    (tmp_path / "img").mkdir()
    suffix = ".png" if dtype in (np.uint8, np.uint16) else ".tif"
    if suffix == ".png":
        from benchmark.data.images import write_image

        write_image(tmp_path / "lab" / f"cells_masks{suffix}", labels)
    else:
        tifffile.imwrite(tmp_path / "lab" / f"cells_masks{suffix}", labels)
    Image.fromarray(np.full((30, 40), 80, np.uint8)).save(tmp_path / "img" / "cells.png")
    dataset = import_label_images(tmp_path / "lab", tmp_path / "img", tmp_path / "out")
    assert [a["area"] for a in dataset.coco["annotations"]] == [36, 200]
    assert (tmp_path / "out" / "images" / "cells.png").is_file()
    assert load_coco(tmp_path / "out" / "annotations.json", tmp_path / "out" / "images")


def test_label_image_without_its_image_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "lab").mkdir()
    (tmp_path / "img").mkdir()
    tifffile.imwrite(tmp_path / "lab" / "orphan_labels.tif", np.ones((5, 5), np.uint16))
    with pytest.raises(DatasetError, match="missing-image"):
        import_label_images(tmp_path / "lab", tmp_path / "img", tmp_path / "out")


def test_label_masks_handles_sparse_large_ids() -> None:
    labels = np.zeros((4, 4), dtype=np.uint32)
    labels[0, 0], labels[3, 3] = 4_000_000_000, 5
    assert [v for v, _ in label_masks(labels)] == [5, 4_000_000_000]


def test_imagej_polygon_and_oval_rois(tmp_path: Path) -> None:
    from roifile import ROI_TYPE, ImagejRoi, roiwrite

    h, w = 40, 60
    (tmp_path / "rois").mkdir()
    (tmp_path / "img").mkdir()
    Image.fromarray(np.zeros((h, w), np.uint8)).save(tmp_path / "img" / "field1.tif")
    # L-shaped polygon with integer vertices: pixels whose centres are inside
    polygon = ImagejRoi.frompoints(
        [[5, 5], [20, 5], [20, 10], [10, 10], [10, 25], [5, 25]], name="macrophage-1"
    )
    polygon.roitype = ROI_TYPE.POLYGON
    oval = ImagejRoi(
        roitype=ROI_TYPE.OVAL, left=30, top=8, right=50, bottom=20, name="dead_macrophage-2"
    )
    freehand = ImagejRoi.frompoints([[40, 25], [55, 25], [55, 38], [40, 38]], name="cell-3")
    line = ImagejRoi(roitype=ROI_TYPE.LINE, name="a line")
    roiwrite(tmp_path / "rois" / "field1_RoiSet.zip", [polygon, oval, freehand, line])

    expected_polygon = np.zeros((h, w), dtype=bool)
    expected_polygon[5:10, 5:20] = True
    expected_polygon[10:25, 5:10] = True
    yy, xx = np.mgrid[0:h, 0:w]
    expected_oval = ((xx + 0.5 - 40) / 10) ** 2 + ((yy + 0.5 - 14) / 6) ** 2 <= 1
    expected_freehand = np.zeros((h, w), dtype=bool)
    expected_freehand[25:38, 40:55] = True

    dataset = import_roi_sets(tmp_path / "rois", tmp_path / "img", tmp_path / "out")
    masks = masks_of(dataset.coco)
    assert len(masks) == 3
    assert np.array_equal(masks[0], expected_polygon)
    assert np.array_equal(masks[1], expected_oval)
    assert np.array_equal(masks[2], expected_freehand)
    assert [a["category_id"] for a in dataset.coco["annotations"]] == [1, 2, 1]
    assert "not-an-area" in [p.code for p in dataset.warnings]


def test_import_coco_copies_images_and_leaves_source_alone(
    small_dataset: Path, tmp_path: Path
) -> None:
    source = small_dataset / "annotations" / "validation.json"
    before = source.read_bytes()
    dataset = import_coco(source, small_dataset / "images", tmp_path / "imported")
    assert source.read_bytes() == before
    assert all(
        (tmp_path / "imported" / "images" / img["file_name"]).is_file()
        for img in dataset.coco["images"]
    )
    with pytest.raises(FileExistsError, match="not empty"):
        import_coco(source, small_dataset / "images", tmp_path / "imported")


def test_import_refuses_file_names_outside_the_image_folder(
    small_dataset: Path, tmp_path: Path
) -> None:
    import json

    coco = json.loads((small_dataset / "annotations" / "validation.json").read_text())
    first = coco["images"][0]["id"]
    coco["images"] = coco["images"][:1]
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] == first]
    (tmp_path / "elsewhere.png").write_bytes(
        (small_dataset / "images" / coco["images"][0]["file_name"]).read_bytes()
    )
    coco["images"][0]["file_name"] = "../elsewhere.png"
    source = tmp_path / "images" / "annotations.json"
    source.parent.mkdir()
    source.write_text(json.dumps(coco))
    with pytest.raises((ValueError, DatasetError), match="elsewhere"):
        import_coco(source, tmp_path / "images", tmp_path / "out")
    assert not (tmp_path / "out").exists()
