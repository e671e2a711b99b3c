"""COCO instance JSON: read, validate, normalise and write.

The *normalised* form every importer produces, and every later stage reads:

* ``images``: ``id`` (int), ``file_name`` (relative to the image folder), ``width``, ``height``,
  plus any extra keys the source had (``field``, ``pixel_size_um`` ...), kept unchanged;
* ``annotations``: ``id``, ``image_id``, ``category_id``, ``segmentation`` as compressed RLE with
  string counts, ``area`` (pixels) and ``bbox`` (``[x, y, w, h]``) recomputed from the mask,
  ``iscrowd``;
* ``categories``: ``id``, ``name``, ``supercategory``.

Validation rules (errors reject the dataset; warnings are accepted as described) are listed in
``docs/data.md`` and implemented in :func:`normalise_coco`. Input files are only ever read.
"""

from __future__ import annotations

import json
import numbers
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.data.errors import Problem, error, raise_if_errors, warning
from benchmark.data.masks import bbox_of, components, encode_mask, segmentation_to_mask

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "images": ("id", "file_name", "width", "height"),
    "annotations": ("id", "image_id", "category_id", "segmentation"),
    "categories": ("id", "name"),
}
#: Polygon vertices up to this far outside the image (pixels) are clipped with a warning.
EDGE_TOLERANCE_PX = 1.0
#: Masks smaller than this (pixels) are kept with a warning.
TINY_MASK_PX = 10
#: Format version written to ``info.macroseg_format``.
NORMALISED_FORMAT = 1


@dataclass
class CocoDataset:
    """A normalised COCO dataset and the folder its ``file_name`` entries are relative to.

    Attributes
    ----------
    coco
        The normalised COCO dictionary.
    image_root
        Folder holding the images.
    warnings
        Warnings found while loading (errors raise :class:`~benchmark.data.errors.DatasetError`).
    """

    coco: dict[str, Any]
    image_root: Path
    warnings: list[Problem] = field(default_factory=list)

    def image_path(self, image: dict[str, Any]) -> Path:
        """Absolute path of one ``images`` entry."""
        return self.image_root / image["file_name"]

    def annotations_by_image(self) -> dict[int, list[dict[str, Any]]]:
        """Map every image id (also those without annotations) to its annotations, in order."""
        out: dict[int, list[dict[str, Any]]] = {img["id"]: [] for img in self.coco["images"]}
        for ann in self.coco["annotations"]:
            out[ann["image_id"]].append(ann)
        return out


