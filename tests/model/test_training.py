"""Training: loss goes down, checkpoints are safe to load and resumable, configs load."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.model.checkpoints import load_checkpoint
from benchmark.model.config import config_path, load_config, shipped_configs


def _metrics(output_dir):
    lines = (output_dir / "metrics.json").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _loss_on_fixed_batch(model, cfg, dataset_dicts) -> float:
    from detectron2.utils.events import EventStorage

    from benchmark.model.train import MicroscopyMapper

    torch.manual_seed(0)
    batch = [MicroscopyMapper(cfg, is_train=True)(d) for d in dataset_dicts]
    model.train()
    with EventStorage(0), torch.no_grad():
        return float(sum(model(batch).values()))


def test_a_few_iterations_reduce_the_loss(trained, tiny_cfg):
    from detectron2.data import DatasetCatalog
    from detectron2.modeling import build_model
    from detectron2.utils.env import seed_all_rng

    from benchmark.model.jobs import register_splits

    result, data = trained
    dicts = DatasetCatalog.get(register_splits(data, validation_split=None).train)[:2]
    seed_all_rng(tiny_cfg.SEED)  # as train() does: the same initial weights
    model = build_model(tiny_cfg)
    before = _loss_on_fixed_batch(model, tiny_cfg, dicts)
    model.load_state_dict(load_checkpoint(result.final_checkpoint)[0])
    after = _loss_on_fixed_batch(model, tiny_cfg, dicts)
    assert after < 0.8 * before
    iterations = [m["iteration"] for m in _metrics(result.output_dir) if "total_loss" in m]
    assert iterations == list(range(6))  # LOG_PERIOD 1: one metrics.json line per iteration


def test_best_checkpoint_and_validation_scores(trained):
    result, _ = trained
    assert result.best_checkpoint is not None and result.best_checkpoint.is_file()
    assert set(result.validation) >= {"f1@0.50", "f1@0.75", "precision@0.50", "recall@0.50"}
    assert 0.0 <= result.validation["f1@0.50"] <= 1.0


def test_resume_continues_from_the_saved_iteration(tiny_cfg, small_dataset, tmp_path):
    from benchmark.model.jobs import train_on_folder

    cfg = tiny_cfg.clone()
    cfg.defrost()
    cfg.TEST.EVAL_PERIOD = 0
    train_on_folder(cfg, small_dataset, tmp_path, validation_split=None)
    # the state a kill after the checkpoint at iteration 2 leaves behind
    (tmp_path / "model_final.pth").unlink()
    (tmp_path / "model_0000005.pth").unlink(missing_ok=True)
    (tmp_path / "last_checkpoint").write_text("model_0000002.pth")
    (tmp_path / "metrics.json").unlink()

    result = train_on_folder(cfg, small_dataset, tmp_path, resume=True, validation_split=None)
    assert result.start_iteration == 3
    assert [m["iteration"] for m in _metrics(tmp_path)] == [3, 4, 5]
    final = torch.load(tmp_path / "model_final.pth", map_location="cpu", weights_only=True)
    assert final["iteration"] == 5


def test_resume_refuses_a_checkpoint_of_other_data(tiny_cfg, small_dataset, tmp_path):
    from benchmark.model.checkpoints import CheckpointMetadata
    from benchmark.model.jobs import register_splits
    from benchmark.model.train import train

    cfg = tiny_cfg.clone()
    cfg.defrost()
    cfg.SOLVER.MAX_ITER = 1
    cfg.TEST.EVAL_PERIOD = 0
    splits = register_splits(small_dataset, validation_split=None)
    metadata = CheckpointMetadata(
        cfg.dump(), splits.class_names, splits.category_ids, "a" * 64, "test"
    )
    train(cfg, splits.train, None, metadata, tmp_path)
    other = CheckpointMetadata(
        cfg.dump(), splits.class_names, splits.category_ids, "b" * 64, "test"
    )
    cfg.SOLVER.MAX_ITER = 2
    with pytest.raises(ValueError, match=r"trained on dataset a+, this run uses b+"):
        train(cfg, splits.train, None, other, tmp_path, resume=True)


def test_every_shipped_config_loads():
    assert shipped_configs() == ["finetune_R50_FPN", "scratch_cpu", "scratch_gpu"]
    for name in shipped_configs():
        cfg = load_config(name)
        assert cfg.TEST.DETECTIONS_PER_IMAGE >= 1000
        assert cfg.MODEL.MASK_ON
    assert load_config("scratch_cpu").MODEL.RESNETS.NORM == "GN"


def test_unknown_config_names_the_choices(tmp_path):
    with pytest.raises(FileNotFoundError, match="scratch_cpu"):
        config_path("nope")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        config_path(tmp_path / "missing.yaml")
