"""Training: detectron2's ``DefaultTrainer`` customised through hooks, not forked.

What a run writes into its output folder:

* ``model_XXXXXXX.pth`` and ``last_checkpoint`` every ``SOLVER.CHECKPOINT_PERIOD`` iterations,
  ``model_final.pth`` at the end and ``model_best.pth`` (best validation F1 at IoU 0.5);
  every checkpoint holds tensors and plain metadata only (:mod:`benchmark.model.checkpoints`);
* ``metrics.json``: one JSON line per logging period (losses, learning rate, validation scores);
* ``config.yaml``: the full config.

``resume=True`` continues from ``last_checkpoint`` with the same iteration count, optimizer and
learning-rate schedule.
"""

from __future__ import annotations

import copy
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchmark.compat  # noqa: F401

import numpy as np
import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import CfgNode
from detectron2.data import (
    build_detection_test_loader,
    build_detection_train_loader,
    detection_utils,
)
from detectron2.data import transforms as T
from detectron2.engine import (
    AMPTrainer,
    DefaultTrainer,
    HookBase,
    SimpleTrainer,
    TrainerBase,
    hooks,
)
from detectron2.utils import comm
from detectron2.utils.env import seed_all_rng
from detectron2.utils.events import CommonMetricPrinter, JSONWriter
from detectron2.utils.logger import setup_logger
from torch.nn.parallel import DistributedDataParallel

from benchmark.fileio import write_text_atomic
from benchmark.model.checkpoints import CheckpointMetadata
from benchmark.model.evaluation import MacrosegEvaluator
from benchmark.model.inputs import load_model_image
from benchmark.model.weights import resolve_weights

#: The validation score that chooses ``model_best.pth``.
BEST_METRIC = "macroseg/f1@0.50"


class MicroscopyMapper:
    """Dataset dict -> model input, reading images through :func:`load_model_image`.

    Grey 8/16-bit microscopy is normalised per image (see :mod:`benchmark.model.inputs`)
    instead of being clipped by Pillow's RGB conversion; the rest uses detectron2's
    ``detection_utils`` (annotation transforms, instances, empty-instance filtering).
    """

    def __init__(self, cfg: CfgNode, is_train: bool) -> None:
        self.is_train = is_train
        self.mask_format = cfg.INPUT.MASK_FORMAT
        self.channel_order = cfg.INPUT.FORMAT
        augmentations = train_augmentations(cfg) if is_train else test_augmentations(cfg)
        self.augmentations = T.AugmentationList(augmentations)

    def __call__(self, dataset_dict: dict[str, Any]) -> dict[str, Any]:
        """Map one dataset dict to ``{"image": CHW tensor, "instances": ..., ...}``."""
        record = dict(dataset_dict)
        image = load_model_image(record["file_name"], self.channel_order)
        detection_utils.check_image_size(record, image)
        augmented = T.AugInput(image)
        transforms = self.augmentations(augmented)
        image = augmented.image
        record["image"] = torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)))
        annotations = record.pop("annotations", [])
        if self.is_train:
            annotations = [
                detection_utils.transform_instance_annotations(
                    copy.deepcopy(a), transforms, image.shape[:2]
                )
                for a in annotations
                if not a.get("iscrowd", 0)
            ]
            instances = detection_utils.annotations_to_instances(
                annotations, image.shape[:2], mask_format=self.mask_format
            )
            record["instances"] = detection_utils.filter_empty_instances(instances)
        return record


def test_augmentations(cfg: CfgNode) -> list[T.Augmentation]:
    """The resize used in inference."""
    return [T.ResizeShortestEdge(cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST, "choice")]


