"""Histograms of shape features (area, perimeter, perimeter/area) per dataset split."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from benchmark.plots.style import MUTED, SPLIT_COLOURS, new_figure, site_style

#: Features drawn, in panel order.
HISTOGRAM_FEATURES = ("area", "perimeter", "perimeter_over_area")


def feature_labels(pixel_size: float | None) -> dict[str, str]:
    """Axis label of each feature, in µm units when the pixel size is known."""
    if pixel_size is None:
        return {
            "area": "area (px²)",
            "perimeter": "perimeter (px)",
            "perimeter_over_area": "perimeter / area (1/px)",
        }
    return {
        "area": "area (µm²)",
        "perimeter": "perimeter (µm)",
        "perimeter_over_area": "perimeter / area (1/µm)",
    }


def to_physical(features: Mapping[str, np.ndarray], pixel_size: float | None) -> dict:
    """Features in µm units (area · s², perimeter · s, ratio / s), or unchanged without ``s``."""
    if pixel_size is None:
        return {k: np.asarray(features[k], dtype=float) for k in HISTOGRAM_FEATURES}
    s = float(pixel_size)
    return {
        "area": np.asarray(features["area"], dtype=float) * s**2,
        "perimeter": np.asarray(features["perimeter"], dtype=float) * s,
        "perimeter_over_area": np.asarray(features["perimeter_over_area"], dtype=float) / s,
    }


def plot_shape_features(
    features: Mapping[str, Mapping[str, np.ndarray]], pixel_size: float | None = None
) -> Figure:
    """One panel per feature, one histogram per split (as fractions, so splits of different size
    compare), on shared bins; values above the pooled 99.5th percentile count in the last bin.

    Parameters
    ----------
    features
        Split name -> feature name -> values in pixel units (as from
        :func:`benchmark.metrics.shape.shape_features`).
    pixel_size
        Pixel size in µm; when given, the axes are in µm units.
    """
    physical = {split: to_physical(f, pixel_size) for split, f in features.items()}
    labels = feature_labels(pixel_size)
    with site_style():
        fig = new_figure(height=3.0)
        axes = fig.subplots(1, len(HISTOGRAM_FEATURES), sharey=True)
        for ax, name in zip(axes, HISTOGRAM_FEATURES, strict=True):
            pooled = np.concatenate([v[name] for v in physical.values()])
            pooled = pooled[np.isfinite(pooled)]
            bins = np.linspace(*np.quantile(pooled, [0.0, 0.995]), 31) if pooled.size else 10
            for split, values in physical.items():
                v = values[name][np.isfinite(values[name])]
                if not v.size:
                    continue
                if pooled.size:
                    v = np.clip(v, bins[0], bins[-1])
                colour = SPLIT_COLOURS.get(split, MUTED)
                weights = np.full(v.size, 1.0 / v.size)
                ax.hist(v, bins=bins, weights=weights, color=colour, alpha=0.25)
                ax.hist(
                    v,
                    bins=bins,
                    weights=weights,
                    color=colour,
                    histtype="step",
                    linewidth=1.4,
                    label=f"{split} (n = {v.size})",
                )
            ax.set_xlabel(labels[name])
        axes[0].set_ylabel("fraction of cells")
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncols=len(names))
    return fig
