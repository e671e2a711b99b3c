"""The report built from a small synthetic dataset and perturbed predictions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.metrics.adapters import coco_pairs
from benchmark.metrics.coco_ap import coco_ap
from benchmark.metrics.evaluator import evaluate
from benchmark.plots.style import DPI
from benchmark.report import FIGURES, build_report, evaluate_predictions, read_manifest

from .conftest import PROVENANCE, SCORE_THRESHOLD, perturbed_predictions

#: Figure width in inches at the nominal resolution (the PNG is ``width * DPI`` pixels wide).
WIDTHS = {
    "overlays.png": 8.0,
    "overlay_zoom.png": 5.0,
    "prf1_vs_iou.png": 8.0,
    "prf1_vs_iou_tertiles.png": 8.0,
    "pr_curve.png": 5.6,
    "training_loss.png": 8.0,
    "shape_features.png": 8.0,
}
TABLES = ("metrics", "tertiles", "permutation_test", "coco_ap", "errors", "dataset")


def table_rows(path: Path) -> list[list[str]]:
    """Body cells of the Markdown pipe table in ``path``."""
    lines = [ln for ln in path.read_text().splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]


def leading_number(cell: str) -> float:
    return float(cell.split()[0])


def test_every_figure_is_a_png_at_twice_the_nominal_resolution(report):
    out, files = report
    assert set(WIDTHS) == set(FIGURES)
    for name, width in WIDTHS.items():
        assert out / name in files
        with Image.open(out / name) as im:
            assert im.format == "PNG"
            assert im.width == round(width * DPI)
            assert 0.25 * im.width < im.height < 1.2 * im.width
            assert round(im.info["dpi"][0]) == DPI
            assert np.asarray(im.convert("L")).std() > 5  # something was drawn


def test_alt_texts_name_every_figure(report):
    out, _ = report
    alt = json.loads((out / "figures.json").read_text())
    assert set(alt) == set(FIGURES)
    assert all(len(text) > 30 for text in alt.values())
    assert "bootstrap 95% CI" in alt["prf1_vs_iou.png"]
    assert "p = " in alt["prf1_vs_iou_tertiles.png"]


def test_files_are_returned_and_complete(report):
    out, files = report
    for name in TABLES:
        assert out / "tables" / f"{name}.md" in files
    for name in ("overall", "subsets", "per_image", "intervals", "errors", "pr_curve", "coco_ap"):
        assert out / "tables" / f"{name}.csv" in files
        assert out / "tables" / f"{name}.json" in files
    assert out / "manifest.json" in files
    assert all(p.is_file() for p in files)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def reference(dataset: Path, predictions: Path):
    """The evaluator's own numbers for the same inputs."""
    gt = json.loads((dataset / "annotations" / "test.json").read_text())
    results = json.loads(predictions.read_text())
    kept = [r for r in results if r["score"] >= SCORE_THRESHOLD]
    pairs, names = coco_pairs(gt, kept)
    size = gt["images"][0]["pixel_size_um"]
    ev = evaluate(
        pairs, class_names=names, subset_feature="perimeter_over_area_um", pixel_size=size
    )
    return gt, results, ev


def test_metrics_table_equals_the_evaluator(report, reference):
    out, _ = report
    _, _, ev = reference
    micro = {
        (r.class_name.replace("_", " "), r.threshold): r
        for r in ev.scores("micro")
        if r.subset == "all"
    }
    intervals = {
        (r.class_name.replace("_", " "), r.threshold, r.metric): r
        for r in ev.confidence_intervals(n_resamples=200, seed=0)
        if r.subset == "all"
    }
    rows = table_rows(out / "tables" / "metrics.md")
    assert [r[0] for r in rows] == [
        c for c in ("macrophage", "dead macrophage", "all") for _ in "ab"
    ]
    for cls, iou, tp, fp, fn, *scores in rows:
        rec = micro[(cls, float(iou))]
        assert (int(tp), int(fp), int(fn)) == (rec.tp, rec.fp, rec.fn)
        for metric, cell in zip(("precision", "recall", "f1"), scores, strict=True):
            ci = intervals[(cls, float(iou), metric)]
            assert cell == f"{getattr(rec, metric):.3f} ({ci.low:.3f}–{ci.high:.3f})"


