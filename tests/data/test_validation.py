"""Validation of COCO files: one test per error, plus the warnings and the exception."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from benchmark.data.coco import load_coco
from benchmark.data.errors import DatasetError, Severity
from benchmark.data.importers import read_problems
from benchmark.data.masks import encode_mask

H, W = 40, 50


def square(x0: int, y0: int, size: int = 10) -> list[list[float]]:
    return [[x0, y0, x0 + size, y0, x0 + size, y0 + size, x0, y0 + size]]


def base_coco() -> dict[str, Any]:
    mask = np.zeros((H, W), dtype=bool)
    mask[20:30, 30:45] = True
    return {
        "images": [
            {"id": 1, "file_name": "a.png", "width": W, "height": H},
            {"id": 2, "file_name": "b.png", "width": W, "height": H},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": square(5, 5)},
            {"id": 2, "image_id": 1, "category_id": 2, "segmentation": encode_mask(mask)},
            {"id": 3, "image_id": 2, "category_id": 1, "segmentation": square(10, 10, 12)},
        ],
        "categories": [{"id": 1, "name": "macrophage"}, {"id": 2, "name": "dead_macrophage"}],
    }


def write(
    tmp_path: Path, coco: dict[str, Any], images: dict[str, np.ndarray] | None = None
) -> Path:
    images = (
        images
        if images is not None
        else {"a.png": np.full((H, W), 100, np.uint8), "b.png": np.full((H, W), 90, np.uint8)}
    )
    for name, array in images.items():
        Image.fromarray(array).save(tmp_path / name)
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(coco))
    return path


def codes(path: Path, severity: Severity = Severity.ERROR) -> list[str]:
    return [p.code for p in read_problems(path, None) if p.severity is severity]


def test_valid_file_loads_and_is_not_modified(tmp_path: Path) -> None:
    path = write(tmp_path, base_coco())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    dataset = load_coco(path)
    assert len(dataset.coco["annotations"]) == 3
    assert all(isinstance(a["segmentation"]["counts"], str) for a in dataset.coco["annotations"])
    assert dataset.coco["annotations"][0]["area"] == 100
    assert dataset.coco["annotations"][0]["bbox"] == [5.0, 5.0, 10.0, 10.0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_uncompressed_rle_is_accepted(tmp_path: Path) -> None:
    coco = base_coco()
    mask = np.zeros((H, W), dtype=bool)
    mask[2:6, 3:9] = True
    flat = mask.ravel(order="F").astype(int)
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    counts = np.diff(np.concatenate([[0], changes])).tolist()
    counts[-1] = H * W - sum(counts[:-1])
    coco["annotations"][2]["segmentation"] = {"size": [H, W], "counts": counts}
    dataset = load_coco(write(tmp_path, coco))
    assert dataset.coco["annotations"][2]["area"] == 24


def mutate(tmp_path: Path, change: Any) -> Path:
    coco = base_coco()
    change(coco)
    return write(tmp_path, coco)


def test_missing_key(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda c: c["annotations"][0].pop("segmentation"))
    with pytest.raises(DatasetError) as info:
        load_coco(path)
    assert "missing-key" in [p.code for p in info.value.problems]
    assert "annotation 1" in str(info.value) and "ann.json" in str(info.value)


def test_missing_section(tmp_path: Path) -> None:
    assert codes(mutate(tmp_path, lambda c: c.pop("categories"))) == ["missing-key"]


def test_duplicate_annotation_id(tmp_path: Path) -> None:
    assert "duplicate-id" in codes(mutate(tmp_path, lambda c: c["annotations"][1].update(id=1)))


def test_duplicate_image_id(tmp_path: Path) -> None:
    assert "duplicate-id" in codes(mutate(tmp_path, lambda c: c["images"][1].update(id=1)))


def test_unknown_image(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda c: c["annotations"][0].update(image_id=99))
    problems = [p for p in read_problems(path, None) if p.code == "unknown-image"]
    assert problems and problems[0].annotation_id == 1 and problems[0].image_id == 99


def test_unknown_category(tmp_path: Path) -> None:
    assert "unknown-category" in codes(
        mutate(tmp_path, lambda c: c["annotations"][0].update(category_id=7))
    )


def test_polygon_with_too_few_points(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda c: c["annotations"][0].update(segmentation=[[1, 1, 5, 5]]))
    assert "polygon-too-few-points" in codes(path)


def test_coordinates_outside_image(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda c: c["annotations"][0].update(segmentation=square(45, 5, 20)))
    assert "outside-image" in codes(path)


def test_coordinates_just_past_the_edge_are_clipped_with_a_warning(tmp_path: Path) -> None:
    path = mutate(
        tmp_path, lambda c: c["annotations"][0].update(segmentation=[[-0.5, 0, 10, 0, 10, 10]])
    )
    assert codes(path) == []
    assert "clipped" in codes(path, Severity.WARNING)


def test_empty_mask(tmp_path: Path) -> None:
    empty = encode_mask(np.zeros((H, W), dtype=bool))
    assert "empty-mask" in codes(
        mutate(tmp_path, lambda c: c["annotations"][1].update(segmentation=empty))
    )


def test_degenerate_polygon(tmp_path: Path) -> None:
    line = [[1, 1, 5, 5, 10, 10, 20, 20]]
    assert "degenerate-polygon" in codes(
        mutate(tmp_path, lambda c: c["annotations"][0].update(segmentation=line))
    )


def test_rle_size_mismatch(tmp_path: Path) -> None:
    wrong = encode_mask(np.ones((H + 1, W), dtype=bool))
    assert "rle-size-mismatch" in codes(
        mutate(tmp_path, lambda c: c["annotations"][1].update(segmentation=wrong))
    )


def test_uncompressed_rle_length_mismatch(tmp_path: Path) -> None:
    bad = {"size": [H, W], "counts": [10, 5, 3]}
    assert "rle-size-mismatch" in codes(
        mutate(tmp_path, lambda c: c["annotations"][1].update(segmentation=bad))
    )


def test_missing_image_file(tmp_path: Path) -> None:
    path = write(tmp_path, base_coco(), images={"a.png": np.zeros((H, W), np.uint8)})
    problems = [p for p in read_problems(path, None) if p.code == "missing-image"]
    assert problems and problems[0].image_id == 2 and problems[0].file.endswith("b.png")


def test_unreadable_image_file(tmp_path: Path) -> None:
    path = write(tmp_path, base_coco())
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert "unreadable-image" in codes(path)


def test_image_size_differs_from_json(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        base_coco(),
        images={"a.png": np.zeros((H, W), np.uint8), "b.png": np.zeros((H, W + 3), np.uint8)},
    )
    assert codes(path) == ["image-size-mismatch"]


def test_unsupported_channel_layout(tmp_path: Path) -> None:
    import tifffile

    coco = base_coco()
    coco["images"][1]["file_name"] = "b.tif"
    path = write(tmp_path, coco, images={"a.png": np.zeros((H, W), np.uint8)})
    tifffile.imwrite(tmp_path / "b.tif", np.zeros((5, H, W), np.uint16))  # a Z stack
    assert codes(path) == ["channel-layout"]


def test_rgb_images_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        base_coco(),
        images={"a.png": np.zeros((H, W, 3), np.uint8), "b.png": np.zeros((H, W), np.uint8)},
    )
    assert codes(path) == []


def test_warnings_do_not_reject(tmp_path: Path) -> None:
    coco = copy.deepcopy(base_coco())
    coco["annotations"][0]["bbox"] = [0, 0, 40, 40]
    coco["annotations"][2]["iscrowd"] = 1
    coco["annotations"].append(
        {"id": 4, "image_id": 1, "category_id": 1, "segmentation": square(8, 8)}
    )
    coco["images"].append({"id": 3, "file_name": "a.png", "width": W, "height": H})
    path = write(tmp_path, coco)
    assert codes(path) == ["duplicate-file"]
    coco["images"].pop()
    path = write(tmp_path, coco)
    assert codes(path) == []
    assert {"bbox-recomputed", "crowd", "overlap"} <= set(codes(path, Severity.WARNING))


def test_all_errors_are_collected(tmp_path: Path) -> None:
    def breaks(c: dict[str, Any]) -> None:
        c["annotations"][0]["segmentation"] = [[1, 1, 2, 2]]
        c["annotations"][2]["segmentation"] = square(100, 100)

    with pytest.raises(DatasetError) as info:
        load_coco(mutate(tmp_path, breaks))
    assert [p.code for p in info.value.problems if p.severity is Severity.ERROR] == [
        "polygon-too-few-points",
        "outside-image",
    ]
    assert "2 error(s)" in str(info.value)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "ann.json"
    path.write_text("{nope")
    assert codes(path) == ["unreadable-json"]