def train_augmentations(cfg: CfgNode) -> list[T.Augmentation]:
    """Resize, detectron2's ``INPUT.RANDOM_FLIP``, and a vertical flip too when
    ``MACROSEG.VERTICAL_FLIP`` (microscopy has no up or down)."""
    flip = cfg.INPUT.RANDOM_FLIP
    augmentations: list[T.Augmentation] = [
        T.ResizeShortestEdge(
            cfg.INPUT.MIN_SIZE_TRAIN, cfg.INPUT.MAX_SIZE_TRAIN, cfg.INPUT.MIN_SIZE_TRAIN_SAMPLING
        )
    ]
    if flip != "none":
        augmentations.append(
            T.RandomFlip(horizontal=flip == "horizontal", vertical=flip == "vertical")
        )
    if cfg.MACROSEG.VERTICAL_FLIP and flip != "vertical":
        augmentations.append(T.RandomFlip(horizontal=False, vertical=True))
    return augmentations


class ProgressHook(HookBase):
    """A progress bar (iteration, ETA, total loss) on the main process."""

    def before_train(self) -> None:
        """Open the bar at the start (or resumed) iteration."""
        from tqdm import tqdm

        self._bar = tqdm(
            total=self.trainer.max_iter,
            initial=self.trainer.start_iter,
            desc="train",
            unit="it",
            disable=not comm.is_main_process(),
            dynamic_ncols=True,
        )

    def after_step(self) -> None:
        """Advance by one iteration and show the latest total loss."""
        storage = self.trainer.storage
        if "total_loss" in storage.histories():
            self._bar.set_postfix(loss=f"{storage.history('total_loss').latest():.3f}")
        self._bar.update(1)

    def after_train(self) -> None:
        """Close the bar."""
        self._bar.close()


class MetadataCheckpointable:
    """Puts :class:`CheckpointMetadata` into every checkpoint the trainer saves."""

    def __init__(self, metadata: CheckpointMetadata) -> None:
        self.metadata = metadata

    def state_dict(self) -> dict[str, Any]:
        """The metadata as plain types (loadable with ``weights_only=True``)."""
        return self.metadata.to_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """On resume, refuse a checkpoint trained on other data."""
        saved = CheckpointMetadata.from_dict(state)
        if saved.dataset_hash != self.metadata.dataset_hash:
            raise ValueError(
                f"cannot resume: the checkpoint was trained on dataset {saved.dataset_hash}, "
                f"this run uses {self.metadata.dataset_hash}; use a new output folder"
            )


def distributed_model(model: torch.nn.Module) -> torch.nn.Module:
    """Wrap in ``DistributedDataParallel`` when several processes train (GPU or CPU)."""
    if comm.get_world_size() == 1:
        return model
    on_gpu = next(model.parameters()).is_cuda
    device_ids = [comm.get_local_rank()] if on_gpu else None
    return DistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False)


class Trainer(DefaultTrainer):
    """``DefaultTrainer`` with macroseg's data mapper, evaluator, writers and hooks."""

    def __init__(self, cfg: CfgNode, metadata: CheckpointMetadata) -> None:
        # DefaultTrainer.__init__'s construction, except for the DistributedDataParallel wrap:
        # detectron2 v0.6 always passes device_ids=[local rank], which DDP rejects for a CPU
        # model, so multi-process CPU (gloo) training needs device_ids=None.
        TrainerBase.__init__(self)
        cfg = DefaultTrainer.auto_scale_workers(cfg, comm.get_world_size())
        model = self.build_model(cfg)
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)
        model = distributed_model(model)
        trainer_class = AMPTrainer if cfg.SOLVER.AMP.ENABLED else SimpleTrainer
        self._trainer = trainer_class(model, data_loader, optimizer)
        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        self.checkpointer = DetectionCheckpointer(
            model, cfg.OUTPUT_DIR, trainer=weakref.proxy(self)
        )
        self.checkpointer.checkpointables["macroseg"] = MetadataCheckpointable(metadata)
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        self.register_hooks(self.build_hooks())

    @classmethod
    def build_train_loader(cls, cfg: CfgNode):
        """Training batches through :class:`MicroscopyMapper` with :func:`train_augmentations`."""
        return build_detection_train_loader(cfg, mapper=MicroscopyMapper(cfg, is_train=True))

    @classmethod
    def build_test_loader(cls, cfg: CfgNode, dataset_name: str):
        """Evaluation batches through :class:`MicroscopyMapper`."""
        return build_detection_test_loader(
            cfg, dataset_name, mapper=MicroscopyMapper(cfg, is_train=False)
        )

    @classmethod
    def build_evaluator(cls, cfg: CfgNode, dataset_name: str) -> MacrosegEvaluator:
        """macroseg's own metrics, so training logs the numbers the report uses."""
        return MacrosegEvaluator(dataset_name, cfg.MACROSEG.SCORE_THRESHOLD)

    def build_writers(self) -> list:
        """Console and ``metrics.json`` (no TensorBoard dependency)."""
        return [
            CommonMetricPrinter(self.max_iter),
            JSONWriter(os.path.join(self.cfg.OUTPUT_DIR, "metrics.json")),
        ]

    def build_hooks(self) -> list[HookBase]:
        """detectron2's default hooks with our writer period, a best-model keeper and progress."""
        default = [h for h in super().build_hooks() if not isinstance(h, hooks.PeriodicWriter)]
        extra: list[HookBase] = [ProgressHook()]
        if comm.is_main_process():
            if self.cfg.TEST.EVAL_PERIOD > 0 and self.cfg.DATASETS.TEST:
                # after EvalHook, so that it sees each evaluation's result
                extra.append(
                    hooks.BestCheckpointer(
                        self.cfg.TEST.EVAL_PERIOD, self.checkpointer, BEST_METRIC, mode="max"
                    )
                )
            extra.append(
                hooks.PeriodicWriter(self.build_writers(), period=self.cfg.MACROSEG.LOG_PERIOD)
            )
        return default + extra


