"""Inference: COCO results that the evaluator reads, per-image cache, label images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from benchmark.metrics.adapters import coco_pairs
from benchmark.metrics.evaluator import evaluate
from benchmark.model.jobs import predict_split, score_split, split_json
from benchmark.model.predict import Predictor, items_from_coco, items_from_paths, label_image


@pytest.fixture(scope="module")
def predictions(trained, tmp_path_factory):
    result, data = trained
    out = tmp_path_factory.mktemp("predict") / "predictions.json"
    n_images = len(json.loads(split_json(data, "test").read_text())["images"])
    assert predict_split(result.final_checkpoint, data, "test", out) == n_images
    return out, data, result


def test_results_round_trip_through_the_evaluator(predictions):
    path, data, _ = predictions
    results = json.loads(path.read_text())
    coco = json.loads(split_json(data, "test").read_text())
    assert results, "with SCORE_THRESH_TEST 0 even a barely trained model predicts"
    sizes = {i["id"]: (i["height"], i["width"]) for i in coco["images"]}
    for r in results:
        assert r["image_id"] in sizes and r["category_id"] in (1, 2)
        assert tuple(r["segmentation"]["size"]) == sizes[r["image_id"]]
        assert 0.0 <= r["score"] <= 1.0
    pairs, names = coco_pairs(split_json(data, "test"), results)
    rows = evaluate(pairs, class_names=names).scores("micro")
    at_half = next(r for r in rows if r.class_name == "all" and r.threshold == 0.5)
    n_results = len(results)
    assert at_half.tp + at_half.fp == n_results
    assert at_half.tp + at_half.fn == len(coco["annotations"])
    assert score_split(path, data, "test", 0.0)["f1@0.50"] == pytest.approx(at_half.f1)


def test_rerun_skips_cached_images(predictions, monkeypatch):
    path, data, result = predictions
    before = path.read_bytes()

    def must_not_run(self, item):
        raise AssertionError(f"image {item.image_id} was predicted again")

    monkeypatch.setattr(Predictor, "predict_file", must_not_run)
    assert predict_split(result.final_checkpoint, data, "test", path) == 0
    assert path.read_bytes() == before


def test_interrupted_run_finishes_only_the_missing_images(predictions, monkeypatch):
    path, data, result = predictions
    cache = next((path.parent / "cache").iterdir())
    items = items_from_coco(split_json(data, "test"), data / "images")
    (cached,) = cache.glob(f"{items[0].image_id}-*.json")
    cached.unlink()
    done = []
    original = Predictor.predict_file

    def counting(self, item):
        done.append(item.image_id)
        return original(self, item)

    monkeypatch.setattr(Predictor, "predict_file", counting)
    before = json.loads(path.read_text())
    predict_split(result.final_checkpoint, data, "test", path)
    assert done == [items[0].image_id]
    assert json.loads(path.read_text()) == before


def test_single_images_and_folders_of_any_bit_depth(trained, tmp_path):
    from benchmark.data.images import read_image, write_image

    result, data = trained
    source = items_from_coco(split_json(data, "test"), data / "images")[0].path
    grey8 = read_image(source)
    write_image(tmp_path / "a.png", grey8)
    write_image(tmp_path / "b.tif", grey8.astype(np.uint16) * 257)
    items = items_from_paths([tmp_path])
    assert [i.path.name for i in items] == ["a.png", "b.tif"]
    predictor = Predictor(result.final_checkpoint)
    a, b = (predictor.predict_file(i) for i in items)
    # per-image normalisation: 8- and 16-bit versions of one field give the same predictions
    assert [r["segmentation"] for r in a] == [r["segmentation"] for r in b]
    with pytest.raises(FileNotFoundError, match=r"missing\.png"):
        items_from_paths([tmp_path / "missing.png"])


def test_label_image_draws_higher_scores_on_top():
    shape = (6, 6)
    low = np.zeros(shape, dtype=np.uint8, order="F")
    low[1:5, 1:5] = 1
    high = np.zeros(shape, dtype=np.uint8, order="F")
    high[3:6, 3:6] = 1
    results = [
        {"segmentation": mask_utils.encode(low), "score": 0.3},
        {"segmentation": mask_utils.encode(high), "score": 0.9},
    ]
    labels = label_image(results, shape)
    assert labels[2, 2] == 1 and labels[4, 4] == 2 and labels[0, 0] == 0


def test_the_cache_never_serves_another_image_with_the_same_id(trained, tmp_path):
    from benchmark.data.images import read_image, write_image
    from benchmark.model.predict import predict

    result, data = trained
    first, second = items_from_coco(split_json(data, "test"), data / "images")[:2]
    for folder, item in (("a", first), ("b", second)):
        write_image(tmp_path / folder / "image.png", read_image(item.path))
    predictor = Predictor(result.final_checkpoint)
    shared = tmp_path / "out" / "predictions.json"
    predict(predictor, items_from_paths([tmp_path / "a"]), shared, progress=False)
    assert predict(predictor, items_from_paths([tmp_path / "b"]), shared, progress=False) == 1
    alone = tmp_path / "alone" / "predictions.json"
    predict(predictor, items_from_paths([tmp_path / "b"]), alone, progress=False)
    assert json.loads(shared.read_text()) == json.loads(alone.read_text())


def test_predictions_use_the_dataset_category_ids(tiny_cfg, small_dataset, tmp_path):
    """Categories 3 and 7 (not 1..N): the model has 2 classes and predicts ids 3 and 7."""
    from benchmark.model.jobs import train_on_folder

    remap = {1: 3, 2: 7}
    for split in ("train", "test"):
        coco = json.loads(split_json(small_dataset, split).read_text())
        for category in coco["categories"]:
            category["id"] = remap[category["id"]]
        for annotation in coco["annotations"]:
            annotation["category_id"] = remap[annotation["category_id"]]
        (tmp_path / "data/annotations").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"data/annotations/{split}.json").write_text(json.dumps(coco))
    (tmp_path / "data/images").symlink_to(small_dataset / "images")
    cfg = tiny_cfg.clone()
    cfg.defrost()
    cfg.SOLVER.MAX_ITER = 1
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 5  # replaced by the dataset's number of classes
    result = train_on_folder(cfg, tmp_path / "data", tmp_path / "model", validation_split=None)
    predictor = Predictor(result.final_checkpoint)
    assert predictor.cfg.MODEL.ROI_HEADS.NUM_CLASSES == 2
    assert predictor.class_map == {0: 3, 1: 7}
    out = tmp_path / "predictions.json"
    predict_split(result.final_checkpoint, tmp_path / "data", "test", out)
    assert {r["category_id"] for r in json.loads(out.read_text())} == {3, 7}
