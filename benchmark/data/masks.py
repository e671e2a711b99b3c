"""Binary masks and their COCO encodings (compressed RLE, uncompressed RLE, polygons).

The normalised form of a mask is compressed COCO RLE with ``counts`` as an ASCII string: exact,
compact and JSON-friendly. Everything here works on numpy arrays; nothing imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Encode a 2-D boolean mask as compressed COCO RLE with string ``counts``.

    Parameters
    ----------
    mask
        ``(height, width)`` array; non-zero means inside.

    Returns
    -------
    dict
        ``{"size": [height, width], "counts": str}``.
    """
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode()}


def decode_rle(rle: dict[str, Any]) -> np.ndarray:
    """Decode compressed or uncompressed COCO RLE to a boolean ``(height, width)`` mask."""
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        compressed = mask_utils.frPyObjects(
            {"size": [height, width], "counts": counts}, height, width
        )
    else:
        compressed = {
            "size": [height, width],
            "counts": counts.encode() if isinstance(counts, str) else counts,
        }
    return mask_utils.decode(compressed).astype(bool)


def polygons_to_mask(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """Rasterise COCO polygons (``[[x0, y0, x1, y1, ...], ...]``) the way pycocotools does."""
    rles = mask_utils.frPyObjects(polygons, height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def segmentation_to_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """Decode any COCO ``segmentation`` (polygon list, compressed or uncompressed RLE)."""
    if isinstance(segmentation, list):
        return polygons_to_mask(segmentation, height, width)
    return decode_rle(segmentation)


def bbox_of(mask: np.ndarray) -> list[float]:
    """Return the COCO ``[x, y, width, height]`` box (pixel edges) of a non-empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [
        float(cols[0]),
        float(rows[0]),
        float(cols[-1] - cols[0] + 1),
        float(rows[-1] - rows[0] + 1),
    ]


def mask_to_polygons(mask: np.ndarray) -> list[list[float]]:
    """Trace the outer outlines of a mask as COCO polygons (lossy: holes are filled).

    Used only where a polygon format is asked for (detectron2's default ``polygon`` mask format).
    """
    from skimage import measure

    padded = np.pad(mask.astype(np.uint8), 1)
    polygons = []
    for contour in measure.find_contours(padded, 0.5):
        if len(contour) < 3:
            continue
        xy = np.fliplr(contour - 1.0) + 0.5
        poly = xy.ravel().tolist()
        if len(poly) >= 6:
            polygons.append(poly)
    return polygons


def components(mask: np.ndarray) -> int:
    """Count the 8-connected components of a mask."""
    from scipy import ndimage

    return int(ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))[1])
