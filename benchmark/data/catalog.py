"""detectron2 registration: standard dataset dicts and DatasetCatalog/MetadataCatalog entries.

:func:`dataset_dicts` needs no detectron2 (it builds plain dicts); :func:`register_coco` imports
:mod:`benchmark.compat` and detectron2 only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.data.coco import CocoDataset

#: detectron2's ``BoxMode.XYWH_ABS``, as an int so this module needs no detectron2.
BOX_MODE_XYWH_ABS = 1


def contiguous_ids(coco: dict[str, Any]) -> dict[int, int]:
    """Map COCO category ids (sorted) to detectron2's 0-based contiguous ids."""
    return {cid: i for i, cid in enumerate(sorted(c["id"] for c in coco["categories"]))}


def class_names(coco: dict[str, Any]) -> list[str]:
    """Category names in contiguous-id order."""
    return [c["name"] for c in sorted(coco["categories"], key=lambda c: c["id"])]


def class_colours(names: list[str]) -> list[tuple[int, int, int]]:
    """RGB colour per class: the generator's colours for known names, a fixed palette otherwise."""
    from benchmark.data.synthetic import CLASS_COLOURS

    palette = [(0, 200, 255), (255, 90, 60), (120, 220, 80), (240, 200, 40), (200, 100, 255)]
    return [CLASS_COLOURS.get(n, palette[i % len(palette)]) for i, n in enumerate(names)]


def dataset_dicts(dataset: CocoDataset, mask_format: str = "bitmask") -> list[dict[str, Any]]:
    """Convert a normalised dataset to detectron2 standard dataset dicts.

    Parameters
    ----------
    dataset
        A normalised dataset (see :func:`benchmark.data.coco.load_coco`).
    mask_format
        ``"bitmask"``: segmentation as compressed RLE (exact; set ``cfg.INPUT.MASK_FORMAT =
        "bitmask"``); ``"polygon"``: traced outer outlines (detectron2's default format, lossy).

    Returns
    -------
    list of dict
        ``file_name``, ``image_id``, ``height``, ``width`` and ``annotations`` (``bbox``,
        ``bbox_mode`` = 1 (XYWH_ABS), 0-based ``category_id``, ``segmentation``, ``iscrowd``).
    """
    from benchmark.data.masks import decode_rle, mask_to_polygons

    if mask_format not in ("bitmask", "polygon"):
        raise ValueError(f"mask_format must be 'bitmask' or 'polygon', not {mask_format!r}")
    mapping = contiguous_ids(dataset.coco)
    by_image = dataset.annotations_by_image()
    records = []
    for img in dataset.coco["images"]:
        annotations = []
        for ann in by_image[img["id"]]:
            seg = ann["segmentation"]
            if mask_format == "polygon":
                seg = mask_to_polygons(decode_rle(seg))
            annotations.append(
                {
                    "bbox": list(ann["bbox"]),
                    "bbox_mode": BOX_MODE_XYWH_ABS,
                    "category_id": mapping[ann["category_id"]],
                    "segmentation": dict(seg) if isinstance(seg, dict) else seg,
                    "iscrowd": ann.get("iscrowd", 0),
                }
            )
        records.append(
            {
                "file_name": str(dataset.image_path(img)),
                "image_id": img["id"],
                "height": img["height"],
                "width": img["width"],
                "annotations": annotations,
            }
        )
    return records


def register_coco(
    name: str,
    json_path: str | Path,
    image_root: str | Path | None = None,
    mask_format: str = "bitmask",
) -> None:
    """Register a COCO file under ``name`` in detectron2's catalogs (loaded lazily, validated).

    Metadata: ``thing_classes``, ``thing_colors``, ``thing_dataset_id_to_contiguous_id``,
    ``json_file``, ``image_root``, ``evaluator_type="coco"`` and ``mask_format``.
    """
    import benchmark.compat  # noqa: F401  (makes the registry build of detectron2 importable)

    from detectron2.data import DatasetCatalog, MetadataCatalog

    from benchmark.data.coco import load_coco, read_json

    json_path = Path(json_path)
    root = Path(image_root) if image_root is not None else json_path.parent
    raw, _ = read_json(json_path)
    if raw is None or not isinstance(raw.get("categories"), list):
        raise ValueError(f"{json_path}: not a COCO file with categories")
    names = class_names(raw)
    DatasetCatalog.register(
        name, lambda: dataset_dicts(load_coco(json_path, root, check_images=False), mask_format)
    )
    MetadataCatalog.get(name).set(
        thing_classes=names,
        thing_colors=class_colours(names),
        thing_dataset_id_to_contiguous_id=contiguous_ids(raw),
        json_file=str(json_path),
        image_root=str(root),
        evaluator_type="coco",
        mask_format=mask_format,
    )


def register_dataset_folder(
    root: str | Path, prefix: str, mask_format: str = "bitmask"
) -> list[str]:
    """Register every split of a dataset folder as ``<prefix>_<split>``; return the names."""
    root = Path(root)
    names = []
    for path in sorted((root / "annotations").glob("*.json")):
        name = f"{prefix}_{path.stem}"
        register_coco(name, path, root / "images", mask_format)
        names.append(name)
    return names
