"""``macroseg run``: data -> train -> predict -> evaluate and report, each stage cached.

Stages and what decides whether they run:

1. **data**: the dataset folder (the embedded synthetic default unless one is given); its
   content hash (:func:`benchmark.model.jobs.dataset_hash`) keys everything after it.
2. **train**: skipped when ``<work>/<config>-<key>/model/model_final.pth`` exists for the key
   ``sha256(training digest, dataset hash)`` (the training digest leaves out keys that only
   change scoring or logging); an interrupted training resumes from its last checkpoint.
3. **predict**: the held-out split, one cached file per image keyed by the weights, the
   inference settings and code, and the image file, so a rerun predicts only what is missing.
4. **report**: figures, tables and ``manifest.json`` into the output folder, skipped when every
   figure is there and the manifest names this config, data, checkpoint, these predictions and
   the current source of the metrics, plots and report code.

All files are written atomically; the log says which stages ran and which were up to date.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.fileio import sha256_file, write_json_atomic

logger = logging.getLogger("benchmark.pipeline")

#: Default folders: intermediate runs (gitignored) and the generated site assets.
DEFAULT_WORK_DIR = Path("runs")
DEFAULT_OUTPUT_DIR = Path("docs/assets/benchmark")
HELD_OUT_SPLIT = "test"


@dataclass
class StageTimer:
    """Wall time of each stage, and whether it ran or was up to date."""

    seconds: dict[str, float] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)

    def record(self, stage: str, started: float, ran: bool) -> None:
        """Note a finished stage and log it."""
        self.seconds[stage] = round(time.perf_counter() - started, 2)
        self.status[stage] = "ran" if ran else "up to date"
        logger.info("stage %-8s %-10s %8.1f s", stage, self.status[stage], self.seconds[stage])


def run_key(config_digest: str, dataset_digest: str) -> str:
    """The cache key of a training run: its config and its data."""
    return hashlib.sha256(f"{config_digest}:{dataset_digest}".encode()).hexdigest()[:16]


def run(
    config: str = "scratch_cpu",
    dataset: Path | None = None,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    work_dir: Path = DEFAULT_WORK_DIR,
    overrides: list[str] | tuple[str, ...] = (),
    folds: int = 0,
) -> dict[str, Any]:
    """Run every stage that is out of date; return the manifest that was written.

    Parameters
    ----------
    config
        Shipped config name or YAML file.
    dataset
        Dataset folder (``annotations/{train,validation,test}.json`` + ``images/``); the
        embedded synthetic default when ``None``.
    output_dir
        Figures, tables and the manifest (``make benchmark``: ``docs/assets/benchmark``).
    work_dir
        Checkpoints, predictions and per-image caches.
    overrides
        Config overrides, ``KEY VALUE`` pairs.
    folds
        With ``k >= 2``, also train ``k`` models on folds of the training split (each cached;
        :func:`benchmark.model.jobs.kfold`) and draw their spread as the figures' bands instead
        of bootstrap intervals.
    """
    from benchmark.data.generate import cached_path, default_dataset
    from benchmark.model.config import config_digest, load_config, training_digest
    from benchmark.model.jobs import dataset_hash, predict_split, split_json, train_on_folder

    timer = StageTimer()

    started = time.perf_counter()
    generate = dataset is None and not (cached_path() / "card.json").is_file()
    data_root = Path(dataset) if dataset is not None else default_dataset()
    data_digest = dataset_hash(data_root)
    timer.record("data", started, ran=generate)

    started = time.perf_counter()
    cfg = load_config(config, list(overrides))
    cfg_digest = config_digest(cfg)
    run_dir = Path(work_dir) / f"{Path(config).stem}-{run_key(training_digest(cfg), data_digest)}"
    checkpoint = run_dir / "model" / "model_final.pth"
    must_train = not checkpoint.is_file()
    if must_train:
        result = train_on_folder(cfg, data_root, run_dir / "model", resume=True)
        iterations = cfg.SOLVER.MAX_ITER - result.start_iteration
        _write_stats(run_dir / "train_stats.json", started, iterations, "iteration")
    timer.record("train", started, ran=must_train)

    started = time.perf_counter()
    predictions = run_dir / f"predictions_{HELD_OUT_SPLIT}.json"
    predicted = predict_split(checkpoint, data_root, HELD_OUT_SPLIT, predictions)
    n_images = len(json.loads(split_json(data_root, HELD_OUT_SPLIT).read_text())["images"])
    if predicted == n_images:  # a complete, uninterrupted pass: its time per image is meaningful
        _write_stats(run_dir / "predict_stats.json", started, n_images, "image")
    timer.record("predict", started, ran=predicted > 0)

    fold_runs: list[Path] = []
    if folds:
        from benchmark.model.jobs import kfold

        started = time.perf_counter()
        kfold(cfg, data_root, run_dir / f"kfold{folds}", folds=folds)
        fold_runs = sorted((run_dir / f"kfold{folds}").glob("fold_*"))
        timer.record("kfold", started, ran=True)

    started = time.perf_counter()
    provenance = _provenance(
        config,
        cfg,
        cfg_digest,
        data_root,
        data_digest,
        sha256_file(checkpoint),
        sha256_file(predictions),
    )
    provenance["training"] = _read_json(run_dir / "train_stats.json")
    provenance["inference"] = _read_json(run_dir / "predict_stats.json")
    provenance["folds"] = folds
    must_report = not _report_is_current(Path(output_dir), provenance)
    if must_report:
        _report(
            cfg, data_root, run_dir, predictions, Path(output_dir), provenance, timer, fold_runs
        )
    timer.record("report", started, ran=must_report)
    return provenance


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


def _write_stats(path: Path, started: float, count: int, unit: str) -> None:
    """Wall time of a stage that ran in full, and the time per iteration / image."""
    seconds = time.perf_counter() - started
    write_json_atomic(
        path, {"seconds": round(seconds, 1), f"{unit}s": count, f"s_per_{unit}": seconds / count}
    )


def _provenance(
    config: str,
    cfg: Any,
    cfg_digest: str,
    data_root: Path,
    data_digest: str,
    checkpoint_digest: str,
    predictions_digest: str,
) -> dict[str, Any]:
    """What the report's numbers come from (the manifest adds libraries, time and timings)."""
    from benchmark.environment import code_version, collect_environment, source_digest

    environment = collect_environment()
    return {
        "config": {"name": Path(config).stem, "digest": cfg_digest, "yaml": cfg.dump()},
        "dataset": {"name": data_root.name, "hash": data_digest, "held_out_split": HELD_OUT_SPLIT},
        "report_code_sha256": source_digest("metrics", "plots", "report"),
        "checkpoint": {"sha256": checkpoint_digest},
        "predictions": {"sha256": predictions_digest},
        "detectron2": {
            "version": environment["detectron2"],
            "source": environment["detectron2 source"],
        },
        "device": "cuda" if environment["CUDA available"] == "True" else "cpu",
        "environment": environment,
        "code_version": code_version(),
    }


