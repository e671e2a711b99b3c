"""Model jobs on a dataset folder: train, predict a split, k-fold. Used by the CLI and pipeline.

A dataset folder is what :mod:`benchmark.data` writes: ``annotations/<split>.json`` and the
image files they name under ``images/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import benchmark.compat  # noqa: F401

from detectron2.config import CfgNode
from detectron2.data import DatasetCatalog
from detectron2.utils import comm

from benchmark.data.catalog import class_names, contiguous_ids, register_coco
from benchmark.environment import code_version
from benchmark.fileio import write_json_atomic
from benchmark.model.checkpoints import CheckpointMetadata
from benchmark.model.evaluation import summary_scores
from benchmark.model.predict import Predictor, items_from_coco, predict
from benchmark.model.train import TrainResult, train

logger = logging.getLogger("benchmark")


def split_json(dataset_root: str | Path, split: str) -> Path:
    """``annotations/<split>.json`` of a dataset folder, with a clear error when missing."""
    path = Path(dataset_root) / "annotations" / f"{split}.json"
    if not path.is_file():
        present = sorted(p.stem for p in path.parent.glob("*.json"))
        raise FileNotFoundError(f"{path} does not exist; the dataset has splits {present}")
    return path


def dataset_hash(dataset_root: str | Path) -> str:
    """SHA-256 of a dataset folder: its annotation files' bytes and its images' *pixels*.

    Images are hashed decoded (dtype, shape, values), so that the same pixels saved by another
    Pillow or zlib build, which compress differently, give the same hash.
    """
    from benchmark.data.images import read_image

    root = Path(dataset_root)
    digest = hashlib.sha256()
    for path in sorted((root / "annotations").rglob("*.json")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for path in sorted(p for p in (root / "images").rglob("*") if p.is_file()):
        pixels = read_image(path)
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(f"{pixels.dtype.str}{pixels.shape}".encode())
        digest.update(hashlib.sha256(pixels.tobytes()).digest())
    return digest.hexdigest()


def register(name: str, json_path: Path, image_root: Path) -> str:
    """Register a COCO file in detectron2's catalogs under ``name`` (again if it changed)."""
    if name in DatasetCatalog.list():
        from detectron2.data import MetadataCatalog

        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    register_coco(name, json_path, image_root)
    return name


@dataclass(frozen=True)
class DatasetSplits:
    """The registered train / validation splits of a dataset folder."""

    root: Path
    train: str
    validation: str | None
    class_names: tuple[str, ...]
    category_ids: tuple[int, ...]
    digest: str


def register_splits(
    dataset_root: str | Path,
    train_split: str = "train",
    validation_split: str | None = "validation",
) -> DatasetSplits:
    """Register a dataset folder's training (and validation) split for detectron2."""
    root = Path(dataset_root)
    train_json = split_json(root, train_split)
    tag = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:8]
    train_name = register(f"macroseg_{tag}_{train_split}", train_json, root / "images")
    validation_name = None
    if validation_split is not None:
        validation_name = register(
            f"macroseg_{tag}_{validation_split}",
            split_json(root, validation_split),
            root / "images",
        )
    coco = json.loads(train_json.read_text())
    mapping = contiguous_ids(coco)
    categories = tuple(sorted(mapping, key=mapping.__getitem__))
    return DatasetSplits(
        root, train_name, validation_name, tuple(class_names(coco)), categories, dataset_hash(root)
    )


def train_on_folder(
    cfg: CfgNode,
    dataset_root: str | Path,
    output_dir: str | Path,
    resume: bool = False,
    validation_split: str | None = "validation",
) -> TrainResult:
    """Train ``cfg`` on a dataset folder's ``train`` split, validating on ``validation``.

    The number of classes of the model is set from the dataset's categories.
    """
    splits = register_splits(dataset_root, validation_split=validation_split)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = len(splits.class_names)
    cfg.freeze()
    metadata = CheckpointMetadata(
        config_yaml=cfg.dump(),
        class_names=splits.class_names,
        category_ids=splits.category_ids,
        dataset_hash=splits.digest,
        code_version=code_version(),
    )
    return train(cfg, splits.train, splits.validation, metadata, output_dir, resume=resume)


def predict_split(
    checkpoint: str | Path,
    dataset_root: str | Path,
    split: str,
    output: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
) -> int:
    """Predict every image of a dataset split into a COCO results file (cached per image).

    Returns how many images had to be predicted (0 when every one was cached).
    """
    items = items_from_coco(split_json(dataset_root, split), Path(dataset_root) / "images")
    predictor = Predictor(checkpoint, overrides)
    return predict(predictor, items, output, progress=comm.is_main_process())


def score_split(
    results: str | Path, dataset_root: str | Path, split: str, score_threshold: float
) -> dict[str, float]:
    """Micro precision / recall / F1 (all cells) of a results file on a split."""
    predictions = json.loads(Path(results).read_text())
    return summary_scores(str(split_json(dataset_root, split)), predictions, score_threshold)


def write_fold_data(
    coco: dict, train_ids: list[int], held_out_ids: list[int], images: Path, folder: Path
) -> None:
    """A dataset folder for one fold: its train and held-out COCO files, images linked."""
    from benchmark.data.splits import subset

    write_json_atomic(folder / "annotations/train.json", subset(coco, train_ids))
    write_json_atomic(folder / "annotations/test.json", subset(coco, held_out_ids))
    link = folder / "images"
    if not link.is_symlink():
        link.symlink_to(images.resolve(), target_is_directory=True)


def kfold(
    cfg: CfgNode,
    dataset_root: str | Path,
    output_dir: str | Path,
    folds: int = 5,
    seed: int = 0,
    group_key: str | None = None,
    resume: bool = True,
) -> list[dict[str, float]]:
    """Train one model per fold of the ``train`` split and score it on its held-out fold.

    Fold ``i`` gets ``output_dir/fold_<i>/`` holding its data (``annotations/train.json`` and
    ``annotations/test.json``, the held-out fold), checkpoints, ``predictions.json`` and
    ``scores.json``. Each fold trains without validation and is scored with its final
    checkpoint, so nothing about the held-out fold influences its model. Finished folds are
    skipped on a rerun.
    The per-fold scores give the spread across models that the figures draw as bands.
    """
    from benchmark.data.splits import kfold as kfold_splits

    root = Path(dataset_root)
    coco = json.loads(split_json(root, "train").read_text())
    scores = []
    for index, (train_ids, held_out_ids) in enumerate(
        kfold_splits(coco["images"], folds, seed=seed, group_key=group_key)
    ):
        fold = Path(output_dir) / f"fold_{index}"
        done = fold / "scores.json"
        if done.is_file():
            scores.append(json.loads(done.read_text()))
            continue
        fold_data = fold / "data"
        if comm.is_main_process():
            write_fold_data(coco, train_ids, held_out_ids, root / "images", fold_data)
        comm.synchronize()
        result = train_on_folder(
            cfg, fold_data, fold / "model", resume=resume, validation_split=None
        )
        predictions = fold / "predictions.json"
        predict_split(result.final_checkpoint, fold_data, "test", predictions)
        if comm.is_main_process():
            fold_scores = score_split(predictions, fold_data, "test", cfg.MACROSEG.SCORE_THRESHOLD)
            write_json_atomic(done, fold_scores)
            scores.append(fold_scores)
            logger.info("fold %d: %s", index, fold_scores)
        comm.synchronize()
    return scores
