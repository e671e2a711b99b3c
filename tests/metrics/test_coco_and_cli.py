"""COCO AP against pycocotools, the COCO and label-folder adapters, the CLI and the writers."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from typer.testing import CliRunner

from benchmark.metrics.coco_ap import coco_ap
from benchmark.metrics.tables import to_csv, write_table

from .conftest import paint


def _rle(mask):
    r = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    r["counts"] = r["counts"].decode()
    return r


@pytest.fixture
def dense_coco():
    """One 96x96 image with 576 tiny cells (more than the stock cap of 100), one crowd region."""
    rng = np.random.default_rng(0)
    boxes = [(4 * i + 1, 4 * j + 1, 4 * i + 4, 4 * j + 4) for i in range(24) for j in range(24)]
    gt_label = paint((96, 96), boxes)
    anns = [
        {
            "id": k + 1,
            "image_id": 1,
            "category_id": 1 + k % 2,
            "iscrowd": 0,
            "segmentation": _rle(gt_label == k + 1),
            "area": 9.0,
            "bbox": [0, 0, 1, 1],
        }
        for k in range(len(boxes))
    ]
    crowd = np.zeros((96, 96), bool)
    crowd[80:96, 80:96] = True
    anns.append(
        {
            "id": 999,
            "image_id": 1,
            "category_id": 1,
            "iscrowd": 1,
            "segmentation": _rle(crowd),
            "area": 256.0,
            "bbox": [80, 80, 16, 16],
        }
    )
    dataset = {
        "images": [{"id": 1, "file_name": "a.png", "height": 96, "width": 96}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "macrophage"}, {"id": 2, "name": "dead_macrophage"}],
    }
    results = []
    for k, (y0, x0, y1, x1) in enumerate(boxes):
        if rng.random() < 0.2:
            continue
        m = np.zeros((96, 96), bool)
        dy = int(rng.integers(0, 2))
        m[y0 + dy : y1 + dy, x0:x1] = True
        results.append(
            {
                "image_id": 1,
                "category_id": 1 + k % 2,
                "segmentation": _rle(m),
                "score": float(rng.random()),
            }
        )
    return dataset, results


def _stock_stats(dataset, results, max_dets):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iouType="segm")
        ev.params.maxDets = [1, 10, max_dets]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def test_coco_ap_equals_pycocotools(dense_coco):
    dataset, results = dense_coco
    ours = coco_ap(dataset, results, max_dets=1000)
    stock = _stock_stats(dataset, results, 100)
    high = _stock_stats(dataset, results, 1000)
    assert ours.ap_100 == pytest.approx(stock[0], abs=1e-12)
    assert ours.ap50_100 == pytest.approx(stock[1], abs=1e-12)
    assert ours.ap75_100 == pytest.approx(stock[2], abs=1e-12)
    assert ours.ar_100 == pytest.approx(stock[8], abs=1e-12)
    # pycocotools' summarize() computes the headline AP (stats[0]) at a hard-coded cap of 100
    # whatever maxDets says (-1 if 100 is not among them); AP50/AP75/AR use maxDets[2]
    assert high[0] == -1
    assert ours.ap50 == pytest.approx(high[1], abs=1e-12)
    assert ours.ap75 == pytest.approx(high[2], abs=1e-12)
    assert ours.ar == pytest.approx(high[8], abs=1e-12)
    assert ours.cap_matters and ours.ap > ours.ap_100


def test_cli_on_coco(tmp_path, dense_coco):
    from benchmark.cli import app

    dataset, results = dense_coco
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "res.json").write_text(json.dumps(results))
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(tmp_path / "gt.json"),
            str(tmp_path / "res.json"),
            "--out",
            str(out),
            "--n-resamples",
            "50",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "macrophage" in r.output and "COCO AP" in r.output and "stock 100-cap" in r.output
    for name in ("overall", "subsets", "per_image", "intervals", "errors"):
        assert (out / f"{name}.csv").is_file() and (out / f"{name}.json").is_file()
    overall = json.loads((out / "overall.json").read_text())
    classes = {row["class_name"] for row in overall}
    assert classes == {"all", "macrophage", "dead_macrophage"}
    assert json.loads((out / "coco_ap.json").read_text())["max_dets"] == 1000
    assert not list(out.glob(".*.tmp"))


def test_cli_on_label_folders_and_errors(tmp_path):
    from benchmark.cli import app

    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    label = paint((32, 32), [(0, 0, 8, 8), (10, 10, 20, 20), (22, 0, 30, 9)])
    for name in ("a", "b"):
        np.save(gt / f"{name}.npy", label)
        np.save(pred / f"{name}.npy", np.roll(label, 1, axis=0))
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(gt),
            str(pred),
            "--out",
            str(out),
            "--n-resamples",
            "20",
            "--subset-feature",
            "none",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "2 images" in r.output
    rows = json.loads((out / "per_image.json").read_text())
    assert {row["image_id"] for row in rows} == {"a", "b"}
    np.save(pred / "c.npy", label)
    r = CliRunner().invoke(app, ["evaluate", str(gt), str(pred), "--out", str(out)])
    assert r.exit_code == 2 and "no ground truth for ['c']" in r.output


def test_coco_errors_name_the_culprit(tmp_path, dense_coco):
    from benchmark.metrics.adapters import coco_pairs

    dataset, results = dense_coco
    bad = [dict(results[0], image_id=42)]
    with pytest.raises(ValueError, match="image 42"):
        coco_pairs(dataset, bad)
    broken = copy.deepcopy(dataset)
    del broken["annotations"][3]["segmentation"]
    with pytest.raises(ValueError, match="annotation 4"):
        coco_pairs(broken, results)
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        coco_pairs(tmp_path / "missing.json", results)


def test_tables_write_nan_as_empty_and_null(tmp_path):
    rows = [{"a": 1, "b": float("nan")}]
    assert to_csv(rows) == "a,b\n1,\n"
    csv_path, json_path = write_table(rows, tmp_path / "t", "x")
    assert json.loads(json_path.read_text()) == [{"a": 1, "b": None}]
    assert csv_path.read_text() == "a,b\n1,\n"
