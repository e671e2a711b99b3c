"""``macroseg evaluate``: score predictions from files and write the tables.

Each side is a COCO JSON file (ground-truth dataset / results list) or a folder of label images
paired by file stem. Written into the output folder (CSV and JSON each):

* ``overall``: micro and image-mean scores per class and threshold (subset ``all``);
* ``subsets``: the same per shape subset (when a subset feature is used);
* ``per_image``: every image, class, subset and threshold;
* ``intervals``: bootstrap confidence intervals of precision, recall and F1;
* ``errors``: splits, merges, missed cells and false alarms per image and in total;
* ``coco_ap.json``: pycocotools AP/AP50/AP75/AR (COCO inputs only).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmark.fileio import write_text_atomic
from benchmark.metrics.evaluator import ALL, Evaluation, evaluate
from benchmark.metrics.matching import DEFAULT_THRESHOLDS, Method
from benchmark.metrics.tables import to_json, write_table


def _is_coco(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".json"


def evaluate_files(
    ground_truth: str | Path,
    predictions: str | Path,
    out_dir: str | Path,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    method: Method = "optimal",
    subset_feature: str | None = "perimeter_over_area",
    bins: int = 3,
    pixel_size: float | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    max_dets: int = 1000,
) -> tuple[Evaluation, list[str]]:
    """Evaluate files, write every table into ``out_dir``; return the evaluation and a summary.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing or malformed inputs, with the file, image or annotation named.
    """
    from benchmark.metrics.adapters import coco_pairs, label_folder_pairs

    gt_path, pred_path = Path(ground_truth), Path(predictions)
    for p in (gt_path, pred_path):
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
    coco = _is_coco(gt_path)
    if coco != _is_coco(pred_path):
        raise ValueError(
            f"both inputs must be COCO JSON files or both label folders: {gt_path}, {pred_path}"
        )
    if coco:
        pairs, names = coco_pairs(gt_path, pred_path)
    else:
        pairs, names = label_folder_pairs(gt_path, pred_path), None
    ev = evaluate(pairs, thresholds, method, names, subset_feature, bins, pixel_size)
    out = Path(out_dir)
    overall = [r for r in ev.scores("micro") + ev.scores("image_mean") if r.subset == ALL]
    write_table(overall, out, "overall")
    if subset_feature is not None:
        subsets = [r for r in ev.scores("micro") + ev.scores("image_mean") if r.subset != ALL]
        write_table(subsets, out, "subsets")
    write_table(ev.scores("image"), out, "per_image")
    write_table(ev.confidence_intervals(n_resamples=n_resamples, seed=seed), out, "intervals")
    write_table(ev.errors(), out, "errors")

    summary = [f"{len(ev.images)} images, {method} matching, output in {out}"]
    for r in ev.scores("micro"):
        if r.subset == ALL and r.threshold in (0.5, 0.75):
            summary.append(
                f"{r.class_name:>16} IoU {r.threshold:.2f}: TP {r.tp} FP {r.fp} FN {r.fn} "
                f"precision {r.precision:.3f} recall {r.recall:.3f} F1 {r.f1:.3f}"
            )
    if coco:
        from benchmark.metrics.coco_ap import coco_ap

        try:
            ap = coco_ap(gt_path, pred_path, max_dets)
        except ValueError as err:  # no detections at all
            summary.append(f"COCO AP skipped: {err}")
        else:
            write_text_atomic(out / "coco_ap.json", to_json(ap))
            line = f"COCO AP {ap.ap:.3f} AP50 {ap.ap50:.3f} AP75 {ap.ap75:.3f} (maxDets {max_dets})"
            if ap.cap_matters:
                line += f"; stock 100-cap AP {ap.ap_100:.3f} AP50 {ap.ap50_100:.3f}"
            summary.append(line)
    return ev, summary
