"""Figures of the benchmark report: one style, PNG at 2×, drawn from records and files.

Nothing here imports torch or detectron2, and no function touches pyplot's global state: each
returns a :class:`matplotlib.figure.Figure` that :func:`benchmark.plots.style.save_png` writes
atomically.
"""

from benchmark.plots.curves import PRSeries, ScoreSeries, plot_precision_recall, plot_scores_vs_iou
from benchmark.plots.overlays import (
    MaskLayer,
    OverlayPanel,
    mask_layer,
    overlay_rgb,
    plot_overlays,
    plot_zoom,
    representative_images,
    zoom_window,
)
from benchmark.plots.shapes import plot_shape_features
from benchmark.plots.style import DPI, save_png
from benchmark.plots.training import plot_training_loss, read_training_metrics

__all__ = [
    "DPI",
    "MaskLayer",
    "OverlayPanel",
    "PRSeries",
    "ScoreSeries",
    "mask_layer",
    "overlay_rgb",
    "plot_overlays",
    "plot_precision_recall",
    "plot_scores_vs_iou",
    "plot_shape_features",
    "plot_training_loss",
    "plot_zoom",
    "read_training_metrics",
    "representative_images",
    "save_png",
    "zoom_window",
]
