"""Overlays of ground truth and predictions on held-out images.

Colours are additive, as the method page describes: ground truth only is green, prediction only
is red, and where they overlap the two add up to yellow. Masks are filled semi-transparently over
the contrast-stretched image and every instance's outline is drawn at full strength in the same
scheme, so touching cells, splits and merges stay visible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from benchmark.plots.style import (
    GROUND_TRUTH_RGB,
    OVERLAP_RGB,
    PREDICTION_RGB,
    WIDTH,
    new_figure,
    site_style,
)

#: Opacity of the mask fill (outlines are opaque).
FILL_ALPHA = 0.42


@dataclass(frozen=True)
class MaskLayer:
    """The masks of one side (ground truth or predictions) of an image.

    Attributes
    ----------
    fill
        Union of the masks, ``(H, W)`` boolean.
    edges
        Inner outline of every mask, ``(H, W)`` boolean.
    """

    fill: np.ndarray
    edges: np.ndarray


@dataclass(frozen=True)
class OverlayPanel:
    """An overlay image with its title."""

    title: str
    rgb: np.ndarray


def mask_layer(shape: Sequence[int], boxes: np.ndarray, crops: Sequence[np.ndarray]) -> MaskLayer:
    """Union and outlines of masks given as bounding boxes ``(y0, x0, y1, x1)`` and crops."""
    from skimage.segmentation import find_boundaries

    fill = np.zeros(tuple(shape[:2]), dtype=bool)
    edges = np.zeros_like(fill)
    for (y0, x0, y1, x1), crop in zip(np.asarray(boxes).reshape(-1, 4), crops, strict=True):
        if not crop.any():
            continue
        fill[y0:y1, x0:x1] |= crop
        edges[y0:y1, x0:x1] |= find_boundaries(np.pad(crop, 1), mode="inner")[1:-1, 1:-1]
    return MaskLayer(fill, edges)


def grey_rgb(image: np.ndarray, percentiles: tuple[float, float] = (0.5, 99.5)) -> np.ndarray:
    """Float RGB in [0, 1] of an image, contrast-stretched between two percentiles.

    Colour images are averaged to grey first so that the overlay colours are unambiguous.
    """
    grey = np.asarray(image, dtype=np.float64)
    if grey.ndim == 3:
        grey = grey[..., :3].mean(axis=2)
    low, high = np.percentile(grey, percentiles)
    grey = np.clip((grey - low) / max(high - low, 1e-12), 0.0, 1.0)
    return np.repeat(grey[..., None], 3, axis=2)


def overlay_rgb(image: np.ndarray, truth: MaskLayer, prediction: MaskLayer) -> np.ndarray:
    """uint8 RGB overlay: fills blended at :data:`FILL_ALPHA`, outlines opaque.

    Parameters
    ----------
    image
        The microscopy image ``(H, W)`` or ``(H, W, C)``.
    truth, prediction
        Ground-truth and predicted masks of the image.
    """
    out = grey_rgb(image)
    for region, colour in _coloured(truth.fill, prediction.fill):
        out[region] = (1 - FILL_ALPHA) * out[region] + FILL_ALPHA * colour
    for region, colour in _coloured(truth.edges, prediction.edges):
        out[region] = colour
    return np.round(out * 255).astype(np.uint8)


def _coloured(truth: np.ndarray, prediction: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(region, colour in [0, 1])`` of truth only, prediction only and both."""
    return [
        (truth & ~prediction, np.asarray(GROUND_TRUTH_RGB) / 255),
        (prediction & ~truth, np.asarray(PREDICTION_RGB) / 255),
        (truth & prediction, np.asarray(OVERLAP_RGB) / 255),
    ]


def representative_images(f1: Mapping[str, float]) -> list[tuple[str, str]]:
    """Best, median and worst image by F1: ``[(role, image_id), ...]``.

    Images whose F1 is undefined (NaN: no ground truth and no prediction) are left out. Ties are
    broken by image id. With fewer than three images, each image appears once.
    """
    ranked = sorted(
        ((v, k) for k, v in f1.items() if not math.isnan(v)), key=lambda t: (-t[0], t[1])
    )
    if not ranked:
        return []
    picks = [("best", 0), ("median", (len(ranked) - 1) // 2), ("worst", len(ranked) - 1)]
    seen: set[int] = set()
    out = []
    for role, index in picks:
        if index not in seen:
            seen.add(index)
            out.append((role, ranked[index][1]))
    return out


def zoom_window(truth: MaskLayer, prediction: MaskLayer, size: int) -> tuple[int, int, int, int]:
    """Square window ``(y0, x0, y1, x1)`` of side ``size`` with the most to see.

    The score of a window is its number of disagreeing pixels (truth xor prediction) plus twice
    its number of outline pixels, so it favours errors and crowded, touching cells.
    """
    outlines = truth.edges.astype(np.int64) + prediction.edges
    interest = (truth.fill ^ prediction.fill) + 2 * outlines
    h, w = interest.shape
    size = min(size, h, w)
    table = np.zeros((h + 1, w + 1), dtype=np.int64)
    table[1:, 1:] = interest.cumsum(0).cumsum(1)
    sums = table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    y0, x0 = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y0), int(x0), int(y0) + size, int(x0) + size


def _legend(fig: Figure) -> None:
    handles = [
        Patch(facecolor=np.asarray(c) / 255, edgecolor="#666666", linewidth=0.5)
        for c in (GROUND_TRUTH_RGB, PREDICTION_RGB, OVERLAP_RGB)
    ]
    labels = ["ground truth only (missed)", "prediction only (false alarm)", "overlap (both)"]
    fig.legend(handles, labels, loc="outside lower center", ncols=3)


def plot_overlays(
    panels: Sequence[OverlayPanel],
    zoom: tuple[int, tuple[int, int, int, int]] | None = None,
) -> Figure:
    """Overlays side by side with the colour legend below.

    Parameters
    ----------
    panels
        The images and their titles.
    zoom
        ``(panel index, (y0, x0, y1, x1))`` of a zoomed crop to outline, if any.
    """
    with site_style():
        n = max(len(panels), 1)
        fig = new_figure(width=WIDTH, height=WIDTH / n + 0.75)
        axes = np.atleast_1d(fig.subplots(1, n))
        for ax, panel in zip(axes, panels, strict=False):
            ax.imshow(panel.rgb, interpolation="nearest")
            ax.set_title(panel.title, fontsize=9)
            ax.set_axis_off()
        if zoom is not None:
            index, (y0, x0, y1, x1) = zoom
            axes[index].add_patch(
                Rectangle(
                    (x0 - 0.5, y0 - 0.5),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    edgecolor="white",
                    linewidth=1.2,
                    linestyle="--",
                )
            )
        _legend(fig)
    return fig


def plot_zoom(rgb: np.ndarray, title: str) -> Figure:
    """One zoomed overlay crop, drawn with square pixels, and the colour legend."""
    with site_style():
        fig = new_figure(width=5.0, height=5.5)
        ax = fig.subplots()
        ax.imshow(rgb, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
        _legend(fig)
    return fig