def _report_is_current(output_dir: Path, provenance: dict[str, Any]) -> bool:
    """Whether the output holds every figure and its manifest describes these inputs and code."""
    from benchmark.report import read_manifest
    from benchmark.report.build import FIGURES

    manifest = output_dir / "manifest.json"
    if not manifest.is_file() or not all((output_dir / f).is_file() for f in FIGURES):
        return False
    saved = read_manifest(manifest)
    keys = ("checkpoint", "predictions", "config", "dataset", "report_code_sha256", "folds")
    return all(saved.get(k) == provenance[k] for k in keys)


def _report(
    cfg: Any,
    data_root: Path,
    run_dir: Path,
    predictions: Path,
    output_dir: Path,
    provenance: dict[str, Any],
    timer: StageTimer,
    fold_runs: list[Path],
) -> list[Path]:
    """Figures, tables and the manifest (with the timings of the stages so far)."""
    from benchmark.model.jobs import split_json
    from benchmark.report import build_report
    from benchmark.report.build import evaluate_predictions

    threshold = cfg.MACROSEG.SCORE_THRESHOLD
    fold_evaluations = [
        evaluate_predictions(
            split_json(fold / "data", "test"), fold / "predictions.json", threshold
        )
        for fold in fold_runs
    ]

    provenance = {**provenance, "timings_s": dict(timer.seconds), "stages": dict(timer.status)}
    return build_report(
        output_dir,
        split_json(data_root, HELD_OUT_SPLIT),
        data_root / "images",
        predictions,
        score_threshold=threshold,
        fold_evaluations=fold_evaluations or None,
        training_metrics=run_dir / "model" / "metrics.json",
        splits={s: split_json(data_root, s) for s in ("train", "validation")},
        provenance=provenance,
    )
