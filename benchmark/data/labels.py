"""Label images (cellpose, napari, StarDist): import to COCO and export from COCO.

A label image is a 2-D integer array (PNG or TIFF, 8, 16 or 32 bit; float accepted when every
value is a whole number) in which 0 is background and every other value is one instance,
whatever the ids are. On export, overlapping COCO masks cannot be represented; export refuses
them unless asked to let the later annotation win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmark.data.coco import CocoDataset, make_annotation
from benchmark.data.errors import DatasetError, Problem, error, warning

#: Sidecar file written next to exported label images: label value -> category per image.
CLASSES_FILE = "label_classes.json"


def label_problems(labels: np.ndarray, file: str) -> list[Problem]:
    """Check that an array is a usable label image."""
    if labels.ndim != 2:
        return [
            error("channel-layout", f"label image must be 2-D, got shape {labels.shape}", file=file)
        ]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            return [error("bad-labels", "float label image with non-integer values", file=file)]
    elif labels.dtype.kind not in "iub":
        return [
            error("bad-labels", f"label dtype {labels.dtype} is not an integer type", file=file)
        ]
    if labels.min() < 0:
        return [error("bad-labels", "label image has negative values", file=file)]
    return []


def label_masks(labels: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(label value, mask)`` for every non-zero value, in increasing value order.

    Works for any ids (sparse, large 32-bit values): values are first made consecutive.
    """
    from scipy import ndimage

    values, inverse = np.unique(labels.astype(np.int64), return_inverse=True)
    dense = inverse.reshape(labels.shape) + (0 if values[0] == 0 else 1)
    out = []
    for index, box in enumerate(ndimage.find_objects(dense)):
        value = int(values[index + 1 if values[0] == 0 else index])
        if box is None:
            continue
        mask = np.zeros(labels.shape, dtype=bool)
        mask[box] = dense[box] == index + 1
        out.append((value, mask))
    return out


def labels_to_annotations(
    labels: np.ndarray,
    image_id: int,
    first_annotation_id: int,
    categories: dict[int, int] | None = None,
    default_category: int = 1,
) -> list[dict[str, Any]]:
    """Normalised COCO annotations of one label image.

    Parameters
    ----------
    labels
        2-D label image.
    image_id
        Id of the image it annotates.
    first_annotation_id
        Id given to the first instance; the rest follow consecutively.
    categories
        Optional ``{label value: category id}``; values not listed get ``default_category``.
    default_category
        Category id of unlisted values.
    """
    categories = categories or {}
    return [
        make_annotation(first_annotation_id + k, image_id, categories.get(v, default_category), m)
        for k, (v, m) in enumerate(label_masks(labels))
    ]


def dataset_to_label_images(
    dataset: CocoDataset, allow_overlap: bool = False
) -> dict[int, tuple[np.ndarray, dict[int, int]]]:
    """Paint each image's annotations into a label image (values 1..n in annotation order).

    Returns
    -------
    dict
        ``{image_id: (labels, {label value: category id})}``; uint16, or uint32 past 65535.

    Raises
    ------
    DatasetError
        If masks overlap and ``allow_overlap`` is false (a label image cannot hold both).
    """
    from benchmark.data.masks import decode_rle

    out: dict[int, tuple[np.ndarray, dict[int, int]]] = {}
    problems: list[Problem] = []
    images = {img["id"]: img for img in dataset.coco["images"]}
    for image_id, anns in dataset.annotations_by_image().items():
        img = images[image_id]
        dtype = np.uint16 if len(anns) < 65536 else np.uint32
        labels = np.zeros((img["height"], img["width"]), dtype=dtype)
        classes = {}
        for value, ann in enumerate(anns, start=1):
            mask = decode_rle(ann["segmentation"])
            if (labels[mask] > 0).any():
                make = warning if allow_overlap else error
                problems.append(
                    make(
                        "overlap",
                        "mask overlaps an earlier one; later annotation wins",
                        image_id=image_id,
                        annotation_id=ann["id"],
                    )
                )
            labels[mask] = value
            classes[value] = ann["category_id"]
        out[image_id] = (labels, classes)
    if any(p.severity.value == "error" for p in problems):
        raise DatasetError(problems, "label export")
    return out


def export_label_images(
    dataset: CocoDataset, out_dir: str | Path, allow_overlap: bool = False
) -> Path:
    """Write one ``<stem>_labels.tif`` per image plus ``label_classes.json``, atomically.

    The sidecar maps, per label file, label value to category id, and lists the categories, so
    :func:`benchmark.data.importers.import_label_images` restores the classes.
    """
    from benchmark.data.images import write_image
    from benchmark.fileio import atomic_directory, write_json_atomic

    painted = dataset_to_label_images(dataset, allow_overlap)
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp:
        sidecar: dict[str, Any] = {"categories": dataset.coco["categories"], "images": {}}
        for img in dataset.coco["images"]:
            labels, classes = painted[img["id"]]
            name = f"{Path(img['file_name']).stem}_labels.tif"
            write_image(tmp / name, labels)
            sidecar["images"][name] = {str(v): c for v, c in classes.items()}
        write_json_atomic(tmp / CLASSES_FILE, sidecar)
    return out_dir
