"""Inference: a checkpoint and images -> COCO results JSON (RLE masks, scores, classes).

Each image's predictions are cached as their own JSON file, named after the image id and its
file (path, size, modification time), in a folder keyed by the checkpoint, the inference
settings and the inference code (:attr:`Predictor.cache_key`); a rerun (after an interruption,
say) skips every image already done, and nothing is reused across other images or settings.
With several processes (see :mod:`benchmark.model.launch`), process ``r`` of ``w`` takes images
``r, r + w, ...``; the main process merges the cache once all are done, so the sharded result
equals the single-process one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchmark.compat  # noqa: F401

import numpy as np
import torch
from detectron2.config import CfgNode, get_cfg
from detectron2.data import transforms as T
from detectron2.modeling import build_model
from detectron2.utils import comm
from tqdm import tqdm

from benchmark.fileio import sha256_file, write_json_atomic
from benchmark.model.checkpoints import load_checkpoint
from benchmark.model.config import add_macroseg_config
from benchmark.model.evaluation import instances_to_results
from benchmark.model.inputs import load_model_image

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp")
logger = logging.getLogger("benchmark")


@dataclass(frozen=True)
class ImageItem:
    """One image to predict: its id in the results and its file."""

    image_id: int
    path: Path


def items_from_coco(json_path: str | Path, image_root: str | Path) -> list[ImageItem]:
    """The images of a COCO file, with their ids."""
    coco = json.loads(Path(json_path).read_text())
    return [ImageItem(int(i["id"]), Path(image_root) / i["file_name"]) for i in coco["images"]]


def items_from_paths(paths: Sequence[str | Path]) -> list[ImageItem]:
    """Images given as files or folders (searched for image files), numbered from 1 in order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such image file or folder")
    if not files:
        raise FileNotFoundError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {list(paths)}")
    return [ImageItem(i, f) for i, f in enumerate(files, start=1)]


class Predictor:
    """A trained model from one of our checkpoints, run on normalised images.

    Parameters
    ----------
    checkpoint
        A ``.pth`` written by :mod:`benchmark.model.train` (loaded with ``weights_only=True``).
    overrides
        Config overrides (``KEY VALUE`` pairs), e.g. ``["MODEL.DEVICE", "cuda"]``.
    """

    def __init__(self, checkpoint: str | Path, overrides: Sequence[str] = ()) -> None:
        state, self.metadata = load_checkpoint(checkpoint)
        cfg = get_cfg()
        add_macroseg_config(cfg)
        cfg.merge_from_other_cfg(CfgNode.load_cfg(self.metadata.config_yaml))
        cfg.merge_from_list(list(overrides))
        if cfg.MODEL.DEVICE.startswith("cuda") and not torch.cuda.is_available():
            cfg.MODEL.DEVICE = "cpu"
        cfg.MODEL.WEIGHTS = ""
        self.cfg = cfg
        self.cache_key = _cache_key(sha256_file(Path(checkpoint)), cfg)
        self.model = build_model(cfg)
        self.model.load_state_dict(state)
        self.model.eval()
        self.resize = T.ResizeShortestEdge(cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST)
        self.class_map = dict(enumerate(self.metadata.category_ids))

    @torch.no_grad()
    def __call__(self, image: np.ndarray) -> Any:
        """detectron2 ``Instances`` for a normalised ``(H, W, 3)`` image."""
        height, width = image.shape[:2]
        resized = self.resize.get_transform(image).apply_image(image)
        tensor = torch.as_tensor(np.ascontiguousarray(resized.transpose(2, 0, 1)))
        (output,) = self.model([{"image": tensor, "height": height, "width": width}])
        return output["instances"].to("cpu")

    def predict_file(self, item: ImageItem) -> list[dict[str, Any]]:
        """COCO results for one image file."""
        image = load_model_image(item.path, self.cfg.INPUT.FORMAT)
        return instances_to_results(self(image), item.image_id, self.class_map)


def predict(
    predictor: Predictor,
    items: Sequence[ImageItem],
    output: str | Path,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> int:
    """Predict every image (this process's share of them) and write the merged results.

    Parameters
    ----------
    predictor
        The model.
    items
        Images with their ids.
    output
        The COCO results JSON to write (atomically, by the main process).
    cache_dir
        Per-image results; default ``<output folder>/cache``. Images already there are skipped.
    progress
        Show a progress bar.

    Returns
    -------
    int
        How many images this process predicted (0 when all were cached).
    """
    output = Path(output)
    cache = Path(cache_dir or output.parent / "cache") / predictor.cache_key
    cache.mkdir(parents=True, exist_ok=True)
    mine = items[comm.get_rank() :: comm.get_world_size()]
    todo = [item for item in mine if not _cached(cache, item).is_file()]
    logger.info("predicting %d images (%d cached)", len(todo), len(mine) - len(todo))
    for item in tqdm(todo, desc="predict", unit="image", disable=not progress):
        write_json_atomic(_cached(cache, item), predictor.predict_file(item))
    comm.synchronize()
    if comm.is_main_process():
        results = [r for item in items for r in json.loads(_cached(cache, item).read_text())]
        write_json_atomic(output, results)
    comm.synchronize()
    return len(todo)


def _cache_key(checkpoint_digest: str, cfg: CfgNode) -> str:
    """What predictions depend on: weights, inference settings and inference code."""
    from benchmark.environment import source_digest

    settings = f"{cfg.INPUT.dump()}{cfg.TEST.dump()}{cfg.MODEL.ROI_HEADS.dump()}"
    code = source_digest("model.predict", "model.inputs", "model.evaluation")
    return hashlib.sha256(f"{checkpoint_digest}|{settings}|{code}".encode()).hexdigest()[:16]


def _cached(cache: Path, item: ImageItem) -> Path:
    stat = item.path.stat()
    source = f"{item.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return cache / f"{item.image_id}-{hashlib.sha256(source.encode()).hexdigest()[:12]}.json"


def label_image(results: Sequence[dict[str, Any]], shape: tuple[int, int]) -> np.ndarray:
    """A uint16/uint32 label image of one image's results; higher scores are drawn on top."""
    from pycocotools import mask as mask_utils

    labels = np.zeros(shape, dtype=np.uint32 if len(results) >= 2**16 else np.uint16)
    ranked = sorted(range(len(results)), key=lambda k: results[k]["score"])
    for k in ranked:
        labels[mask_utils.decode(results[k]["segmentation"]).astype(bool)] = k + 1
    return labels


def write_label_images(
    results_json: str | Path,
    items: Sequence[ImageItem],
    folder: str | Path,
    score_threshold: float,
) -> list[Path]:
    """One label TIFF per image (``<image stem>_labels.tif``) of results above a score."""
    from benchmark.data.images import image_hw, read_image, write_image

    by_image: dict[int, list[dict[str, Any]]] = {}
    for result in json.loads(Path(results_json).read_text()):
        if result["score"] >= score_threshold:
            by_image.setdefault(result["image_id"], []).append(result)
    written = []
    for item in items:
        labels = label_image(by_image.get(item.image_id, []), image_hw(read_image(item.path)))
        written.append(write_image(Path(folder) / f"{item.path.stem}_labels.tif", labels))
    return written
