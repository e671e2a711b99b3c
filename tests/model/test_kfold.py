"""k-fold: one model per fold, each scored on a held-out fold it never saw."""

from __future__ import annotations

import json

from benchmark.model.jobs import kfold


def test_each_fold_is_scored_on_images_its_model_never_saw(tiny_cfg, small_dataset, tmp_path):
    cfg = tiny_cfg.clone()
    cfg.defrost()
    cfg.SOLVER.MAX_ITER = 1
    scores = kfold(cfg, small_dataset, tmp_path, folds=2)
    assert len(scores) == 2 and all("f1@0.50" in s for s in scores)
    all_train = json.loads((small_dataset / "annotations/train.json").read_text())["images"]
    held_out = []
    for fold in ("fold_0", "fold_1"):
        data = tmp_path / fold / "data" / "annotations"
        train = {i["id"] for i in json.loads((data / "train.json").read_text())["images"]}
        test = {i["id"] for i in json.loads((data / "test.json").read_text())["images"]}
        assert train and test and not train & test
        assert not (data / "validation.json").exists()  # no model selection on the held-out fold
        assert not (tmp_path / fold / "model" / "model_best.pth").exists()
        held_out += sorted(test)
    assert sorted(held_out) == sorted(i["id"] for i in all_train)
    # a rerun reuses the finished folds
    assert kfold(cfg, small_dataset, tmp_path, folds=2) == scores
