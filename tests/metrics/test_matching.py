"""Matching: hand-worked cases, the stardist criterion, greedy (COCO) rule, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from benchmark.metrics import DEFAULT_THRESHOLDS, ImagePair, Instances, evaluate, match_pairs

from .conftest import label_images


def pairs(*triples):
    g, p, i = zip(*triples, strict=True)
    return np.array(g), np.array(p), np.array(i, dtype=float)


def test_optimal_beats_greedy_on_a_chain():
    # Q0 (score .9) overlaps X (0.8) and Y (0.6); Q1 (score .5) overlaps X only (0.7).
    g, p, iou = pairs((0, 0, 0.8), (1, 0, 0.6), (0, 1, 0.7))
    scores = np.array([0.9, 0.5])
    opt = match_pairs(g, p, iou, 0.5, "optimal")
    assert sorted(zip(opt.gt.tolist(), opt.pred.tolist(), strict=True)) == [(0, 1), (1, 0)]
    greedy = match_pairs(g, p, iou, 0.5, "greedy", scores)
    assert list(zip(greedy.gt.tolist(), greedy.pred.tolist(), strict=True)) == [(0, 0)]


def test_optimal_tie_break_by_total_iou():
    # both matchings have 2 pairs; (0-0, 1-1) totals 1.5, (0-1, 1-0) totals 1.3
    g, p, iou = pairs((0, 0, 0.9), (0, 1, 0.7), (1, 0, 0.6), (1, 1, 0.6))
    m = match_pairs(g, p, iou, 0.5)
    assert m.gt.tolist() == [0, 1] and m.pred.tolist() == [0, 1]
    assert m.iou.sum() == pytest.approx(1.5)


def test_greedy_needs_scores_and_method_is_checked():
    g, p, iou = pairs((0, 0, 0.8), (0, 1, 0.8))
    with pytest.raises(ValueError, match="scores"):
        match_pairs(g, p, iou, 0.5, "greedy")
    with pytest.raises(ValueError, match="unknown matching"):
        match_pairs(g, p, iou, 0.5, "hungarian")


def test_hand_example_counts(hand_example):
    gt, pred = hand_example
    ev = evaluate([ImagePair("img", gt, pred)], thresholds=(0.5, 0.55, 0.7, 0.8))
    tp_fp_fn = ev.counts[0, 0, :, :3].tolist()
    assert tp_fp_fn == [[3, 3, 2], [1, 5, 4], [1, 5, 4], [0, 6, 5]]
    # optimal at 0.5 takes A-P5 (0.75) over A-P1 (0.6): matched IoU 0.75 + 0.5 + 0.5
    assert ev.counts[0, 0, 0, 3] == pytest.approx(1.75)
    greedy = evaluate([ImagePair("img", gt, pred)], thresholds=(0.5,), method="greedy")
    assert greedy.counts[0, 0, 0].tolist() == pytest.approx([3, 3, 2, 1.6])


def stardist_reference(gt: np.ndarray, pred: np.ndarray, thresholds) -> np.ndarray:
    """StarDist's optimal criterion on a dense IoU matrix, written out for the test.

    Cost ``-(IoU >= t) - IoU / (2 n)`` with ``n = min(#GT, #pred)``, solved by
    ``linear_sum_assignment``; TP = assigned pairs with IoU >= t.
    """
    gi, pi = np.unique(gt)[1:], np.unique(pred)[1:]
    iou = np.zeros((gi.size, pi.size))
    for a, i in enumerate(gi):
        for b, j in enumerate(pi):
            inter = np.sum((gt == i) & (pred == j))
            iou[a, b] = inter / (np.sum(gt == i) + np.sum(pred == j) - inter)
    out = []
    n = min(gi.size, pi.size)
    for t in thresholds:
        tp = 0
        if n:
            cost = -(iou >= t).astype(float) - iou / (2 * n)
            r, c = linear_sum_assignment(cost)
            tp = int(np.sum(iou[r, c] >= t))
        out.append([tp, pi.size - tp, gi.size - tp])
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(gt=label_images(), pred=label_images())
def test_counts_equal_stardist_criterion(gt, pred):
    thresholds = (0.1, 0.3, *DEFAULT_THRESHOLDS)
    ev = evaluate(
        [ImagePair("x", Instances.from_label_image(gt), Instances.from_label_image(pred))],
        thresholds,
    )
    np.testing.assert_array_equal(ev.counts[0, 0, :, :3], stardist_reference(gt, pred, thresholds))


def test_counts_equal_stardist_itself():
    matching = pytest.importorskip("stardist.matching").matching
    rng = np.random.default_rng(1)
    for _ in range(5):
        gt = np.kron(rng.integers(0, 40, (8, 8)), np.ones((4, 4), dtype=int))
        pred = np.roll(gt, 1, axis=1)
        pred[rng.random(pred.shape) < 0.05] = 0
        thresholds = list(DEFAULT_THRESHOLDS)
        ev = evaluate(
            [ImagePair("x", Instances.from_label_image(gt), Instances.from_label_image(pred))],
            thresholds,
        )
        ref = [[s.tp, s.fp, s.fn] for s in matching(gt, pred, thresh=thresholds)]
        np.testing.assert_array_equal(ev.counts[0, 0, :, :3], ref)


def _relabel(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ids = np.unique(label)[1:]
    new = rng.choice(np.arange(1, 10**6), size=ids.size, replace=False)
    out = np.zeros_like(label, dtype=np.int64)
    for old, nw in zip(ids, new, strict=True):
        out[label == old] = nw
    return out


@settings(max_examples=60, deadline=None)
@given(
    gt=label_images(),
    pred=label_images(),
    seed=st.integers(0, 2**16),
    method=st.sampled_from(["optimal", "greedy"]),
)
def test_properties(gt, pred, seed, method):
    rng = np.random.default_rng(seed)
    thresholds = (0.1, 0.3, *DEFAULT_THRESHOLDS, 1.0)

    def counts(g, p):
        pi = Instances.from_label_image(p)
        scores = dict(zip(pi.ids.tolist(), rng.random(len(pi)).tolist(), strict=True))
        pair = ImagePair(
            "x", Instances.from_label_image(g), Instances.from_label_image(p, scores=scores)
        )
        return evaluate([pair], thresholds, method).counts[0, 0]

    c = counts(gt, pred)
    tp = c[:, 0]
    n_gt, n_pred = np.unique(gt).size - 1, np.unique(pred).size - 1
    assert np.all(np.diff(tp) <= 0), "TP must not increase with the threshold"
    assert np.all(tp <= min(n_gt, n_pred))
    assert np.all(c[:, 0] + c[:, 1] == n_pred) and np.all(c[:, 0] + c[:, 2] == n_gt)
    if method == "optimal":
        np.testing.assert_array_equal(
            c[:, :3], counts(_relabel(gt, rng), _relabel(pred, rng))[:, :3]
        )
    perfect = counts(gt, gt)
    if n_gt:
        assert np.all(perfect[:-1, 0] == n_gt) and np.all(perfect[:-1, 1:3] == 0)
        assert perfect[-1, 0] == n_gt  # IoU exactly 1 also passes t = 1.0 here
