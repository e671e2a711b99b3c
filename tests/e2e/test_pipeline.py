"""``macroseg run`` end to end on a tiny config: every output, caching, resumed inference."""

from __future__ import annotations

import csv
import json
import logging

import pytest
from PIL import Image

from benchmark.model.config import config_digest, load_config
from benchmark.model.jobs import dataset_hash
from benchmark.model.predict import Predictor
from benchmark.pipeline import run
from benchmark.report import read_manifest
from benchmark.report.build import FIGURES, evaluate_predictions

TABLES = ("metrics", "tertiles", "permutation_test", "coco_ap", "errors", "dataset")
#: predictions below it are left out of precision / recall / F1 (but not of AP)
SCORE_THRESHOLD = 0.3


def _overrides(tiny_overrides: list[str]) -> list[str]:
    return [*tiny_overrides, "MACROSEG.SCORE_THRESHOLD", str(SCORE_THRESHOLD)]


@pytest.fixture(scope="module")
def first_run(small_dataset, tiny_overrides, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    work = tmp_path_factory.mktemp("work")
    manifest = run("scratch_cpu", small_dataset, out, work, _overrides(tiny_overrides))
    return manifest, out, work


def test_every_figure_table_and_the_manifest(first_run, small_dataset, tiny_overrides):
    manifest, out, _ = first_run
    for name in FIGURES:
        with Image.open(out / name) as image:
            assert image.width >= 600 and image.height >= 300, name
    alt = json.loads((out / "figures.json").read_text())
    assert set(alt) == set(FIGURES)
    for name in TABLES:
        assert (out / "tables" / f"{name}.md").read_text().strip(), name
    saved = read_manifest(out / "manifest.json")
    assert saved["config"]["digest"] == config_digest(
        load_config("scratch_cpu", _overrides(tiny_overrides))
    )
    assert saved["dataset"]["hash"] == dataset_hash(small_dataset)
    assert set(saved["timings_s"]) >= {"data", "train", "predict", "report"}
    assert saved["checkpoint"] == manifest["checkpoint"]
    assert saved["training"]["iterations"] == 6


def test_table_numbers_equal_the_evaluator_on_the_saved_predictions(first_run, small_dataset):
    _, out, work = first_run
    (predictions,) = work.glob("*/predictions_test.json")
    evaluation = evaluate_predictions(
        small_dataset / "annotations/test.json", predictions, score_threshold=SCORE_THRESHOLD
    )
    expected = {
        (r.class_name, r.threshold): r for r in evaluation.scores("micro") if r.subset == "all"
    }
    with open(out / "tables" / "overall.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["subset"] == "all"]
    assert rows
    for row in rows:
        want = expected[(row["class_name"], float(row["threshold"]))]
        assert (int(row["tp"]), int(row["fp"]), int(row["fn"])) == (want.tp, want.fp, want.fn)


def test_rerun_does_no_training_or_inference(
    first_run, small_dataset, tiny_overrides, caplog, monkeypatch
):
    manifest, out, work = first_run

    def must_not_predict(self, item):
        raise AssertionError("inference ran again")

    monkeypatch.setattr(Predictor, "predict_file", must_not_predict)
    with caplog.at_level(logging.INFO, logger="benchmark.pipeline"):
        again = run("scratch_cpu", small_dataset, out, work, _overrides(tiny_overrides))
    log = caplog.text
    for stage in ("train", "predict", "report"):
        assert f"stage {stage:<8} up to date" in log, log
    assert again["checkpoint"] == manifest["checkpoint"]


def test_interrupted_inference_redoes_only_unfinished_images(
    first_run, small_dataset, tiny_overrides, monkeypatch
):
    _, out, work = first_run

    (run_dir,) = (p for p in work.iterdir() if p.is_dir())
    cache = next((run_dir / "cache").iterdir())
    finished = sorted(cache.glob("*.json"))
    before = json.loads((run_dir / "predictions_test.json").read_text())
    # the state a kill during inference leaves: no merged file, some images not yet cached
    (run_dir / "predictions_test.json").unlink()
    finished[0].unlink()
    predicted = []
    original = Predictor.predict_file

    def counting(self, item):
        predicted.append(item.image_id)
        return original(self, item)

    monkeypatch.setattr(Predictor, "predict_file", counting)
    run("scratch_cpu", small_dataset, out, work, _overrides(tiny_overrides))
    assert predicted == [int(finished[0].stem.split("-")[0])]
    assert json.loads((run_dir / "predictions_test.json").read_text()) == before


def test_kfold_models_give_the_bands(small_dataset, tiny_overrides, tmp_path):
    overrides = [*tiny_overrides, "SOLVER.MAX_ITER", "1"]
    manifest = run("scratch_cpu", small_dataset, tmp_path / "out", tmp_path / "work", overrides, 2)
    assert manifest["folds"] == 2
    assert (tmp_path / "out" / "tables" / "bands.csv").is_file()
    assert len(list((tmp_path / "work").glob("*/kfold2/fold_*/scores.json"))) == 2
