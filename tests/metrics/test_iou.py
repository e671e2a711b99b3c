"""Overlaps: hand-worked values, agreement with pycocotools, and between the three algorithms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from benchmark.metrics import ImagePair, Instances, overlaps
from benchmark.metrics.iou import crop_overlaps, key_sums, label_overlaps

from .conftest import label_images


def test_hand_worked_ious(hand_example):
    gt, pred = hand_example
    ov = overlaps(gt, pred)
    got = {(int(g), int(p)): float(i) for g, p, i in zip(ov.gt, ov.pred, ov.iou, strict=True)}
    # indices: GT A B C D E = 0..4; predictions P1 P5 P2 P3 P4 P6 = 0..5
    assert got == pytest.approx(
        {(0, 0): 0.6, (0, 1): 0.75, (1, 2): 0.5, (1, 3): 0.5, (2, 4): 0.5, (3, 4): 0.5}
    )
    assert ov.intersection.tolist() == [12, 12, 16, 16, 16, 16]


def _rles(masks):
    return [mask_utils.encode(np.asfortranarray(m, dtype=np.uint8)) for m in masks]


@settings(max_examples=40, deadline=None)
@given(gt=label_images(), pred=label_images(), seed=st.integers(0, 2**16))
def test_all_algorithms_agree_with_pycocotools(gt, pred, seed):
    gt_ids = np.unique(gt)[1:]
    # overlapping predictions: the label image's masks plus randomly shifted copies
    rng = np.random.default_rng(seed)
    pmasks = [pred == i for i in np.unique(pred)[1:]]
    pmasks += [np.roll(m, rng.integers(-3, 4, 2), axis=(0, 1)) for m in pmasks[:3]]
    pmasks = np.array(pmasks, dtype=bool).reshape(-1, *gt.shape)
    gmasks = np.array([gt == i for i in gt_ids], dtype=bool).reshape(-1, *gt.shape)
    reference = (
        np.asarray(mask_utils.iou(_rles(gmasks), _rles(pmasks), [0] * len(pmasks)))
        if len(gmasks) and len(pmasks)
        else np.zeros((len(gmasks), len(pmasks)))
    )
    from_crops = crop_overlaps(Instances.from_masks(gmasks), Instances.from_masks(pmasks))
    np.testing.assert_allclose(from_crops.dense_iou(), reference, rtol=0, atol=1e-12)
    if len(gmasks) and len(pmasks):
        from_rle = overlaps(Instances.from_rles(_rles(gmasks)), Instances.from_rles(_rles(pmasks)))
        np.testing.assert_array_equal(from_rle.dense_iou(), reference)
        np.testing.assert_array_equal(from_rle.intersection, from_crops.intersection)
    # label-image path on the non-overlapping part
    g, p = Instances.from_label_image(gt), Instances.from_label_image(pred)
    n_label = len(p)
    from_labels = overlaps(g, p)
    np.testing.assert_allclose(from_labels.dense_iou(), reference[:, :n_label], rtol=0, atol=1e-12)
    assert np.all(from_labels.intersection > 0)


def test_label_ids_any_integers_and_huge():
    gt = np.zeros((8, 8), dtype=np.int64)
    gt[:4, :4] = 7
    gt[4:, 4:] = 2**40
    pred = np.zeros((8, 8), dtype=np.uint16)
    pred[:4, :2] = 65535
    g = Instances.from_label_image(gt)
    assert g.ids.tolist() == [7, 2**40] and g.areas.tolist() == [16, 16]
    gt_ids, pred_ids, ov = label_overlaps(gt, pred)
    assert gt_ids.tolist() == [7, 2**40] and pred_ids.tolist() == [65535]
    assert ov.gt_area.tolist() == [16, 16] and ov.pred_area.tolist() == [8]
    assert ov.gt.tolist() == [0] and ov.iou.tolist() == [0.5]


def _relabel(label: np.ndarray, factor: int, offset: int, dtype) -> np.ndarray:
    """Non-sequential ids ``factor * id + offset`` (0 stays background)."""
    return np.where(label > 0, label.astype(np.int64) * factor + offset, 0).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(
    gt=label_images(),
    pred=label_images(),
    factor=st.integers(1, 1000),
    offset=st.sampled_from([0, 5, 2**20, 2**40]),
)
def test_single_pass_pair_equals_separate_scans(gt, pred, factor, offset):
    gt = _relabel(gt, factor, offset, np.int64)
    pred = _relabel(pred, 3, 1, np.uint16)
    pair = ImagePair.from_label_images("x", gt, pred, pred_scores={4: 0.5})
    separate = (Instances.from_label_image(gt), Instances.from_label_image(pred, scores={4: 0.5}))
    for got, ref in zip((pair.gt, pair.pred), separate, strict=True):
        for name in ("ids", "areas", "classes", "scores", "ignore"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
            assert getattr(got, name).dtype == getattr(ref, name).dtype, name
        assert got.shape == ref.shape and got.label_image is not None
    ids, counts = np.unique(gt, return_counts=True)
    assert pair.gt.ids.tolist() == ids[ids > 0].tolist()
    assert pair.gt.areas.tolist() == counts[ids > 0].tolist()
    # overlaps equal those of the label-free crop algorithm, pair by pair
    masks = [
        np.array([lab == i for i in ins.ids], dtype=bool)
        for lab, ins in zip((gt, pred), (pair.gt, pair.pred), strict=True)
    ]
    ref = crop_overlaps(*(Instances.from_masks(m.reshape(-1, *gt.shape)) for m in masks))
    for name in ("gt", "pred", "intersection", "iou", "gt_area", "pred_area"):
        np.testing.assert_array_equal(getattr(pair.overlaps, name), getattr(ref, name), name)
    np.testing.assert_array_equal(overlaps(*separate).iou, pair.overlaps.iou)


@given(keys=st.lists(st.integers(0, 49), max_size=60), seed=st.integers(0, 2**16))
def test_key_sums_table_and_sort_agree(keys, seed):
    keys = np.array(keys, dtype=np.int64)
    weights = np.random.default_rng(seed).integers(1, 100, keys.size).astype(float)
    table = key_sums(keys, weights, 50, table_limit=50)
    sort = key_sums(keys, weights, 50, table_limit=0)
    distinct, inverse = np.unique(keys, return_inverse=True)
    for got in (table, sort):
        np.testing.assert_array_equal(got[0], distinct)
        np.testing.assert_array_equal(got[1], np.bincount(inverse, weights, distinct.size))


@pytest.mark.parametrize("shape", [(0, 5), (3, 3)])
def test_empty_label_images(shape):
    pair = ImagePair.from_label_images("x", np.zeros(shape, int), np.zeros(shape, np.uint8))
    assert len(pair.gt) == len(pair.pred) == 0 and pair.overlaps.gt.size == 0
    single = Instances.from_label_image(np.zeros(shape, int))
    assert single.ids.size == 0 and single.areas.dtype == np.int64


def test_boolean_label_images_are_viewed_not_copied():
    gt = np.zeros((4, 4), dtype=bool)
    gt[:2] = True
    pair = ImagePair.from_label_images("x", gt, ~gt)
    assert np.shares_memory(pair.gt.label_image, gt)
    assert pair.gt.ids.tolist() == [1] and pair.gt.areas.tolist() == [8]
    assert pair.overlaps.gt.size == 0


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="negative"):
        Instances.from_label_image(np.array([[0, -1]]))
    with pytest.raises(TypeError, match="integers"):
        Instances.from_label_image(np.zeros((2, 2), dtype=float))
    with pytest.raises(ValueError, match="negative"):
        ImagePair.from_label_images("x", np.zeros((2, 2), int), np.array([[0, -1], [0, 0]]))
    with pytest.raises(ValueError, match="2\\*\\*63"):
        Instances.from_label_image(np.full((2, 2), 2**63 + 5, dtype=np.uint64))
    with pytest.raises(ValueError, match="differ in shape"):
        ImagePair.from_label_images("x", np.zeros((2, 2), int), np.zeros((3, 2), int))
    with pytest.raises(ValueError, match="ground truth is"):
        overlaps(
            Instances.from_label_image(np.zeros((2, 2), int)),
            Instances.from_label_image(np.zeros((3, 2), int)),
        )
