"""Two CPU processes (gloo): training runs, and sharded inference equals one process."""

from __future__ import annotations

import json

import torch

from benchmark.model.commands import _predict_entry, _train_entry
from benchmark.model.launch import launch


def test_two_process_training_and_sharded_inference(trained, tiny_overrides, tmp_path):
    _, data = trained
    overrides = [*tiny_overrides, "SOLVER.MAX_ITER", "2", "TEST.EVAL_PERIOD", "0"]
    out = tmp_path / "train"
    launch(_train_entry, num_processes=2, args=("scratch_cpu", overrides, data, out, False))
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)
    assert final["iteration"] == 1

    checkpoint = out / "model_final.pth"
    sharded = tmp_path / "sharded" / "predictions.json"
    launch(_predict_entry, num_processes=2, args=(checkpoint, [data], "test", sharded, None))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in each of the two workers
    try:
        single = tmp_path / "single" / "predictions.json"
        launch(_predict_entry, num_processes=1, args=(checkpoint, [data], "test", single, None))
    finally:
        torch.set_num_threads(threads)
    results = json.loads(sharded.read_text())
    assert results, "SCORE_THRESH_TEST 0: the tiny model must predict something to compare"
    assert results == json.loads(single.read_text())
    shards = next(iter((sharded.parent / "cache").iterdir()))
    assert len(list(shards.glob("*.json"))) == len(
        json.loads((data / "annotations/test.json").read_text())["images"]
    )
