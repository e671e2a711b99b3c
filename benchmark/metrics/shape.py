"""Shape features of instances and the subsets (bins) they define.

Features per instance mask, computed on its bounding-box crop with ``skimage.measure.regionprops``:

* ``area``: pixel count ``A``;
* ``perimeter``: ``P`` from ``skimage.measure.perimeter`` (4-connected contour estimator: border
  pixels weighted 1, √2 or (1+√2)/2 by their neighbourhood configuration);
* ``perimeter_over_area``: ``P / A`` in 1/px (and ``perimeter_over_area_um`` in 1/µm, ``P / A / s``,
  when a pixel size ``s`` in µm is given);
* ``circularity``: ``4 π A / P²`` (1 for a disc, lower for ragged or elongated cells; may exceed 1
  slightly for tiny masks because of the perimeter estimator);
* ``solidity``: ``A`` over the area of the convex hull;
* ``eccentricity``: of the ellipse with the same second moments (0 = circle).

Subset rule: the bin edges come from the ground truth (quantiles, tertiles by default, or explicit
edges). A ground-truth instance falls in the bin of its own feature; a true-positive prediction in
the bin of the ground truth it matched; a false positive in the bin of its own feature. Bins are
half-open ``[lo, hi)``; the first and the last bins extend to -∞ and +∞, so a false positive
outside the ground-truth range lands in an extreme bin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FEATURES = (
    "area",
    "perimeter",
    "perimeter_over_area",
    "circularity",
    "solidity",
    "eccentricity",
)


def shape_features(
    crops: Sequence[np.ndarray], pixel_size: float | None = None
) -> dict[str, np.ndarray]:
    """Shape features of boolean masks (one per instance; see the module docstring).

    Parameters
    ----------
    crops
        Boolean masks, typically cut to each instance's bounding box.
    pixel_size
        Pixel size in µm; adds ``perimeter_over_area_um`` (1/µm).

    Returns
    -------
    dict
        Feature name -> float array with one value per mask (NaN for an empty mask).
    """
    from skimage.measure import regionprops

    out = {name: np.full(len(crops), np.nan) for name in FEATURES}
    for i, crop in enumerate(crops):
        crop = np.asarray(crop, dtype=np.uint8)
        if not crop.any():
            continue
        region = regionprops(crop)[0]
        area = float(region.area)
        perimeter = float(region.perimeter)
        out["area"][i] = area
        out["perimeter"][i] = perimeter
        out["perimeter_over_area"][i] = perimeter / area
        out["circularity"][i] = 4.0 * np.pi * area / perimeter**2 if perimeter > 0 else np.nan
        out["solidity"][i] = float(region.solidity)
        out["eccentricity"][i] = float(region.eccentricity)
    if pixel_size is not None:
        if pixel_size <= 0:
            raise ValueError(f"pixel size must be positive, got {pixel_size}")
        out["perimeter_over_area_um"] = out["perimeter_over_area"] / pixel_size
    return out


def bin_edges(values: np.ndarray, bins: int | Sequence[float] = 3) -> np.ndarray:
    """Bin edges: ``bins`` quantile bins of the finite values, or the explicit edges given.

    Parameters
    ----------
    values
        Feature values of the ground truth (NaNs are ignored).
    bins
        Number of quantile bins (3 = tertiles), or increasing edges ``[e0, e1, ..., en]``.
    """
    if isinstance(bins, int):
        if bins < 1:
            raise ValueError(f"need at least one bin, got {bins}")
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            raise ValueError("no finite feature values to take quantiles of")
        return np.quantile(finite, np.linspace(0.0, 1.0, bins + 1))
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bin edges must be at least two increasing numbers, got {bins!r}")
    return edges


def assign_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value (``[lo, hi)`` bins, extreme bins open-ended; -1 for NaN)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.searchsorted(edges[1:-1], values, side="right").astype(np.int64)
    out[np.isnan(values)] = -1
    return out


def bin_labels(feature: str, edges: np.ndarray, precision: int = 4) -> list[str]:
    """Readable subset names such as ``perimeter_over_area 1/3 [0.1, 0.2)``."""
    n = edges.size - 1
    return [
        f"{feature} {i + 1}/{n} [{edges[i]:.{precision}g}, {edges[i + 1]:.{precision}g})"
        for i in range(n)
    ]
