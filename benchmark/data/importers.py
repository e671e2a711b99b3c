"""Import annotations into one normalised COCO dataset folder, and export from it.

Every importer writes ``<out>/annotations.json`` (normalised COCO) and copies the images into
``<out>/images/``; sources are only read. The output folder appears atomically, and only when
the import has no errors (otherwise :class:`~benchmark.data.errors.DatasetError` lists them all).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from benchmark.data.coco import CocoDataset, load_coco, make_annotation, normalise_coco, read_json
from benchmark.data.errors import Problem, error, raise_if_errors
from benchmark.data.synthetic import CATEGORIES

LABEL_SUFFIXES = (".png", ".tif", ".tiff")
ROI_SUFFIXES = (".zip", ".roi")


def _write(
    coco: dict[str, Any], sources: dict[str, Path], out_dir: Path, problems: list[Problem]
) -> CocoDataset:
    """Write ``coco`` and copy ``{file_name: source image}`` into ``out_dir`` atomically.

    Raises
    ------
    FileExistsError
        ``out_dir`` exists and is not empty: an import never replaces a folder.
    ValueError
        A ``file_name`` is absolute or climbs out of the image folder (``..``).
    """
    from benchmark.data.coco import write_coco
    from benchmark.fileio import atomic_directory

    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists and is not empty; import into a new folder")
    for name in sources:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts:
            raise ValueError(f"file_name {name!r} must be a relative path inside the image folder")
    with atomic_directory(out_dir) as tmp:
        for name, source in sources.items():
            (tmp / "images" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / "images" / name)
        write_coco(coco, tmp / "annotations.json")
    return CocoDataset(coco, out_dir / "images", problems)


def import_coco(
    json_path: str | Path, image_root: str | Path | None, out_dir: str | Path
) -> CocoDataset:
    """Validate and normalise a COCO file (polygons, compressed or uncompressed RLE).

    Parameters
    ----------
    json_path
        The COCO instance JSON (CVAT, Label Studio, ...).
    image_root
        Folder of its images (default: the JSON's folder).
    out_dir
        Output dataset folder.
    """
    dataset = load_coco(json_path, image_root)
    sources = {img["file_name"]: dataset.image_path(img) for img in dataset.coco["images"]}
    return _write(dataset.coco, sources, Path(out_dir), dataset.warnings)


def _categories(sidecar: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [dict(c) for c in (sidecar or {}).get("categories", CATEGORIES)]


def _image_entry(
    image_id: int, image_path: Path, file: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    from benchmark.data.coco import check_image_file

    entry = {"id": image_id, "file_name": image_path.name, "width": 0, "height": 0}
    try:
        from benchmark.data.images import read_image

        array = read_image(image_path)
    except Exception as exc:  # any decoder failure means the same thing to the user
        return None, [
            error("unreadable-image", f"cannot decode image: {exc}", file=str(image_path))
        ]
    entry["height"], entry["width"] = int(array.shape[0]), int(array.shape[1])
    problems = check_image_file(entry, image_path.parent, file)
    return (None if any(p.severity.value == "error" for p in problems) else entry), problems


def _category_id(categories: list[dict[str, Any]], name: str) -> int:
    for cat in categories:
        if cat["name"] == name:
            return int(cat["id"])
    known = ", ".join(c["name"] for c in categories)
    raise ValueError(f"unknown category {name!r}; known: {known}")


def import_label_images(
    labels_dir: str | Path,
    images_dir: str | Path,
    out_dir: str | Path,
    category: str = "macrophage",
) -> CocoDataset:
    """Import a folder of label images, each paired with its image by name.

    A ``label_classes.json`` sidecar (written by :func:`export_label_images`) restores classes;
    without it every instance gets ``category``.
    """
    from benchmark.data.images import read_image
    from benchmark.data.labels import CLASSES_FILE, label_problems, labels_to_annotations
    from benchmark.data.pairing import pair_with_images

    labels_dir, images_dir = Path(labels_dir), Path(images_dir)
    sidecar_path = labels_dir / CLASSES_FILE
    sidecar = json.loads(sidecar_path.read_text()) if sidecar_path.is_file() else None
    categories = _categories(sidecar)
    default = _category_id(categories, category)
    files = [p for p in sorted(labels_dir.iterdir()) if p.suffix.lower() in LABEL_SUFFIXES]
    pairs, problems = pair_with_images(files, images_dir)
    coco: dict[str, Any] = {
        "info": {"source": f"label images {labels_dir}"},
        "images": [],
        "annotations": [],
        "categories": categories,
    }
    sources: dict[str, Path] = {}
    for label_file, image_path in pairs.items():
        entry, found = _image_entry(len(coco["images"]) + 1, image_path, str(label_file))
        problems += found
        try:
            labels = read_image(label_file)
        except Exception as exc:  # any decoder failure means the same thing to the user
            problems.append(
                error("unreadable-image", f"cannot decode labels: {exc}", file=str(label_file))
            )
            continue
        found = label_problems(labels, str(label_file))
        if entry and not found and labels.shape != (entry["height"], entry["width"]):
            found.append(
                error(
                    "image-size-mismatch",
                    f"labels {labels.shape[::-1]} vs image {entry['width']}x{entry['height']}",
                    file=str(label_file),
                )
            )
        problems += found
        if entry is None or found:
            continue
        classes = {
            int(k): v for k, v in (sidecar or {}).get("images", {}).get(label_file.name, {}).items()
        }
        coco["images"].append(entry)
        sources[entry["file_name"]] = image_path
        coco["annotations"] += labels_to_annotations(
            labels, entry["id"], len(coco["annotations"]) + 1, classes, default
        )
    return _finish(coco, sources, Path(out_dir), problems, str(labels_dir))


def import_roi_sets(
    rois_dir: str | Path, images_dir: str | Path, out_dir: str | Path, category: str = "macrophage"
) -> CocoDataset:
    """Import ImageJ/Fiji ROI sets (``<image>_RoiSet.zip``, ``<image>.zip`` or ``.roi``) by name.

    A ROI whose name starts with a category name gets that category; others get ``category``.
    """
    from benchmark.data.imagej import roi_set_masks
    from benchmark.data.pairing import pair_with_images

    rois_dir, images_dir = Path(rois_dir), Path(images_dir)
    categories = _categories(None)
    default = _category_id(categories, category)
    files = [p for p in sorted(rois_dir.iterdir()) if p.suffix.lower() in ROI_SUFFIXES]
    pairs, problems = pair_with_images(files, images_dir)
    coco: dict[str, Any] = {
        "info": {"source": f"ImageJ ROI sets {rois_dir}"},
        "images": [],
        "annotations": [],
        "categories": categories,
    }
    sources: dict[str, Path] = {}
    for roi_file, image_path in pairs.items():
        entry, found = _image_entry(len(coco["images"]) + 1, image_path, str(roi_file))
        problems += found
        if entry is None:
            continue
        masks, found = roi_set_masks(
            roi_file, entry["height"], entry["width"], [c["name"] for c in categories]
        )
        problems += found
        coco["images"].append(entry)
        sources[entry["file_name"]] = image_path
        for name, mask in masks:
            cat = _category_id(categories, name) if name else default
            coco["annotations"].append(
                make_annotation(len(coco["annotations"]) + 1, entry["id"], cat, mask)
            )
    return _finish(coco, sources, Path(out_dir), problems, str(rois_dir))


def _finish(
    coco: dict[str, Any],
    sources: dict[str, Path],
    out_dir: Path,
    problems: list[Problem],
    context: str,
) -> CocoDataset:
    """Re-validate the built COCO (overlaps, tiny masks ...), then write it if error-free."""
    if not coco["images"]:
        problems.append(error("no-images", "nothing was imported", file=context))
    raise_if_errors(problems, context)
    normalised, found = normalise_coco(coco, out_dir, context, check_images=False)
    problems += found
    raise_if_errors(problems, context)
    return _write(normalised, sources, out_dir, problems)  # type: ignore[arg-type]


def import_any(
    kind: str,
    source: str | Path,
    images: str | Path | None,
    out_dir: str | Path,
    category: str = "macrophage",
) -> CocoDataset:
    """Dispatch to the importer for ``kind`` (``coco``, ``labels`` or ``imagej``)."""
    if kind == "coco":
        return import_coco(source, images, out_dir)
    if images is None:
        raise ValueError(f"--images is required for {kind} import")
    if kind == "labels":
        return import_label_images(source, images, out_dir, category)
    if kind == "imagej":
        return import_roi_sets(source, images, out_dir, category)
    raise ValueError(f"unknown import format {kind!r}; use coco, labels or imagej")


def read_problems(
    json_path: str | Path, image_root: str | Path | None, check_images: bool = True
) -> list[Problem]:
    """All problems of a COCO file, without raising (for ``macroseg data validate``)."""
    json_path = Path(json_path)
    coco, problems = read_json(json_path)
    if coco is not None:
        root = Path(image_root) if image_root is not None else json_path.parent
        problems += normalise_coco(coco, root, str(json_path), check_images)[1]
    return problems