def read_json(path: str | Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read a COCO JSON file; return the dict (or ``None``) and any problems reading it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [error("missing-file", "annotation file not found", file=str(path))]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [error("unreadable-json", f"cannot read JSON: {exc}", file=str(path))]
    if not isinstance(data, dict):
        return None, [error("not-coco", "top level is not a JSON object", file=str(path))]
    return data, []


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_structure(coco: dict[str, Any], file: str | None = None) -> list[Problem]:
    """Check sections, required keys, id types, duplicate ids and cross references.

    Parameters
    ----------
    coco
        The raw COCO dictionary.
    file
        Name of the file it came from, for messages.
    """
    problems: list[Problem] = []
    for section, keys in REQUIRED_KEYS.items():
        entries = coco.get(section)
        if not isinstance(entries, list):
            problems.append(
                error("missing-key", f"section '{section}' missing or not a list", file=file)
            )
            continue
        for index, entry in enumerate(entries):
            problems += _check_entry(section, index, entry, keys, file)
        problems += _check_duplicates(section, entries, file)
    if problems:
        return problems
    return problems + _check_references(coco, file)


def _where(section: str, entry: dict[str, Any]) -> dict[str, Any]:
    if section == "images":
        return {"image_id": entry.get("id")}
    if section == "annotations":
        return {"image_id": entry.get("image_id"), "annotation_id": entry.get("id")}
    return {}


def _check_entry(
    section: str, index: int, entry: Any, keys: tuple[str, ...], file: str | None
) -> list[Problem]:
    if not isinstance(entry, dict):
        return [error("missing-key", f"{section}[{index}] is not an object", file=file)]
    where = _where(section, entry)
    missing = [k for k in keys if k not in entry]
    if missing:
        what = f"{section}[{index}] lacks required key(s) {', '.join(missing)}"
        return [error("missing-key", what, file=file, **where)]
    bad = [k for k in ("id", "image_id", "category_id", "width", "height") if k in entry]
    bad = [k for k in bad if not _is_int(entry[k])]
    if bad:
        what = f"{section}[{index}]: {', '.join(bad)} must be integer(s)"
        return [error("bad-type", what, file=file, **where)]
    if section == "images" and (entry["width"] <= 0 or entry["height"] <= 0):
        return [error("bad-size", "width and height must be positive", file=file, **where)]
    return []


def _check_duplicates(section: str, entries: list[Any], file: str | None) -> list[Problem]:
    ids = Counter(e["id"] for e in entries if isinstance(e, dict) and _is_int(e.get("id")))
    problems = [
        error("duplicate-id", f"{section} id {i} used {n} times", file=file)
        for i, n in ids.items()
        if n > 1
    ]
    if section == "images":
        names = Counter(e.get("file_name") for e in entries if isinstance(e, dict))
        problems += [
            error("duplicate-file", f"file_name {name!r} listed {n} times", file=file)
            for name, n in names.items()
            if n > 1 and name is not None
        ]
    return problems


def _check_references(coco: dict[str, Any], file: str | None) -> list[Problem]:
    image_ids = {img["id"] for img in coco["images"]}
    category_ids = {cat["id"] for cat in coco["categories"]}
    problems: list[Problem] = []
    used: set[int] = set()
    for ann in coco["annotations"]:
        where = {"file": file, "image_id": ann["image_id"], "annotation_id": ann["id"]}
        if ann["image_id"] not in image_ids:
            problems.append(
                error("unknown-image", f"refers to unknown image id {ann['image_id']}", **where)
            )
        if ann["category_id"] not in category_ids:
            what = f"refers to unknown category id {ann['category_id']}"
            problems.append(error("unknown-category", what, **where))
        used.add(ann["category_id"])
    for cat in coco["categories"]:
        if cat["id"] not in used:
            problems.append(
                warning(
                    "unused-category", f"category {cat['name']!r} has no annotations", file=file
                )
            )
    return problems


def check_segmentation(
    segmentation: Any, height: int, width: int, where: dict[str, Any]
) -> tuple[np.ndarray | None, list[Problem]]:
    """Validate one ``segmentation`` against its image size and decode it.

    Parameters
    ----------
    segmentation
        Polygons, compressed RLE or uncompressed RLE.
    height, width
        Size of the image it belongs to.
    where
        ``file``, ``image_id`` and ``annotation_id`` for messages.

    Returns
    -------
    mask, problems
        The boolean mask, or ``None`` if the segmentation is unusable.
    """
    if isinstance(segmentation, list):
        polygons, problems = _check_polygons(segmentation, height, width, where)
        if polygons is None:
            return None, problems
        mask = segmentation_to_mask(polygons, height, width)
    elif isinstance(segmentation, dict):
        problems = _check_rle(segmentation, height, width, where)
        if problems:
            return None, problems
        try:
            mask = segmentation_to_mask(segmentation, height, width)
        except (ValueError, TypeError, OverflowError) as exc:
            return None, [error("rle-corrupt", f"cannot decode RLE: {exc}", **where)]
    else:
        kind = type(segmentation).__name__
        return None, [
            error("bad-segmentation", f"segmentation is a {kind}, not polygons or RLE", **where)
        ]
    return mask, problems + _check_mask(mask, where)


def _check_polygons(
    polygons: list[Any], height: int, width: int, where: dict[str, Any]
) -> tuple[list[list[float]] | None, list[Problem]]:
    if not polygons:
        return None, [error("empty-mask", "segmentation has no polygons", **where)]
    problems: list[Problem] = []
    clipped: list[list[float]] = []
    for k, poly in enumerate(polygons):
        if not isinstance(poly, list) or not all(isinstance(v, numbers.Real) for v in poly):
            problems.append(
                error("bad-segmentation", f"polygon {k} is not a list of numbers", **where)
            )
            continue
        if len(poly) < 6 or len(poly) % 2:
            what = f"polygon {k} has {len(poly) // 2} point(s); at least 3 (x, y) pairs are needed"
            problems.append(error("polygon-too-few-points", what, **where))
            continue
        xy = np.asarray(poly, dtype=float).reshape(-1, 2)
        low, high = xy.min(axis=0), xy.max(axis=0)
        far = (low < -EDGE_TOLERANCE_PX).any() or high[0] > width + EDGE_TOLERANCE_PX
        far = far or high[1] > height + EDGE_TOLERANCE_PX
        if far:
            what = (
                f"polygon {k} spans x {low[0]:.1f}..{high[0]:.1f}, y {low[1]:.1f}..{high[1]:.1f}, "
                f"outside the {width}x{height} image"
            )
            problems.append(error("outside-image", what, **where))
            continue
        if (low < 0).any() or high[0] > width or high[1] > height:
            problems.append(
                warning("clipped", f"polygon {k} touches past the edge; clipped", **where)
            )
            xy = np.clip(xy, 0, [width, height])
        if abs(_shoelace(xy)) < 0.5:
            problems.append(error("degenerate-polygon", f"polygon {k} encloses no area", **where))
            continue
        clipped.append(xy.ravel().tolist())
    if any(p.severity.value == "error" for p in problems):
        return None, problems
    return clipped, problems


def _shoelace(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _check_rle(
    rle: dict[str, Any], height: int, width: int, where: dict[str, Any]
) -> list[Problem]:
    if "size" not in rle or "counts" not in rle:
        return [error("missing-key", "RLE segmentation needs 'size' and 'counts'", **where)]
    size = list(rle["size"]) if isinstance(rle["size"], list | tuple) else None
    if size is None or len(size) != 2 or [int(size[0]), int(size[1])] != [height, width]:
        what = (
            f"RLE size {rle['size']} differs from image size [height, width] = [{height}, {width}]"
        )
        return [error("rle-size-mismatch", what, **where)]
    counts = rle["counts"]
    if isinstance(counts, list):
        if not all(_is_int(c) and c >= 0 for c in counts):
            return [
                error(
                    "rle-corrupt", "uncompressed RLE counts must be non-negative integers", **where
                )
            ]
        if sum(counts) != height * width:
            what = f"uncompressed RLE covers {sum(counts)} pixels, image has {height * width}"
            return [error("rle-size-mismatch", what, **where)]
    elif not isinstance(counts, str):
        return [error("rle-corrupt", "RLE counts must be a string or a list of integers", **where)]
    return []


def _check_mask(mask: np.ndarray, where: dict[str, Any]) -> list[Problem]:
    area = int(mask.sum())
    if area == 0:
        return [error("empty-mask", "mask has no pixels", **where)]
    problems = []
    if area < TINY_MASK_PX:
        problems.append(warning("tiny-mask", f"mask has only {area} pixel(s); kept", **where))
    n = components(mask)
    if n > 1:
        problems.append(
            warning("multipart-mask", f"mask has {n} separate parts; kept as one", **where)
        )
    return problems


def check_image_file(
    image: dict[str, Any], image_root: Path, file: str | None = None
) -> list[Problem]:
    """Check that an image file exists, decodes, has an accepted layout and the declared size."""
    from benchmark.data.images import channel_layout_problem, read_image

    path = image_root / image["file_name"]
    where = {"file": str(path), "image_id": image["id"]}
    if not path.is_file():
        return [error("missing-image", "image file not found", **where)]
    try:
        array = read_image(path)
    except Exception as exc:  # any decoder failure means the same thing to the user
        return [error("unreadable-image", f"cannot decode image: {exc}", **where)]
    layout = channel_layout_problem(array.shape)
    if layout:
        return [error("channel-layout", layout, **where)]
    problems = []
    if array.ndim == 3 and array.shape[2] == 4:
        problems.append(
            warning("alpha-ignored", "RGBA image: the alpha channel is ignored", **where)
        )
    height, width = array.shape[:2]
    if (height, width) != (image["height"], image["width"]):
        what = f"image is {width}x{height} but the JSON says {image['width']}x{image['height']}"
        problems.append(error("image-size-mismatch", what, **where))
    return problems


def normalise_coco(
    coco: dict[str, Any],
    image_root: str | Path,
    file: str | None = None,
    check_images: bool = True,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate a raw COCO dict and convert it to the normalised form.

    Parameters
    ----------
    coco
        Raw COCO dictionary (not modified).
    image_root
        Folder the ``file_name`` entries are relative to.
    file
        Name of the JSON file, for messages.
    check_images
        Also open every image file (existence, decoding, layout, size).

    Returns
    -------
    normalised, problems
        The normalised dict (``None`` if there were structural errors) and every problem found.
    """
    problems = check_structure(coco, file)
    if any(p.severity.value == "error" for p in problems):
        return None, problems
    image_root = Path(image_root)
    images = {img["id"]: img for img in coco["images"]}
    by_image: dict[int, list[dict[str, Any]]] = {i: [] for i in images}
    for ann in coco["annotations"]:
        by_image[ann["image_id"]].append(ann)
    annotations: list[dict[str, Any]] = []
    for image_id, image in images.items():
        if check_images:
            problems += check_image_file(image, image_root, file)
        if not by_image[image_id]:
            problems.append(
                warning("no-annotations", "image has no annotations", file=file, image_id=image_id)
            )
        new, found = _normalise_image_annotations(image, by_image[image_id], file)
        annotations += new
        problems += found
    info = dict(coco.get("info") or {})
    info["macroseg_format"] = NORMALISED_FORMAT
    normalised = {
        "info": info,
        "images": [dict(img) for img in coco["images"]],
        "annotations": annotations,
        "categories": [
            {"id": c["id"], "name": c["name"], "supercategory": c.get("supercategory", "cell")}
            for c in coco["categories"]
        ],
    }
    return normalised, problems


def _normalise_image_annotations(
    image: dict[str, Any], anns: list[dict[str, Any]], file: str | None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    height, width = image["height"], image["width"]
    claimed = np.zeros((height, width), dtype=bool)
    out: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for ann in anns:
        where = {"file": file, "image_id": image["id"], "annotation_id": ann["id"]}
        mask, found = check_segmentation(ann["segmentation"], height, width, where)
        problems += found
        if mask is None:
            continue
        if (claimed & mask).any():
            what = (
                f"{int((claimed & mask).sum())} pixel(s) overlap earlier annotations of the image"
            )
            problems.append(warning("overlap", what, **where))
        claimed |= mask
        problems += _check_bbox(ann, mask, where)
        if ann.get("iscrowd", 0):
            problems.append(warning("crowd", "iscrowd=1: kept, but ignored in training", **where))
        out.append(
            make_annotation(
                ann["id"],
                image["id"],
                ann["category_id"],
                mask,
                ann.get("iscrowd", 0),
                ann.get("attributes") if isinstance(ann.get("attributes"), dict) else None,
            )
        )
    return out, problems


def _check_bbox(ann: dict[str, Any], mask: np.ndarray, where: dict[str, Any]) -> list[Problem]:
    bbox = ann.get("bbox")
    if bbox is None:
        return []
    expected = bbox_of(mask)
    if len(bbox) != 4 or max(abs(float(a) - b) for a, b in zip(bbox, expected, strict=True)) > 1.5:
        what = f"bbox {bbox} disagrees with the mask {expected}; recomputed from the mask"
        return [warning("bbox-recomputed", what, **where)]
    return []


def make_annotation(
    ann_id: int,
    image_id: int,
    category_id: int,
    mask: np.ndarray,
    iscrowd: int = 0,
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a normalised annotation (compressed RLE, area and bbox from the mask).

    ``attributes`` (free-form, as CVAT writes them) are kept when given.
    """
    extra = {"attributes": dict(attributes)} if attributes else {}
    return {
        "id": int(ann_id),
        "image_id": int(image_id),
        "category_id": int(category_id),
        "segmentation": encode_mask(mask),
        "area": int(mask.sum()),
        "bbox": bbox_of(mask),
        "iscrowd": int(iscrowd),
        **extra,
    }


def load_coco(
    json_path: str | Path, image_root: str | Path | None = None, check_images: bool = True
) -> CocoDataset:
    """Read, validate and normalise a COCO JSON file.

    Parameters
    ----------
    json_path
        The COCO instance JSON.
    image_root
        Folder of the images; defaults to the JSON file's folder.
    check_images
        Open every image file as part of validation.

    Returns
    -------
    CocoDataset
        The normalised dataset with its warnings.

    Raises
    ------
    DatasetError
        With every problem found, if there was at least one error.
    """
    json_path = Path(json_path)
    root = Path(image_root) if image_root is not None else json_path.parent
    coco, problems = read_json(json_path)
    if coco is not None:
        normalised, found = normalise_coco(coco, root, str(json_path), check_images)
        problems += found
    raise_if_errors(problems, context=str(json_path))
    return CocoDataset(normalised, root, problems)  # type: ignore[arg-type]


def write_coco(coco: dict[str, Any], path: str | Path) -> Path:
    """Write a COCO dict as JSON, atomically."""
    from benchmark.fileio import write_json_atomic

    return write_json_atomic(path, coco)
