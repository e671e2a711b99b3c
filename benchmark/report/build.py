"""Build the benchmark report: figures, tables and manifest from files.

Inputs are files only (the ground truth of the held-out split, its images, the predictions as
COCO results, optionally the training log and other splits); nothing here touches a model.
Everything is written atomically into one folder (``docs/assets/benchmark/`` in ``make
benchmark``), laid out as the documentation expects::

    overlays.png  overlay_zoom.png  prf1_vs_iou.png  prf1_vs_iou_tertiles.png  pr_curve.png
    training_loss.png (only with a training log)  shape_features.png  figures.json (alt texts)
    tables/{metrics,tertiles,permutation_test,coco_ap,errors,dataset}.md
    tables/{overall,subsets,per_image,intervals,errors,pr_curve,coco_ap,dataset}.{csv,json}
    tables/permutation_test.json  tables/bands.{csv,json} (with k-fold evaluations)
    manifest.json (with provenance)

Precision, recall, F1, their intervals, the subsets, the permutation test, the error counts and
the overlays use the predictions scoring at least the score threshold; the precision–recall curve
and COCO AP use all of them.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from benchmark.fileio import write_text_atomic
from benchmark.metrics.adapters import coco_pairs
from benchmark.metrics.coco_ap import CocoAP, coco_ap
from benchmark.metrics.evaluator import ALL, Evaluation, ImagePair, evaluate
from benchmark.metrics.matching import DEFAULT_THRESHOLDS
from benchmark.metrics.shape import shape_features
from benchmark.metrics.tables import to_json, write_table
from benchmark.metrics.uncertainty import IntervalRecord, PermutationResult, across_models
from benchmark.plots.shapes import feature_labels, plot_shape_features
from benchmark.plots.style import save_png
from benchmark.plots.training import plot_training_loss, read_training_metrics
from benchmark.report import figures as report_figures
from benchmark.report import tables
from benchmark.report.manifest import MANIFEST_NAME, build_manifest, write_manifest

#: Every figure the report can write (the docs embed them by these names).
FIGURES = (
    "overlays.png",
    "overlay_zoom.png",
    "prf1_vs_iou.png",
    "prf1_vs_iou_tertiles.png",
    "pr_curve.png",
    "training_loss.png",
    "shape_features.png",
)
#: Alt texts of the figures: file name -> alt text.
ALT_TEXTS = "figures.json"
#: IoU threshold of the overlays, the permutation test, the error counts and the PR curve.
IOU = 0.5


def load_json(source: str | Path | dict | list) -> Any:
    """Parsed JSON of a file (or the object itself when already parsed)."""
    if isinstance(source, dict | list):
        return source
    return json.loads(Path(source).read_text(encoding="utf-8"))


def dataset_pixel_size(coco: Mapping[str, Any]) -> float | None:
    """The pixel size (µm) shared by every image of a COCO dataset, else ``None``."""
    sizes = {img.get("pixel_size_um") for img in coco.get("images", [])}
    if len(sizes) == 1 and isinstance(next(iter(sizes)), int | float):
        return float(next(iter(sizes)))
    return None


def subset_feature(pixel_size: float | None) -> str:
    """Shape feature of the subsets: perimeter/area in 1/µm when the pixel size is known."""
    return "perimeter_over_area" if pixel_size is None else "perimeter_over_area_um"


def filter_scores(results: Sequence[Mapping], score_threshold: float) -> list[Mapping]:
    """The detections scoring at least ``score_threshold``."""
    return [r for r in results if float(r["score"]) >= score_threshold]


def evaluate_predictions(
    ground_truth: str | Path | dict,
    predictions: str | Path | list,
    score_threshold: float = 0.5,
    pixel_size: float | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> Evaluation:
    """Evaluate COCO results the way the report does (score cut-off, perimeter/area tertiles).

    Use it for the k-fold models whose spread :func:`build_report` draws as bands, so that
    their groups match the held-out evaluation.

    Parameters
    ----------
    ground_truth
        COCO ground truth (path or dict).
    predictions
        COCO results (path or list).
    score_threshold
        Detections scoring below it are dropped.
    pixel_size
        Pixel size in µm (default: from the ground truth's images, if they agree).
    thresholds
        IoU thresholds.
    """
    return _evaluate(
        load_json(ground_truth), load_json(predictions), score_threshold, pixel_size, thresholds
    )[0]


def _evaluate(
    gt: dict,
    results: list,
    score_threshold: float,
    pixel_size: float | None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> tuple[Evaluation, list[ImagePair]]:
    size = pixel_size if pixel_size is not None else dataset_pixel_size(gt)
    pairs, names = coco_pairs(gt, filter_scores(results, score_threshold))
    ev = evaluate(pairs, thresholds, "optimal", names, subset_feature(size), 3, size)
    return ev, pairs


def coco_ap_by_class(
    gt: Mapping[str, Any], results: Sequence[Mapping], max_dets: int = 1000
) -> dict[str, CocoAP | None]:
    """COCO AP of each category alone and of all together (``None`` without detections)."""
    out: dict[str, CocoAP | None] = {}
    categories = {int(c["id"]): str(c["name"]) for c in gt["categories"]}
    subsets = {name: [cid] for cid, name in categories.items()} if len(categories) > 1 else {}
    for name, ids in {**subsets, ALL: list(categories)}.items():
        dets = [r for r in results if int(r["category_id"]) in ids]
        if not dets:
            out[name] = None
            continue
        sub = copy.copy(dict(gt))
        sub["categories"] = [c for c in gt["categories"] if int(c["id"]) in ids]
        sub["annotations"] = [a for a in gt["annotations"] if int(a["category_id"]) in ids]
        out[name] = coco_ap(sub, list(dets), max_dets)
    return out


def split_counts(coco: Mapping[str, Any]) -> tables.SplitCounts:
    """Images and non-crowd annotations of a COCO split, per category name."""
    names = {int(c["id"]): str(c["name"]) for c in coco["categories"]}
    anns = [a for a in coco["annotations"] if not a.get("iscrowd", 0)]
    per_class = Counter(names.get(int(a["category_id"]), str(a["category_id"])) for a in anns)
    return tables.SplitCounts(len(coco["images"]), len(anns), dict(per_class))


def split_features(coco: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Shape features (pixel units) of the non-crowd annotations of a COCO split."""
    pairs, _ = coco_pairs(dict(coco), [])
    crops: list[np.ndarray] = []
    for pair in pairs:
        _, c = pair.gt.to_crops()
        crops += [m for m, ignored in zip(c, pair.gt.ignore, strict=True) if not ignored]
    return shape_features(crops)


@dataclass(frozen=True)
class Analysis:
    """Everything measured on the held-out split that the figures and tables show.

    Attributes
    ----------
    gt, results
        The COCO ground truth and all detections.
    pairs
        Ground truth and score-filtered predictions per image.
    ev
        Evaluation of the score-filtered predictions (with perimeter/area subsets).
    sweep
        Evaluation of all detections at IoU 0.5 (for the precision–recall curve).
    intervals
        Bootstrap intervals of ``ev``.
    permutation
        Test of F1 in the lowest vs the highest subset at IoU 0.5.
    subsets
        Subset names of ``ev``, low to high.
    pixel_size
        Pixel size in µm, if known.
    score_threshold
        The score cut-off.
    """

    gt: dict
    results: list
    pairs: list[ImagePair]
    ev: Evaluation
    sweep: Evaluation
    intervals: list[IntervalRecord]
    permutation: PermutationResult
    subsets: list[str]
    pixel_size: float | None
    score_threshold: float

    @property
    def feature_label(self) -> str:
        """Readable name and unit of the subsets' feature."""
        return feature_labels(self.pixel_size)["perimeter_over_area"]


def analyse(
    gt: dict,
    results: list,
    score_threshold: float = 0.5,
    pixel_size: float | None = None,
    n_resamples: int = 1000,
    n_permutations: int = 10000,
    seed: int = 0,
) -> Analysis:
    """Evaluate the held-out predictions, bootstrap the scores and test the subsets.

    Parameters
    ----------
    gt, results
        COCO ground truth and results.
    score_threshold, pixel_size, n_resamples, n_permutations, seed
        As for :func:`build_report`.
    """
    size = pixel_size if pixel_size is not None else dataset_pixel_size(gt)
    ev, pairs = _evaluate(gt, results, score_threshold, size)
    sweep = evaluate(coco_pairs(gt, results)[0], (IOU,), "optimal", category_names(gt))
    subsets = [s for _, s in report_figures.subset_groups(ev)]
    return Analysis(
        gt=gt,
        results=results,
        pairs=pairs,
        ev=ev,
        sweep=sweep,
        intervals=ev.confidence_intervals(n_resamples=n_resamples, seed=seed),
        permutation=ev.permutation_test(subsets[0], subsets[-1], IOU, ALL, n_permutations, seed),
        subsets=subsets,
        pixel_size=size,
        score_threshold=score_threshold,
    )


def category_names(gt: Mapping[str, Any]) -> dict[int, str]:
    """Category id -> name of a COCO dataset."""
    return {int(c["id"]): str(c["name"]) for c in gt.get("categories", [])}


class _Writer:
    """Collects the paths written and the alt text of each figure."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.paths: list[Path] = []
        self.alt: dict[str, str] = {}

    def figure(self, name: str, fig: Figure, alt: str) -> None:
        self.paths.append(save_png(fig, self.out_dir / name))
        self.alt[name] = alt

    def text(self, name: str, text: str) -> None:
        self.paths.append(write_text_atomic(self.out_dir / name, text))

    def json(self, name: str, obj: Any) -> None:
        self.paths.append(write_text_atomic(self.out_dir / name, to_json(obj)))

    def table(self, records: Sequence, name: str) -> None:
        self.paths += write_table(records, self.out_dir / "tables", name)


def build_report(
    out_dir: str | Path,
    ground_truth: str | Path,
    images_dir: str | Path,
    predictions: str | Path,
    *,
    score_threshold: float = 0.5,
    fold_evaluations: Sequence[Evaluation] | None = None,
    training_metrics: str | Path | None = None,
    splits: Mapping[str, str | Path] | None = None,
    held_out_split: str = "test",
    pixel_size: float | None = None,
    provenance: Mapping[str, Any] | None = None,
    n_resamples: int = 1000,
    n_permutations: int = 10000,
    seed: int = 0,
    max_dets: int = 1000,
) -> list[Path]:
    """Write every figure, table and the manifest of the report into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created).
    ground_truth
        COCO JSON of the held-out split.
    images_dir
        Folder the ground truth's ``file_name`` entries are relative to.
    predictions
        COCO results JSON (RLE masks, scores, category ids) of the held-out split.
    score_threshold
        Detections below it are dropped for everything but the PR curve and COCO AP.
    fold_evaluations
        Evaluations of k-fold models (made with :func:`evaluate_predictions`); their spread
        (mean ± 1 s.d.) is drawn as the bands instead of the bootstrap intervals.
    training_metrics
        detectron2 ``metrics.json`` of the training run; without it no ``training_loss.png`` is
        written (and a stale one is removed).
    splits
        Other splits' COCO JSON by name (e.g. ``{"train": ..., "validation": ...}``) for the
        dataset table; ``"train"`` is also drawn in the shape histograms.
    held_out_split
        Name of the held-out split in the dataset table and histograms.
    pixel_size
        Pixel size in µm (default: from the ground truth's images, if they agree).
    provenance
        Written to ``manifest.json`` through :func:`benchmark.report.manifest.build_manifest`
        (it needs ``config`` and ``dataset``); the time taken by this function is added as
        ``timings_s.report``. Without it no manifest is written.
    n_resamples, n_permutations, seed
        Bootstrap resamples, permutation-test permutations and their seed.
    max_dets
        Detection cap of the main COCO AP numbers.

    Returns
    -------
    list of Path
        Every file written.
    """
    start = time.perf_counter()
    out = _Writer(Path(out_dir))
    a = analyse(
        load_json(ground_truth),
        load_json(predictions),
        score_threshold,
        pixel_size,
        n_resamples,
        n_permutations,
        seed,
    )
    all_splits = {name: load_json(path) for name, path in (splits or {}).items()}
    all_splits[held_out_split] = a.gt
    _figures(out, a, Path(images_dir), fold_evaluations)
    if training_metrics is not None:
        out.figure(
            "training_loss.png",
            plot_training_loss(read_training_metrics(training_metrics)),
            "Training losses against iteration: total, classification, box regression, "
            "mask and proposal losses, beside the validation scores or learning rate.",
        )
    shown = {k: all_splits[k] for k in ("train", held_out_split) if k in all_splits}
    out.figure(
        "shape_features.png",
        plot_shape_features({k: split_features(v) for k, v in shown.items()}, a.pixel_size),
        "Histograms of cell area, perimeter and perimeter-to-area ratio in the "
        f"{' and '.join(shown)} splits.",
    )
    _tables(out, a, all_splits, fold_evaluations, max_dets)
    _remove_stale(out)
    out.json(ALT_TEXTS, out.alt)
    if provenance is not None:
        timings = {
            **provenance.get("timings_s", {}),
            "report": round(time.perf_counter() - start, 2),
        }
        manifest = build_manifest({**provenance, "timings_s": timings})
        out.paths.append(write_manifest(manifest, out.out_dir / MANIFEST_NAME))
    return out.paths


def _figures(
    out: _Writer, a: Analysis, images_dir: Path, fold_evaluations: Sequence[Evaluation] | None
) -> None:
    from benchmark.data.images import read_image

    folds = report_figures.fold_bands(fold_evaluations) if fold_evaluations else None
    bootstrap = report_figures.bootstrap_bands(a.intervals)
    paths = {str(img["id"]): images_dir / img["file_name"] for img in a.gt["images"]}
    for name, fig, alt in report_figures.overlay_figures(a.pairs, a.ev, paths, read_image):
        out.figure(name, fig, alt)
    out.figure("prf1_vs_iou.png", *report_figures.classes_figure(a.ev, folds, bootstrap))
    out.figure(
        "prf1_vs_iou_tertiles.png",
        *report_figures.subsets_figure(a.ev, folds, bootstrap, a.permutation, a.feature_label),
    )
    out.figure("pr_curve.png", *report_figures.pr_figure(a.sweep, IOU, a.score_threshold))


def _tables(
    out: _Writer,
    a: Analysis,
    splits: Mapping[str, Mapping[str, Any]],
    fold_evaluations: Sequence[Evaluation] | None,
    max_dets: int,
) -> None:
    micro = a.ev.scores("micro")
    n = len(a.ev.images)
    edges = np.asarray(a.ev.subset_edges)
    names = tables.subset_names(len(a.subsets))
    ap = coco_ap_by_class(a.gt, a.results, max_dets)
    errors = a.ev.errors(IOU)
    counts = {k: split_counts(v) for k, v in splits.items()}
    classes = list(category_names(a.gt).values())
    out.text("tables/metrics.md", tables.metrics_table(micro, a.intervals, n, a.score_threshold))
    out.text(
        "tables/tertiles.md",
        tables.tertile_table(
            micro, a.intervals, a.subsets, edges, a.feature_label, n, a.score_threshold
        ),
    )
    out.text(
        "tables/permutation_test.md",
        tables.permutation_table(a.permutation, names[0], names[-1], IOU),
    )
    out.text("tables/coco_ap.md", tables.coco_ap_table(ap))
    out.text("tables/errors.md", tables.errors_table(errors, IOU))
    out.text("tables/dataset.md", tables.dataset_table(counts, classes))

    both = micro + a.ev.scores("image_mean")
    out.table([r for r in both if r.subset == ALL], "overall")
    out.table([r for r in both if r.subset != ALL], "subsets")
    out.table(a.ev.scores("image"), "per_image")
    out.table(a.intervals, "intervals")
    out.table(errors, "errors")
    out.table(_pr_rows(a.sweep), "pr_curve")
    out.table(
        [{"class_name": k, **({} if v is None else vars(v))} for k, v in ap.items()], "coco_ap"
    )
    out.table(
        [
            {
                "split": k,
                "images": c.images,
                "cells": c.cells,
                **{name: c.per_class.get(name, 0) for name in classes},
            }
            for k, c in counts.items()
        ],
        "dataset",
    )
    out.json(
        "tables/permutation_test.json",
        {
            "subset_a": a.subsets[0],
            "subset_b": a.subsets[-1],
            "iou_threshold": IOU,
            "class_name": ALL,
            **vars(a.permutation),
        },
    )
    if fold_evaluations:
        out.table(across_models([f.scores("micro") for f in fold_evaluations]), "bands")


def _pr_rows(sweep: Evaluation) -> list[dict[str, float | str]]:
    rows: list[dict[str, float | str]] = []
    for class_name in sweep.class_ids:
        pr = sweep.precision_recall(IOU, class_name)
        rows += [
            {
                "class_name": class_name,
                "iou_threshold": IOU,
                "score": float(s),
                "precision": float(p),
                "recall": float(r),
                "ap": pr.ap,
            }
            for s, p, r in zip(pr.scores, pr.precision, pr.recall, strict=True)
        ]
    return rows


def _remove_stale(out: _Writer) -> None:
    """Remove figures of an earlier run that this run did not make (e.g. no training log)."""
    for name in FIGURES:
        path = out.out_dir / name
        if name not in out.alt and path.exists():
            path.unlink()
