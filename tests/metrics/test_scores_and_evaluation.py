"""Scores, empty-image conventions, classes, shape subsets, uncertainty, errors, PR sweep."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from benchmark.metrics import ImagePair, Instances, evaluate, scores_from_counts
from benchmark.metrics.shape import assign_bins, bin_edges, shape_features
from benchmark.metrics.uncertainty import across_models, bootstrap_scores, f1_permutation_test

from .conftest import boxes_to_masks


def test_score_formulas():
    s = scores_from_counts(np.array([6, 2, 4, 4.8]))
    assert s["precision"] == pytest.approx(0.75)
    assert s["recall"] == pytest.approx(0.6)
    assert s["f1"] == pytest.approx(12 / 18)
    assert s["dsb_ap"] == pytest.approx(0.5)
    assert s["mean_iou"] == pytest.approx(0.8)
    assert s["pq"] == pytest.approx(4.8 / 9)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # no GT, no prediction: nothing is defined
        ([0, 0, 0, 0], dict(precision=None, recall=None, f1=None, dsb_ap=None, pq=None)),
        # GT only: recall 0, precision undefined, F1 0
        ([0, 0, 3, 0], dict(precision=None, recall=0.0, f1=0.0, dsb_ap=0.0, pq=0.0)),
        # predictions only: precision 0, recall undefined, F1 0
        ([0, 2, 0, 0], dict(precision=0.0, recall=None, f1=0.0, dsb_ap=0.0, pq=0.0)),
    ],
)
def test_empty_conventions(counts, expected):
    s = scores_from_counts(np.array(counts, dtype=float))
    for name, value in expected.items():
        if value is None:
            assert np.isnan(s[name]), name
        else:
            assert s[name] == value, name
    assert np.isnan(s["mean_iou"])


def _label_pair(image_id, gt, pred):
    return ImagePair(image_id, Instances.from_label_image(gt), Instances.from_label_image(pred))


def test_empty_images_in_aggregation():
    full = np.zeros((8, 8), int)
    full[:4, :4] = 1
    empty = np.zeros((8, 8), int)
    ev = evaluate(
        [
            _label_pair("perfect", full, full),
            _label_pair("blank", empty, empty),
            _label_pair("missed", full, empty),
        ],
        thresholds=(0.5,),
    )
    micro = ev.scores("micro")[0]
    assert (micro.tp, micro.fp, micro.fn) == (1, 0, 1)
    assert micro.precision == 1.0 and micro.recall == 0.5
    mean = ev.scores("image_mean")[0]
    # precision defined on 'perfect' only; recall on 'perfect' and 'missed'; blank skipped
    assert mean.precision == 1.0 and mean.recall == 0.5 and mean.f1 == 0.5
    per_image = {r.image_id: r for r in ev.scores("image")}
    assert np.isnan(per_image["blank"].f1)


def test_per_class_groups_only_match_same_class():
    shape = (10, 10)
    gt = Instances.from_masks(boxes_to_masks(shape, [(0, 0, 4, 4), (5, 5, 9, 9)]), classes=[1, 2])
    pred = Instances.from_masks(boxes_to_masks(shape, [(0, 0, 4, 4), (5, 5, 9, 9)]), classes=[1, 1])
    ev = evaluate([ImagePair("x", gt, pred)], thresholds=(0.5,))
    got = {r.class_name: (r.tp, r.fp, r.fn) for r in ev.scores("micro")}
    assert got == {"all": (2, 0, 0), "macrophage": (1, 1, 0), "dead_macrophage": (0, 0, 1)}


def test_crowd_ground_truth_is_ignored():
    shape = (10, 10)
    gt = Instances.from_masks(
        boxes_to_masks(shape, [(0, 0, 4, 4), (5, 0, 10, 10)]), ignore=[False, True]
    )
    pred = Instances.from_masks(boxes_to_masks(shape, [(0, 0, 4, 4), (6, 1, 8, 4)]))
    ev = evaluate([ImagePair("x", gt, pred)], thresholds=(0.5,))
    assert ev.counts[0, 0, 0, :3].tolist() == [1, 0, 0]


def test_shape_features_of_a_square():
    crop = np.ones((10, 10), bool)
    f = shape_features([crop, np.zeros((0, 0), bool)], pixel_size=0.5)
    assert f["area"][0] == 100
    assert f["perimeter_over_area"][0] == pytest.approx(f["perimeter"][0] / 100)
    assert f["perimeter_over_area_um"][0] == pytest.approx(f["perimeter_over_area"][0] / 0.5)
    assert f["solidity"][0] == 1.0 and f["eccentricity"][0] == pytest.approx(0.0)
    from skimage.measure import perimeter

    assert f["perimeter"][0] == perimeter(crop)  # the named estimator (36 for this square)
    assert f["circularity"][0] == pytest.approx(4 * np.pi * 100 / perimeter(crop) ** 2)
    assert np.isnan(f["area"][1])


def test_bins():
    edges = bin_edges(np.array([1.0, 2, 3, 4, 5, 6, np.nan]), 3)
    assert edges.tolist() == pytest.approx([1, 8 / 3, 13 / 3, 6])
    assert assign_bins(np.array([-5.0, 1, 3, 5, 60, np.nan]), edges).tolist() == [
        0,
        0,
        1,
        2,
        2,
        -1,
    ]
    with pytest.raises(ValueError, match="increasing"):
        bin_edges(np.zeros(3), [1.0, 1.0])


def test_subset_rule_tp_by_gt_feature_fp_by_own():
    shape = (40, 40)
    # small GT square matched by a big prediction (IoU 16/25 = 0.64 >= 0.5), big GT missed,
    # a tiny false positive
    gt = Instances.from_masks(boxes_to_masks(shape, [(0, 0, 4, 4), (10, 10, 30, 30)]))
    pred = Instances.from_masks(boxes_to_masks(shape, [(0, 0, 5, 5), (35, 35, 36, 37)]))
    ev = evaluate(
        [ImagePair("x", gt, pred)],
        thresholds=(0.5,),
        subset_feature="area",
        bins=[0.0, 10.0, 1000.0],
    )
    by_subset = {s: tuple(ev.counts[0, i, 0, :3]) for i, (_, s) in enumerate(ev.groups)}
    small, large = [s for s in by_subset if s != "all"]
    # TP counted with its GT (area 16 -> large bin [10, 1000)), although the prediction is 25;
    # the FP (area 2) in the small bin by its own area; the missed GT (400) in the large bin
    assert by_subset[small] == (0, 1, 0)
    assert by_subset[large] == (1, 0, 1)


def test_bootstrap_and_permutation():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 20, (30, 2, 3, 4)).astype(float)
    boot = bootstrap_scores(counts, n_resamples=200, seed=3)
    est, low, high = boot["f1"]
    assert est.shape == (2, 3) and np.all(low <= est) and np.all(est <= high)
    again = bootstrap_scores(counts, n_resamples=200, seed=3)
    np.testing.assert_array_equal(again["f1"][1], low)
    same = f1_permutation_test([50, 10, 10], [50, 10, 10], n_permutations=2000)
    assert same.difference == 0 and same.p_value == 1.0
    differ = f1_permutation_test([90, 5, 5], [40, 30, 30], n_permutations=2000)
    assert differ.difference > 0 and differ.p_value < 0.01
    assert differ.p_value >= 1 / 2001


def test_across_models():
    full = np.zeros((8, 8), int)
    full[:4, :4] = 1
    half = np.zeros((8, 8), int)
    half[:4, :2] = 1
    tables = [evaluate([_label_pair("x", full, p)], (0.55,)).scores() for p in (full, half)]
    bands = {b.metric: b for b in across_models(tables)}
    assert bands["f1"].mean == pytest.approx(0.5)  # F1 1 (perfect) and 0 (IoU 0.5 < 0.55)
    assert bands["f1"].sd == pytest.approx(np.std([1, 0], ddof=1))
    assert bands["f1"].n_models == 2


def test_errors_on_hand_example(hand_example):
    gt, pred = hand_example
    ev = evaluate([ImagePair("img", gt, pred)])
    total = next(e for e in ev.errors() if e.image_id == "" and e.class_name == "all")
    # A holds P1 and P5 (duplicates count as a split), B holds P2 and P3; P4 merges C and D;
    # E is missed, P6 is a false alarm
    assert (total.splits, total.split_fragments) == (2, 4)
    assert (total.merges, total.merged_cells) == (1, 2)
    assert (total.missed, total.false_alarms) == (1, 1)


def test_precision_recall_sweep(hand_example):
    gt, pred = hand_example
    curve = evaluate([ImagePair("img", gt, pred)]).precision_recall(0.5)
    # greedy by score: P1 TP, P5 FP, P2 TP, P3 FP, P4 TP, P6 FP; 5 GT
    np.testing.assert_allclose(curve.precision, [1, 1 / 2, 2 / 3, 2 / 4, 3 / 5, 3 / 6])
    np.testing.assert_allclose(curve.recall, [0.2, 0.2, 0.4, 0.4, 0.6, 0.6])
    assert curve.ap == pytest.approx(0.2 * 1 + 0.2 * 2 / 3 + 0.2 * 3 / 5)


def test_perfect_prediction_scores_one(hand_example):
    gt, _ = hand_example
    ev = evaluate([ImagePair("x", gt, gt)])
    for r in ev.scores():
        assert r.precision == r.recall == r.f1 == r.dsb_ap == r.pq == 1.0


def test_package_never_imports_torch():
    code = (
        "import sys, benchmark.metrics, benchmark.metrics.adapters, "
        "benchmark.metrics.report, benchmark.metrics.coco_ap; "
        "assert 'torch' not in sys.modules and 'detectron2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detectron2_duck_typed_adapter():
    from benchmark.metrics.adapters import from_detectron2

    class Fake:
        pred_masks = boxes_to_masks((10, 10), [(0, 0, 4, 4), (0, 0, 5, 5)]).astype(np.float32)
        scores = np.array([0.9, 0.3])
        pred_classes = np.array([0, 1])

    inst = from_detectron2(Fake())
    assert inst.classes.tolist() == [1, 2] and inst.areas.tolist() == [16, 25]
    assert from_detectron2(Fake(), class_ids={0: 3, 1: 7}).classes.tolist() == [3, 7]
    gt = Instances.from_masks(boxes_to_masks((10, 10), [(0, 0, 4, 4)]))
    ev = evaluate([ImagePair("7", gt, inst)], thresholds=(0.5,))
    assert ev.counts[0, 0, 0, :3].tolist() == [1, 1, 0]
