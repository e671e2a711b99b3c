"""Seeded splits by image: k folds (optionally grouped) and a fixed held-out test set.

Splitting is by image, never by instance, so no image contributes cells to both sides. With a
grouping key (an ``images`` entry such as ``"field"`` or ``"well"``) all crops or frames of the same
field stay on the same side. Images without the key form a group of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _groups(images: list[dict[str, Any]], group_key: str | None) -> dict[str, list[int]]:
    """Map group name to image ids, in a stable (sorted) order."""
    groups: dict[str, list[int]] = {}
    for img in images:
        value = img.get(group_key) if group_key else None
        name = f"key:{value}" if value is not None else f"image:{img['id']}"
        groups.setdefault(name, []).append(img["id"])
    return dict(sorted(groups.items()))


def _shuffled(groups: dict[str, list[int]], seed: int) -> list[list[int]]:
    names = list(groups)
    order = np.random.default_rng(seed).permutation(len(names))
    return [groups[names[i]] for i in order]


def kfold(
    images: list[dict[str, Any]], k: int, seed: int = 0, group_key: str | None = None
) -> list[tuple[list[int], list[int]]]:
    """Split image ids into ``k`` folds.

    Groups are shuffled with ``seed`` and dealt, largest first, to the fold with the fewest images,
    so folds are balanced in images while groups stay whole.

    Parameters
    ----------
    images
        COCO ``images`` entries.
    k
        Number of folds (at least 2, at most the number of groups).
    seed
        Shuffle seed.
    group_key
        Optional ``images`` key whose equal values must stay in one fold.

    Returns
    -------
    list of (train_ids, validation_ids)
        One pair per fold; every image is in exactly one validation set.
    """
    groups = _shuffled(_groups(images, group_key), seed)
    if k < 2 or k > len(groups):
        raise ValueError(f"k must be between 2 and the number of groups ({len(groups)}), got {k}")
    folds: list[list[int]] = [[] for _ in range(k)]
    for members in sorted(groups, key=len, reverse=True):
        min(folds, key=len).extend(members)
    everything = [img["id"] for img in images]
    held = [set(fold) for fold in folds]
    return [
        ([i for i in everything if i not in out], sorted(fold))
        for fold, out in zip(folds, held, strict=True)
    ]


def holdout(
    images: list[dict[str, Any]], fraction: float, seed: int = 0, group_key: str | None = None
) -> tuple[list[int], list[int]]:
    """Set aside a fixed test set of about ``fraction`` of the images (whole groups).

    Returns
    -------
    rest_ids, test_ids
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    target = fraction * len(images)
    test: list[int] = []
    for members in _shuffled(_groups(images, group_key), seed):
        if len(test) >= target:
            break
        test.extend(members)
    chosen = set(test)
    return [img["id"] for img in images if img["id"] not in chosen], sorted(test)


def subset(coco: dict[str, Any], image_ids: list[int]) -> dict[str, Any]:
    """The part of a COCO dict that belongs to ``image_ids`` (categories kept whole)."""
    keep = set(image_ids)
    return {
        **{k: v for k, v in coco.items() if k not in ("images", "annotations")},
        "images": [img for img in coco["images"] if img["id"] in keep],
        "annotations": [a for a in coco["annotations"] if a["image_id"] in keep],
    }


def write_splits(
    folder: str | Path,
    test_fraction: float = 0.2,
    validation_fraction: float = 0.15,
    seed: int = 0,
    group_key: str | None = None,
) -> dict[str, Path]:
    """Split an imported dataset into the ``train`` / ``validation`` / ``test`` files training uses.

    Reads ``<folder>/annotations.json`` (what ``macroseg data import`` writes) and writes
    ``<folder>/annotations/{train,validation,test}.json``: a held-out test set of about
    ``test_fraction`` of the images, then a validation set of about ``validation_fraction`` of
    them, whole groups at a time (see :func:`holdout`). The input file is not modified.
    """
    import json

    from benchmark.fileio import write_json_atomic

    folder = Path(folder)
    coco = json.loads((folder / "annotations.json").read_text())
    rest, test = holdout(coco["images"], test_fraction, seed, group_key)
    remaining = [img for img in coco["images"] if img["id"] in set(rest)]
    fraction = validation_fraction * len(coco["images"]) / max(len(remaining), 1)
    train, validation = holdout(remaining, min(fraction, 0.99), seed + 1, group_key)
    if not train or not validation or not test:
        sizes = f"train {len(train)}, validation {len(validation)}, test {len(test)} images"
        raise ValueError(
            f"{folder}: too few images or groups to split ({sizes}); "
            "lower the fractions or annotate more images"
        )
    return {
        name: write_json_atomic(folder / "annotations" / f"{name}.json", subset(coco, ids))
        for name, ids in (("train", train), ("validation", validation), ("test", test))
    }
