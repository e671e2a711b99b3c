"""Images as the model sees them, the same in training and inference.

Microscopy images come as 8- or 16-bit, grey or RGB. Each image is normalised on its own:
intensities at the 1st and 99.8th percentiles map to 0 and 255 (the convention of CSBDeep /
StarDist), then grey is repeated to three channels, so 8- and 16-bit versions of one field give
the same input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.data.images import channel_layout_problem, read_image

LOW_PERCENTILE = 1.0
HIGH_PERCENTILE = 99.8
#: Larger images are refused rather than silently slow or out of memory (no tiling yet).
MAX_PIXELS = 4096 * 4096


def normalise(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` float32 in [0, 255] from a grey ``(H, W)`` or colour ``(H, W, C)`` array."""
    problem = channel_layout_problem(image.shape)
    if problem:
        raise ValueError(problem)
    if image.ndim == 3:
        image = image[..., :3] if image.shape[2] >= 3 else image[..., :1]
    data = image.astype(np.float32)
    low, high = np.percentile(data, [LOW_PERCENTILE, HIGH_PERCENTILE])
    scaled = (data - low) * (255.0 / max(float(high - low), 1e-6))
    scaled = np.clip(scaled, 0.0, 255.0).astype(np.float32)
    if scaled.ndim == 2:
        scaled = scaled[..., None]
    if scaled.shape[2] == 1:
        scaled = np.repeat(scaled, 3, axis=2)
    return scaled


def load_model_image(path: str | Path, channel_order: str = "RGB") -> np.ndarray:
    """Read and normalise an image file, naming the file in every error.

    ``channel_order="BGR"`` reverses colour channels (detectron2's ``INPUT.FORMAT``).
    """
    try:
        image = read_image(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read image ({error})") from error
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ValueError(
            f"{path}: {image.shape[1]}×{image.shape[0]} px exceeds the limit of {MAX_PIXELS} "
            "pixels; crop it into tiles first"
        )
    try:
        image = normalise(image)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    return np.ascontiguousarray(image[..., ::-1]) if channel_order == "BGR" else image
