"""Pairing annotation files (label images, ROI sets) with the images they annotate.

An annotation file ``foo_masks.png`` or ``foo_RoiSet.zip`` pairs with the image whose stem is
``foo`` after removing one known suffix (``_labels``, ``_label``, ``_masks``, ``_mask``,
``_cp_masks``, ``_seg``, ``_RoiSet``, ``_rois``, ``_roi``), or whose stem equals the file's stem
when both live in different folders.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.data.errors import Problem, error

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp")
ANNOTATION_SUFFIXES = (
    "_cp_masks",
    "_labels",
    "_label",
    "_masks",
    "_mask",
    "_seg",
    "_roiset",
    "-roiset",
    "_rois",
    "_roi",
)


def base_stem(path: Path) -> str:
    """Stem of an annotation file without its annotation suffix (case-insensitive)."""
    stem = path.name[: -len("".join(path.suffixes))] if path.suffixes else path.name
    for suffix in ANNOTATION_SUFFIXES:
        if stem.lower().endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def pair_with_images(
    annotation_files: list[Path], images_dir: Path
) -> tuple[dict[Path, Path], list[Problem]]:
    """Pair each annotation file with exactly one image in ``images_dir``.

    Returns
    -------
    pairs, problems
        ``{annotation_file: image_file}`` and an error for each file with no or several images.
    """
    images = [p for p in sorted(images_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    by_stem: dict[str, list[Path]] = {}
    for image in images:
        by_stem.setdefault(image.stem, []).append(image)
    pairs: dict[Path, Path] = {}
    problems: list[Problem] = []
    for ann in annotation_files:
        candidates = [c for c in by_stem.get(base_stem(ann), []) if c.resolve() != ann.resolve()]
        if not candidates:
            problems.append(
                error(
                    "missing-image",
                    f"no image named {base_stem(ann)}.* in {images_dir}",
                    file=str(ann),
                )
            )
        elif len(candidates) > 1:
            names = ", ".join(c.name for c in candidates)
            problems.append(
                error("ambiguous-image", f"several images match: {names}", file=str(ann))
            )
        else:
            pairs[ann] = candidates[0]
    return pairs, problems