@dataclass(frozen=True)
class TrainResult:
    """Where a finished training run left its files, and its final validation scores."""

    output_dir: Path
    final_checkpoint: Path
    best_checkpoint: Path | None
    validation: dict[str, float]
    #: the iteration this run started from (> 0 when it resumed)
    start_iteration: int


def train(
    cfg: CfgNode,
    train_dataset: str,
    validation_dataset: str | None,
    metadata: CheckpointMetadata,
    output_dir: str | Path,
    resume: bool = False,
) -> TrainResult:
    """Train Mask R-CNN on registered detectron2 datasets.

    Parameters
    ----------
    cfg
        A config from :func:`benchmark.model.config.load_config`.
    train_dataset, validation_dataset
        Names registered in detectron2's ``DatasetCatalog`` (see
        :func:`benchmark.data.catalog.register_coco`); no validation when ``None``.
    metadata
        Stored in every checkpoint.
    output_dir
        Checkpoints, ``metrics.json`` and ``config.yaml`` go here.
    resume
        Continue from ``output_dir/last_checkpoint`` when it exists.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.OUTPUT_DIR = str(output_dir)
    cfg.DATASETS.TRAIN = (train_dataset,)
    cfg.DATASETS.TEST = (validation_dataset,) if validation_dataset else ()
    if not cfg.DATASETS.TEST:
        cfg.TEST.EVAL_PERIOD = 0
    cfg.MODEL.WEIGHTS = resolve_weights(cfg)
    cfg.freeze()
    setup_logger(str(output_dir), distributed_rank=comm.get_rank(), name="detectron2")
    setup_logger(str(output_dir), distributed_rank=comm.get_rank(), name="benchmark")
    if comm.is_main_process():
        write_text_atomic(output_dir / "config.yaml", cfg.dump())
    seed_all_rng(cfg.SEED + comm.get_rank())  # python, numpy and torch: data order too
    trainer = Trainer(cfg, metadata)
    trainer.resume_or_load(resume=resume)
    trainer.train()
    validation = {}
    if comm.is_main_process() and cfg.DATASETS.TEST:
        latest = trainer.storage.latest()
        validation = {
            key.split("/", 1)[1]: float(value)
            for key, (value, _) in latest.items()
            if key.startswith("macroseg/")
        }
    best = output_dir / "model_best.pth"
    logging.getLogger("benchmark").info("training finished in %s", output_dir)
    return TrainResult(
        output_dir,
        output_dir / "model_final.pth",
        best if best.is_file() else None,
        validation,
        trainer.start_iter,
    )
