"""Adapters from common formats to :class:`~benchmark.metrics.evaluator.ImagePair` lists.

* COCO ground-truth JSON + COCO results JSON (segmentation as RLE or polygons);
* two folders of label images paired by file name (``.tif``, ``.tiff``, ``.png``, ``.npy``);
* detectron2 ``Instances`` (duck-typed: ``pred_masks``, ``scores``, ``pred_classes``; torch is
  never imported here).

Errors name the file, image id or annotation id at fault.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from benchmark.metrics.evaluator import ImagePair
from benchmark.metrics.instances import Instances

LABEL_SUFFIXES = (".tif", ".tiff", ".png", ".npy")


def _load_json(source: str | Path | dict | list, what: str):
    if isinstance(source, dict | list):
        return source
    path = Path(source)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file not found: {path}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} file {path} is not valid JSON: {err}") from None


def _to_rle(segmentation, height: int, width: int, where: str) -> dict:
    """Compressed RLE of a COCO segmentation (polygons, uncompressed or compressed RLE)."""
    from pycocotools import mask as mask_utils

    if isinstance(segmentation, list):
        if not segmentation:
            raise ValueError(f"{where}: empty polygon list")
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    if isinstance(segmentation, dict) and "counts" in segmentation:
        if list(segmentation.get("size", [])) != [height, width]:
            raise ValueError(
                f"{where}: RLE size {segmentation.get('size')} but the image is {height}x{width}"
            )
        if isinstance(segmentation["counts"], list):
            return mask_utils.frPyObjects(segmentation, height, width)
        counts = segmentation["counts"]
        return {
            "size": [height, width],
            "counts": counts.encode() if isinstance(counts, str) else counts,
        }
    raise ValueError(f"{where}: segmentation is neither polygons nor RLE")


def coco_pairs(
    ground_truth: str | Path | dict,
    results: str | Path | list,
) -> tuple[list[ImagePair], dict[int, str]]:
    """Image pairs from a COCO ground-truth dataset and a COCO results list.

    Every ground-truth image is evaluated (images without results have no predictions).
    ``iscrowd`` (or ``ignore``) annotations become ignored ground truth.

    Returns
    -------
    pairs, class_names
        The pairs and the category id -> name mapping of the dataset.
    """
    gt = _load_json(ground_truth, "ground-truth")
    res = _load_json(results, "results")
    if not isinstance(gt, dict) or "images" not in gt or "annotations" not in gt:
        raise ValueError(f"ground truth {ground_truth} is not a COCO dataset (images/annotations)")
    if isinstance(res, dict) and "annotations" in res:
        res = res["annotations"]
    if not isinstance(res, list):
        raise ValueError(f"results {results} must be a list of COCO detections")
    images = {}
    for img in gt["images"]:
        images[img["id"]] = img
    class_names = {int(c["id"]): str(c["name"]) for c in gt.get("categories", [])}
    gt_by_image = defaultdict(list)
    for ann in gt["annotations"]:
        if ann.get("image_id") not in images:
            raise ValueError(
                f"annotation {ann.get('id')} refers to unknown image {ann.get('image_id')}"
            )
        gt_by_image[ann["image_id"]].append(ann)
    res_by_image = defaultdict(list)
    for k, det in enumerate(res):
        if det.get("image_id") not in images:
            raise ValueError(
                f"result #{k} refers to image {det.get('image_id')!r}, "
                "which is not in the ground truth"
            )
        if "segmentation" not in det or "score" not in det:
            raise ValueError(f"result #{k} (image {det['image_id']}) lacks a segmentation or score")
        res_by_image[det["image_id"]].append((k, det))
    pairs = []
    for image_id, img in images.items():
        h, w = int(img["height"]), int(img["width"])
        anns = gt_by_image[image_id]
        for ann in anns:
            if "segmentation" not in ann:
                raise ValueError(
                    f"annotation {ann.get('id')} (image {image_id}) has no segmentation"
                )
        gt_inst = Instances.from_rles(
            [_to_rle(a["segmentation"], h, w, f"annotation {a.get('id')}") for a in anns],
            classes=[a["category_id"] for a in anns],
            ignore=[bool(a.get("iscrowd", 0) or a.get("ignore", 0)) for a in anns],
            ids=[a.get("id", i) for i, a in enumerate(anns)],
            shape=(h, w),
        )
        dets = res_by_image[image_id]
        pred_inst = Instances.from_rles(
            [_to_rle(d["segmentation"], h, w, f"result #{k} (image {image_id})") for k, d in dets],
            classes=[d["category_id"] for _, d in dets],
            scores=[d["score"] for _, d in dets],
            ids=[k for k, _ in dets],
            shape=(h, w),
        )
        pairs.append(ImagePair(str(image_id), gt_inst, pred_inst))
    return pairs, class_names


def read_label_image(path: Path) -> np.ndarray:
    """A 2-D integer label image from ``.tif``/``.tiff``, ``.png`` or ``.npy``."""
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        import tifffile

        label = tifffile.imread(path)
    elif suffix == ".npy":
        label = np.load(path, allow_pickle=False)
    else:
        from PIL import Image

        with Image.open(path) as im:
            label = np.asarray(im)
    label = np.squeeze(label)
    if label.ndim != 2 or not (np.issubdtype(label.dtype, np.integer) or label.dtype == bool):
        raise ValueError(
            f"{path}: expected a 2-D integer label image, got {label.shape} {label.dtype}"
        )
    return label


def label_folder_pairs(gt_dir: str | Path, pred_dir: str | Path) -> list[ImagePair]:
    """Image pairs from two folders of label images matched by file stem.

    Every ground-truth image needs a prediction of the same stem (any supported suffix);
    predictions without ground truth are an error too.
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)

    def index(folder: Path) -> dict[str, Path]:
        if not folder.is_dir():
            raise NotADirectoryError(f"not a folder of label images: {folder}")
        found: dict[str, Path] = {}
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() in LABEL_SUFFIXES:
                if p.stem in found:
                    raise ValueError(f"two label images named {p.stem!r} in {folder}")
                found[p.stem] = p
        if not found:
            raise ValueError(f"no label images ({', '.join(LABEL_SUFFIXES)}) in {folder}")
        return found

    gts, preds = index(gt_dir), index(pred_dir)
    missing = sorted(set(gts) - set(preds))
    extra = sorted(set(preds) - set(gts))
    if missing or extra:
        raise ValueError(
            f"label folders do not pair up: no prediction for {missing[:5]}, "
            f"no ground truth for {extra[:5]}"
        )
    pairs = []
    for stem, gpath in gts.items():
        g, p = read_label_image(gpath), read_label_image(preds[stem])
        if g.shape != p.shape:
            raise ValueError(f"{gpath} is {g.shape} but {preds[stem]} is {p.shape}")
        pairs.append(ImagePair.from_label_images(stem, g, p))
    return pairs


def _numpy(x) -> np.ndarray:
    """A numpy array from a numpy array or a torch tensor (duck-typed, no torch import)."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def from_detectron2(
    instances, class_ids: Mapping[int, int] | None = None, mask_threshold: float = 0.5
) -> Instances:
    """Predictions from a detectron2 ``Instances`` (or anything with the same attributes).

    Parameters
    ----------
    instances
        Has ``pred_masks`` ``(n, h, w)`` (boolean, or probabilities cut at ``mask_threshold``),
        ``scores`` and ``pred_classes`` (contiguous ids from 0).
    class_ids
        Contiguous id -> dataset category id (detectron2's
        ``thing_dataset_id_to_contiguous_id`` inverted); default ``id + 1``.
    mask_threshold
        Cut-off for non-boolean masks.
    """
    masks = _numpy(instances.pred_masks)
    if masks.dtype != bool:
        masks = masks >= mask_threshold
    contiguous = _numpy(instances.pred_classes).astype(np.int64)
    if class_ids is None:
        classes = contiguous + 1
    else:
        classes = np.array([class_ids[int(c)] for c in contiguous], dtype=np.int64)
    return Instances.from_masks(masks, classes=classes, scores=_numpy(instances.scores))
