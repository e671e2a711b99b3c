"""ImageJ/Fiji ROI sets (``.zip`` of ``.roi`` files, or single ``.roi`` files) to masks.

Read with :mod:`roifile`. Area ROIs are converted: polygon, freehand and traced ROIs are filled,
and a pixel belongs to the ROI when its centre lies inside, as in ImageJ; rectangles and ovals
are filled from their bounds the way ImageJ's ``OvalRoi`` and ``Roi`` masks are. Line and point
ROIs enclose no area: they are skipped with a warning. Composite (shape) ROIs are filled from
all their sub-paths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.data.errors import Problem, error, warning

AREA_TYPES = ("POLYGON", "FREEHAND", "TRACED", "RECT", "OVAL")


def read_rois(path: str | Path) -> list[object]:
    """Read all ROIs of a ``.zip`` ROI set or a single ``.roi`` file."""
    from roifile import ImagejRoi

    rois = ImagejRoi.fromfile(path)
    return rois if isinstance(rois, list) else [rois]


def polygon_mask(xy: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pixels whose centres ``(col + 0.5, row + 0.5)`` lie inside the polygon ``xy`` (x, y)."""
    from matplotlib.path import Path as MplPath

    mask = np.zeros((height, width), dtype=bool)
    if len(xy) < 3:
        return mask
    x0, y0 = np.floor(xy.min(axis=0)).astype(int)
    x1, y1 = np.ceil(xy.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return mask
    yy, xx = np.mgrid[y0:y1, x0:x1]
    centres = np.column_stack([xx.ravel() + 0.5, yy.ravel() + 0.5])
    inside = MplPath(xy).contains_points(centres, radius=0.0)
    mask[y0:y1, x0:x1] = inside.reshape(yy.shape)
    return mask


def oval_mask(
    left: float, top: float, right: float, bottom: float, height: int, width: int
) -> np.ndarray:
    """Pixels whose centres lie inside the ellipse inscribed in the bounds (ImageJ ``OvalRoi``)."""
    yy, xx = np.mgrid[0:height, 0:width]
    cx, cy = (left + right) / 2, (top + bottom) / 2
    a, b = max((right - left) / 2, 1e-9), max((bottom - top) / 2, 1e-9)
    return ((xx + 0.5 - cx) / a) ** 2 + ((yy + 0.5 - cy) / b) ** 2 <= 1.0


def roi_mask(roi: object, height: int, width: int) -> tuple[np.ndarray | None, str]:
    """Fill one ROI; return ``(mask or None, ROI type name)``."""
    kind = roi.roitype.name  # type: ignore[attr-defined]
    if roi.composite:  # type: ignore[attr-defined]
        mask = np.zeros((height, width), dtype=bool)
        for path in roi.multi_coordinates():  # type: ignore[attr-defined]
            if path is not None:
                mask ^= polygon_mask(np.asarray(path, dtype=float), height, width)
        return mask, "COMPOSITE"
    if kind == "OVAL":
        return oval_mask(roi.left, roi.top, roi.right, roi.bottom, height, width), kind  # type: ignore[attr-defined]
    if kind in AREA_TYPES:
        return polygon_mask(np.asarray(roi.coordinates(), dtype=float), height, width), kind  # type: ignore[attr-defined]
    return None, kind


def roi_set_masks(
    path: str | Path, height: int, width: int, category_names: list[str]
) -> tuple[list[tuple[str | None, np.ndarray]], list[Problem]]:
    """Masks of every area ROI in a set, with the category named by the ROI's name prefix.

    A ROI named ``dead_macrophage-0003`` (or ``dead_macrophage``) belongs to category
    ``dead_macrophage`` when that is one of ``category_names``; otherwise the category is
    ``None`` (the caller's default).

    Returns
    -------
    masks, problems
        ``[(category name or None, mask)]`` and warnings/errors naming ROI and file.
    """
    problems: list[Problem] = []
    try:
        rois = read_rois(path)
    except Exception as exc:  # roifile raises several types for damaged files
        return [], [error("unreadable-roi", f"cannot read ROI set: {exc}", file=str(path))]
    out: list[tuple[str | None, np.ndarray]] = []
    for index, roi in enumerate(rois):
        label = roi.name or f"#{index}"  # type: ignore[attr-defined]
        mask, kind = roi_mask(roi, height, width)
        if mask is None:
            problems.append(
                warning("not-an-area", f"ROI {label} is a {kind} ROI; skipped", file=str(path))
            )
            continue
        if not mask.any():
            problems.append(
                error("empty-mask", f"ROI {label} covers no pixel of the image", file=str(path))
            )
            continue
        prefix = next(
            (
                n
                for n in sorted(category_names, key=len, reverse=True)
                if (roi.name or "").startswith(n)
            ),
            None,
        )  # type: ignore[attr-defined]
        out.append((prefix, mask))
    return out, problems
