"""Whole synthetic datasets: splits, COCO files, images, dataset card; and the cached default.

Layout of a generated dataset folder::

    <root>/images/<split>/<split>_0000.png
    <root>/annotations/<split>.json     (normalised COCO, one file per split)
    <root>/card.json, <root>/card.md     (dataset card)

Each split draws images from its own random stream, so the held-out ``test`` split is fixed by
the seed whatever the sizes of the other splits. Images are generated in parallel but accepted in
index order until the split's instance target is reached, so the result does not depend on the
number of worker processes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.data.synthetic import CATEGORIES, GENERATOR_VERSION, SynthConfig

#: Environment variable overriding the cache folder (default ``~/.cache/macroseg``).
CACHE_ENV = "MACROSEG_CACHE"


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: name, seed, instance target per split and the image settings."""

    name: str = "macroseg-synth"
    seed: int = 2024
    splits: tuple[tuple[str, int], ...] = (("train", 500), ("validation", 150), ("test", 330))
    config: SynthConfig = field(default_factory=SynthConfig)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, including the generator version."""
        return {
            "name": self.name,
            "seed": self.seed,
            "splits": dict(self.splits),
            "config": self.config.to_dict(),
            "generator_version": GENERATOR_VERSION,
        }

    def digest(self) -> str:
        """Short content hash: changes whenever the output would change."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


DEFAULT_SPEC = DatasetSpec()


def cache_root() -> Path:
    """Cached datasets: ``$MACROSEG_CACHE/datasets``, else ``~/.cache/macroseg/datasets``."""
    base = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "macroseg"
    return Path(base).expanduser() / "datasets"


def cached_path(spec: DatasetSpec = DEFAULT_SPEC) -> Path:
    """Where ``spec`` is (or will be) cached."""
    return cache_root() / f"{spec.name}-{spec.digest()}"


def default_dataset(spec: DatasetSpec = DEFAULT_SPEC, progress: bool = True) -> Path:
    """Return the folder of the cached dataset for ``spec``, generating it on first use."""
    root = cached_path(spec)
    if not (root / "card.json").is_file():
        generate_dataset(root, spec, progress=progress)
    return root


def _render_job(job: tuple[int, int, int, SynthConfig]) -> tuple[bytes, list[str], list[dict]]:
    """Worker: render one image; return its encoded file, morphologies and RLE masks."""
    from benchmark.data.images import encode_image
    from benchmark.data.masks import encode_mask
    from benchmark.data.synthetic import generate_image, scene_masks

    seed, stream, index, config = job
    image, scene = generate_image(seed, stream, index, config)
    masks = [encode_mask(m) for m in scene_masks(scene)]
    return encode_image(image, f".{config.image_format}"), scene.morphologies, masks


def generate_dataset(
    out_dir: str | Path,
    spec: DatasetSpec = DEFAULT_SPEC,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Generate a dataset folder atomically (written to a temporary folder, then renamed).

    Parameters
    ----------
    out_dir
        Destination folder (replaced if it exists).
    spec
        What to generate.
    workers
        Worker processes; defaults to the number of CPUs (at most 8). ``1`` runs in-process.
    progress
        Show a progress bar.

    Returns
    -------
    Path
        ``out_dir``.
    """
    from benchmark.data.card import build_card, write_card
    from benchmark.data.coco import write_coco
    from benchmark.fileio import atomic_directory, write_bytes_atomic

    workers = workers or min(os.cpu_count() or 1, 8)
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp, _executor(workers) as pool, _progress(progress) as bar:
        counters = {"image": 1, "annotation": 1}
        for stream, (split, target) in enumerate(spec.splits):
            task = bar.add_task(f"synth {split}", total=target) if bar else None
            coco = _empty_coco(spec, split)
            for index, (data, morphs, masks) in enumerate(
                _split_results(pool, spec, stream, target, workers)
            ):
                file_name = f"{split}/{split}_{index:04d}.{spec.config.image_format}"
                write_bytes_atomic(tmp / "images" / file_name, data)
                _add_image(coco, counters, spec, file_name, f"{split}-{index:04d}", morphs, masks)
                if bar:
                    bar.update(task, completed=min(len(coco["annotations"]), target))
            write_coco(coco, tmp / "annotations" / f"{split}.json")
        write_card(tmp, build_card(tmp, spec.to_dict()))
    return out_dir


def _split_results(pool: Executor, spec: DatasetSpec, stream: int, target: int, workers: int):
    """Yield rendered images of one split in index order until ``target`` instances are reached."""
    total, index = 0, 0
    while total < target:
        batch = max(math.ceil((target - total) / spec.config.cells_per_image) + 1, workers)
        jobs = [(spec.seed, stream, i, spec.config) for i in range(index, index + batch)]
        index += batch
        for result in pool.map(_render_job, jobs):
            yield result
            total += len(result[1])
            if total >= target:
                return


def _empty_coco(spec: DatasetSpec, split: str) -> dict[str, Any]:
    info = {
        "description": f"{spec.name} {split} split: synthetic 20x macrophage images",
        "version": GENERATOR_VERSION,
        "split": split,
        "generator": spec.to_dict(),
        "pixel_size_um": spec.config.pixel_size_um,
        "macroseg_format": 1,
    }
    return {
        "info": info,
        "images": [],
        "annotations": [],
        "categories": [dict(c) for c in CATEGORIES],
    }


def _add_image(
    coco: dict[str, Any],
    counters: dict[str, int],
    spec: DatasetSpec,
    file_name: str,
    field_name: str,
    morphologies: list[str],
    masks: list[dict[str, Any]],
) -> None:
    from benchmark.data.coco import make_annotation
    from benchmark.data.masks import decode_rle

    image_id = counters["image"]
    counters["image"] += 1
    coco["images"].append(
        {
            "id": image_id,
            "file_name": file_name,
            "width": spec.config.width,
            "height": spec.config.height,
            "pixel_size_um": spec.config.pixel_size_um,
            "modality": spec.config.modality,
            "field": field_name,
        }
    )
    for morph, rle in zip(morphologies, masks, strict=True):
        category = 2 if morph == "dead" else 1
        ann = make_annotation(
            counters["annotation"],
            image_id,
            category,
            decode_rle(rle),
            attributes={"morphology": morph},
        )
        coco["annotations"].append(ann)
        counters["annotation"] += 1


class _InlineExecutor(Executor):
    """Runs jobs in this process (``workers=1``): same results, no process start-up."""

    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[override]
        return map(fn, *iterables)


def _executor(workers: int) -> Executor:
    return _InlineExecutor() if workers == 1 else ProcessPoolExecutor(max_workers=workers)


def _progress(enabled: bool):
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )
