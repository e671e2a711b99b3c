"""Shared builders for the metrics tests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from benchmark.metrics import Instances


def boxes_to_masks(shape, boxes) -> np.ndarray:
    """Full-size boolean masks from ``(y0, x0, y1, x1)`` boxes."""
    masks = np.zeros((len(boxes), *shape), dtype=bool)
    for m, (y0, x0, y1, x1) in zip(masks, boxes, strict=True):
        m[y0:y1, x0:x1] = True
    return masks


def paint(shape, boxes, ids=None) -> np.ndarray:
    """Label image: boxes painted in order, later ones over earlier ones."""
    label = np.zeros(shape, dtype=np.int32)
    for k, (y0, x0, y1, x1) in enumerate(boxes):
        label[y0:y1, x0:x1] = k + 1 if ids is None else ids[k]
    return label


@st.composite
def label_images(draw, size: int = 24, max_boxes: int = 8):
    """A random label image made of (possibly occluding) rectangles."""
    n = draw(st.integers(0, max_boxes))
    boxes = []
    for _ in range(n):
        y0 = draw(st.integers(0, size - 2))
        x0 = draw(st.integers(0, size - 2))
        boxes.append((y0, x0, draw(st.integers(y0 + 1, size)), draw(st.integers(x0 + 1, size))))
    return paint((size, size), boxes)


@pytest.fixture
def hand_example():
    """The worked example of docs/metrics.md (30 x 10 pixels, overlapping predictions).

    GT: A [0:4,0:4], B [10:14,0:8], C [20:24,0:4], D [20:24,4:8], E [26:30,6:10].
    Predictions (score): P1 [0:4,1:5] (.9), P5 [0:4,0:3] (.8), P2 [10:14,0:4] (.7),
    P3 [10:14,4:8] (.6), P4 [20:24,0:8] (.5), P6 [26:28,0:2] (.4).
    IoU: A-P1 12/20 = 0.6, A-P5 12/16 = 0.75, B-P2 = B-P3 = 16/32 = 0.5,
    C-P4 = D-P4 = 16/32 = 0.5; E and P6 touch nothing.
    """
    shape = (30, 10)
    gt_boxes = [(0, 0, 4, 4), (10, 0, 14, 8), (20, 0, 24, 4), (20, 4, 24, 8), (26, 6, 30, 10)]
    pred_boxes = [
        (0, 1, 4, 5),
        (0, 0, 4, 3),
        (10, 0, 14, 4),
        (10, 4, 14, 8),
        (20, 0, 24, 8),
        (26, 0, 28, 2),
    ]
    gt = Instances.from_masks(boxes_to_masks(shape, gt_boxes))
    pred = Instances.from_masks(
        boxes_to_masks(shape, pred_boxes), scores=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    )
    return gt, pred