def test_tertile_and_permutation_tables_equal_the_evaluator(report, reference):
    out, _ = report
    _, _, ev = reference
    subsets = [s for c, s in ev.groups if c == "all" and s != "all"]
    micro = {(r.subset, r.threshold): r for r in ev.scores("micro") if r.class_name == "all"}
    rows = table_rows(out / "tables" / "tertiles.md")
    assert [r[0] for r in rows] == ["low", "low", "middle", "middle", "high", "high"]
    for (name, _, iou, tp, fp, fn, *_), subset in zip(rows, np.repeat(subsets, 2), strict=True):
        rec = micro[(subset, float(iou))]
        assert (int(tp), int(fp), int(fn)) == (rec.tp, rec.fp, rec.fn), name
    test = ev.permutation_test(subsets[0], subsets[-1], 0.5, n_permutations=2000)
    (row,) = table_rows(out / "tables" / "permutation_test.md")
    assert leading_number(row[1]) == pytest.approx(test.f1_a, abs=5e-4)
    assert leading_number(row[2]) == pytest.approx(test.f1_b, abs=5e-4)
    assert float(row[4]) == pytest.approx(test.p_value, abs=5e-5)


def test_coco_ap_errors_and_dataset_tables(report, reference, dataset):
    out, _ = report
    gt, results, ev = reference
    ap = coco_ap(gt, results)
    rows = {r[0]: r for r in table_rows(out / "tables" / "coco_ap.md")}
    assert leading_number(rows["all"][1]) == pytest.approx(ap.ap, abs=5e-4)
    assert leading_number(rows["all"][5]) == pytest.approx(ap.ap_100, abs=5e-4)
    errors = {r.class_name: r for r in ev.errors(0.5) if r.image_id == ""}
    for row in table_rows(out / "tables" / "errors.md"):
        e = errors[row[0].replace(" ", "_")]
        assert [int(c) for c in row[1:5]] == [e.n_gt, e.n_pred, e.missed, e.false_alarms]
    counts = {r[0]: r for r in table_rows(out / "tables" / "dataset.md")}
    assert set(counts) == {"train", "validation", "test"}
    for split, row in counts.items():
        coco = json.loads((dataset / "annotations" / f"{split}.json").read_text())
        assert int(row[1]) == len(coco["images"])
        assert int(row[2]) == len(coco["annotations"])


def test_manifest_records_provenance_and_report_time(report):
    out, _ = report
    manifest = read_manifest(out / "manifest.json")
    assert manifest["config"] == PROVENANCE["config"]
    assert manifest["dataset"] == PROVENANCE["dataset"]
    assert manifest["timings_s"]["train"] == PROVENANCE["timings_s"]["train"]
    assert manifest["timings_s"]["report"] > 0
    assert manifest["libraries"]["numpy"]


def test_fold_bands_and_no_training_log(tmp_path, dataset, predictions):
    gt_path = dataset / "annotations" / "test.json"
    gt = json.loads(gt_path.read_text())
    folds = [evaluate_predictions(gt, perturbed_predictions(gt, seed)) for seed in (1, 2, 3)]
    out = tmp_path / "benchmark"
    out.mkdir()
    (out / "training_loss.png").write_bytes(b"stale")
    files = build_report(
        out,
        gt_path,
        dataset / "images",
        predictions,
        fold_evaluations=folds,
        n_resamples=50,
        n_permutations=200,
    )
    assert not (out / "training_loss.png").exists()
    assert out / "tables" / "bands.csv" in files
    assert not (out / "manifest.json").exists()
    alt = json.loads((out / "figures.json").read_text())
    assert "training_loss.png" not in alt
    assert "k-fold mean ± 1 s.d. (3 models)" in alt["prf1_vs_iou.png"]
    assert set(table_rows(out / "tables" / "dataset.md")[0][:1]) == {"test"}


def test_report_never_imports_torch(tmp_path, dataset, predictions):
    code = (
        "import sys, benchmark.report as r, benchmark.plots\n"
        f"r.build_report({str(tmp_path)!r}, {str(dataset / 'annotations' / 'test.json')!r}, "
        f"{str(dataset / 'images')!r}, {str(predictions)!r}, n_resamples=20, n_permutations=50)\n"
        "bad = sorted(m for m in ('torch', 'detectron2') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
