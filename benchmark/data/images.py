"""Reading and writing microscopy images, with the channel layouts the benchmark accepts.

Accepted: 2-D greyscale (8, 16 or 32 bit, or float), ``(H, W, 1)``, RGB ``(H, W, 3)`` and RGBA
``(H, W, 4)`` (alpha ignored, with a warning). Anything else — two-channel images, channel-first
arrays, Z/T stacks — is an error: the caller must choose the plane to segment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TIFF_SUFFIXES = {".tif", ".tiff"}


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file into an array, TIFF with :mod:`tifffile`, the rest with Pillow.

    Raises
    ------
    OSError, ValueError
        If the file is missing or cannot be decoded.
    """
    path = Path(path)
    if path.suffix.lower() in TIFF_SUFFIXES:
        import tifffile

        return np.asarray(tifffile.imread(path))
    from PIL import Image

    with Image.open(path) as im:
        if im.mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            return np.stack([_frame(im, i) for i in range(frames)])
        return np.asarray(im)


def _frame(im: object, index: int) -> np.ndarray:
    im.seek(index)  # type: ignore[attr-defined]
    return np.asarray(im)


def channel_layout_problem(shape: tuple[int, ...]) -> str | None:
    """Say why an array shape is not an accepted image layout, or return ``None`` if it is.

    Parameters
    ----------
    shape
        The array shape as read from disk.
    """
    if len(shape) == 2:
        return None
    if len(shape) == 3 and shape[2] in (1, 3, 4):
        return None
    if len(shape) == 3 and shape[0] in (1, 3, 4) and shape[2] > 4:
        return f"channel-first layout {shape}; save channels last (H, W, C)"
    if len(shape) == 3 and shape[2] == 2:
        return f"two-channel image {shape}; export the channel to segment as a single plane"
    return f"unsupported layout {shape}; expected (H, W), (H, W, 3) or (H, W, 4), not a stack"


def image_hw(array: np.ndarray) -> tuple[int, int]:
    """Return ``(height, width)`` of an image in an accepted layout."""
    return int(array.shape[0]), int(array.shape[1])


def encode_image(array: np.ndarray, suffix: str) -> bytes:
    """Encode a greyscale image deterministically: ``.png`` via Pillow, ``.tif`` via tifffile.

    8-bit and 16-bit arrays go to PNG or TIFF; other dtypes need TIFF. No timestamps are
    written, so equal arrays give equal bytes.
    """
    import io

    buffer = io.BytesIO()
    if suffix.lower() in TIFF_SUFFIXES:
        import tifffile

        tifffile.imwrite(buffer, array, compression="zlib", metadata=None, software=False)
    else:
        from PIL import Image

        if array.dtype == np.uint16:
            image = Image.frombytes("I;16", (array.shape[1], array.shape[0]), array.tobytes())
        else:
            image = Image.fromarray(array)
        image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def write_image(path: str | Path, array: np.ndarray) -> Path:
    """Write an image (see :func:`encode_image`) atomically."""
    from benchmark.fileio import write_bytes_atomic

    path = Path(path)
    return write_bytes_atomic(path, encode_image(array, path.suffix))
