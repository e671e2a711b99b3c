"""Overlaps: hand-worked values, agreement with pycocotools, and between the three algorithms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from benchmark.metrics import Instances, overlaps
from benchmark.metrics.iou import crop_overlaps, label_overlaps

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
    g, p = Instances.from_label_image(gt), Instances.from_label_image(pred)
    assert g.ids.tolist() == [7, 2**40] and g.areas.tolist() == [16, 16]
    ov = label_overlaps(gt, pred, g.ids, p.ids, g.areas, p.areas)
    assert ov.gt.tolist() == [0] and ov.iou.tolist() == [0.5]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="negative"):
        Instances.from_label_image(np.array([[0, -1]]))
    with pytest.raises(TypeError, match="integers"):
        Instances.from_label_image(np.zeros((2, 2), dtype=float))
    with pytest.raises(ValueError, match="ground truth is"):
        overlaps(
            Instances.from_label_image(np.zeros((2, 2), int)),
            Instances.from_label_image(np.zeros((3, 2), int)),
        )
