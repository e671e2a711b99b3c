"""Splits, detectron2 dataset dicts (and registration when detectron2 is installed), the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmark.data.catalog import BOX_MODE_XYWH_ABS, dataset_dicts
from benchmark.data.coco import load_coco
from benchmark.data.masks import decode_rle, polygons_to_mask
from benchmark.data.splits import holdout, kfold, subset

IMAGES = [{"id": i, "field": f"f{i // 3}"} for i in range(1, 31)]


def test_kfold_partitions_images_and_is_seeded() -> None:
    folds = kfold(IMAGES, 5, seed=3)
    validation = [i for _, val in folds for i in val]
    assert sorted(validation) == list(range(1, 31))
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == 30
    assert kfold(IMAGES, 5, seed=3) == folds
    assert kfold(IMAGES, 5, seed=4) != folds


def test_kfold_keeps_groups_together() -> None:
    for _, val in kfold(IMAGES, 4, seed=1, group_key="field"):
        fields = {f"f{i // 3}" for i in val}
        members = [img["id"] for img in IMAGES if img["field"] in fields]
        assert sorted(members) == val


def test_holdout_is_fixed_and_grouped() -> None:
    rest, test = holdout(IMAGES, 0.2, seed=0, group_key="field")
    assert (rest, test) == holdout(IMAGES, 0.2, seed=0, group_key="field")
    assert len(test) == 6 and not set(rest) & set(test)
    assert {i // 3 for i in test}.isdisjoint({i // 3 for i in rest})


def test_subset_keeps_only_chosen_images(small_dataset: Path) -> None:
    coco = json.loads((small_dataset / "annotations" / "train.json").read_text())
    part = subset(coco, [1])
    assert [img["id"] for img in part["images"]] == [1]
    assert {a["image_id"] for a in part["annotations"]} == {1}


@pytest.mark.parametrize("mask_format", ["bitmask", "polygon"])
def test_dataset_dicts(small_dataset: Path, mask_format: str) -> None:
    dataset = load_coco(small_dataset / "annotations" / "test.json", small_dataset / "images")
    records = dataset_dicts(dataset, mask_format)
    assert len(records) == len(dataset.coco["images"])
    record = records[0]
    assert Path(record["file_name"]).is_file()
    assert {"file_name", "image_id", "height", "width", "annotations"} <= set(record)
    ann, source = record["annotations"][0], dataset.coco["annotations"][0]
    assert ann["bbox_mode"] == BOX_MODE_XYWH_ABS
    assert ann["category_id"] in (0, 1)
    truth = decode_rle(source["segmentation"])
    if mask_format == "bitmask":
        assert np.array_equal(decode_rle(ann["segmentation"]), truth)
    else:
        drawn = polygons_to_mask(ann["segmentation"], record["height"], record["width"])
        assert (drawn & truth).sum() / (drawn | truth).sum() > 0.8
    categories = {a["category_id"] for r in records for a in r["annotations"]}
    assert categories == {0, 1}


def test_detectron2_registration(small_dataset: Path) -> None:
    pytest.importorskip("detectron2")
    from detectron2.data import DatasetCatalog, MetadataCatalog

    from benchmark.data.catalog import register_dataset_folder

    names = register_dataset_folder(small_dataset, "tiny_registration_test")
    assert names == [f"tiny_registration_test_{s}" for s in ("test", "train", "validation")]
    records = DatasetCatalog.get(names[0])
    assert records and records[0]["annotations"][0]["bbox_mode"] == 1
    meta = MetadataCatalog.get(names[0])
    assert meta.thing_classes == ["macrophage", "dead_macrophage"]
    assert len(meta.thing_colors) == 2


def test_cli_synth_validate_info_import(tmp_path: Path) -> None:
    from benchmark.cli import app

    runner = CliRunner()
    out = tmp_path / "ds"
    result = runner.invoke(
        app,
        [
            "data",
            "synth",
            "--out",
            str(out),
            "--train",
            "20",
            "--validation",
            "10",
            "--test",
            "10",
            "--seed",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "data",
            "validate",
            str(out / "annotations" / "test.json"),
            "--images",
            str(out / "images"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output
    result = runner.invoke(app, ["data", "info", str(out)])
    assert result.exit_code == 0 and "dead_macrophage" in result.output
    result = runner.invoke(
        app,
        [
            "data",
            "import",
            "coco",
            str(out / "annotations" / "test.json"),
            "--images",
            str(out / "images"),
            "--out",
            str(tmp_path / "imp"),
        ],
    )
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"images": [], "annotations": [{"id": 1}], "categories": []}))
    result = runner.invoke(app, ["data", "validate", str(bad)])
    assert result.exit_code == 1


def test_data_package_imports_no_torch_or_detectron2() -> None:
    import subprocess
    import sys

    code = (
        "import sys, benchmark.data.coco, benchmark.data.generate, benchmark.data.importers, "
        "benchmark.data.catalog, benchmark.data.splits, benchmark.data.commands; "
        "print(sorted(m for m in ('torch', 'detectron2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_write_splits_makes_disjoint_image_splits_and_keeps_the_input(small_dataset, tmp_path):
    import json

    from benchmark.data.splits import write_splits

    coco = json.loads((small_dataset / "annotations" / "train.json").read_text())
    for split in ("validation", "test"):  # one pool of all the small dataset's images
        other = json.loads((small_dataset / "annotations" / f"{split}.json").read_text())
        coco["images"] += other["images"]
        coco["annotations"] += other["annotations"]
    for index, image in enumerate(coco["images"]):
        image["field"] = index // 2  # pairs of crops of one field of view
    source = tmp_path / "annotations.json"
    source.write_text(json.dumps(coco))
    before = source.read_bytes()
    written = write_splits(
        tmp_path, test_fraction=0.25, validation_fraction=0.25, group_key="field"
    )
    assert source.read_bytes() == before
    ids = {
        name: {i["id"] for i in json.loads(p.read_text())["images"]} for name, p in written.items()
    }
    assert set(ids) == {"train", "validation", "test"} and all(ids.values())
    assert ids["train"] | ids["validation"] | ids["test"] == {i["id"] for i in coco["images"]}
    assert not (ids["train"] & ids["test"] or ids["train"] & ids["validation"])
    field = {i["id"]: i["field"] for i in coco["images"]}
    fields = {name: {field[i] for i in members} for name, members in ids.items()}
    assert not (fields["train"] & fields["test"] or fields["validation"] & fields["test"])
