"""Instances of one image: masks (label image, RLE or bounding-box crops), classes, scores, flags.

An :class:`Instances` object holds the masks in whichever form they arrived, because each form has
its own fast overlap computation (see :mod:`benchmark.metrics.iou`):

* a *label image* (non-overlapping instances, any positive integer ids, 0 is background);
* COCO *RLE* dictionaries (``{"size": [h, w], "counts": ...}``), possibly overlapping;
* *crops*: one boolean array per instance, cut to its bounding box, possibly overlapping.

Nothing here imports torch or detectron2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Label values at or above this use a sorted search instead of a lookup table.
LUT_LIMIT = 1 << 20
#: Elements per chunk when scanning images (keeps temporaries in cache).
CHUNK = 1 << 16


def runs(*flat: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Runs of constant value (tuple) in equally long 1-D arrays: their lengths and values.

    Algorithm: position ``i`` starts a run when any array differs between ``i - 1`` and ``i``
    (position 0 always does). The arrays are processed in chunks of :data:`CHUNK` elements; the
    comparisons, ``np.flatnonzero`` and the gather of each array's value at the run starts all
    happen while the chunk is in cache, so every array is read from memory once.

    Parameters
    ----------
    *flat
        1-D arrays of the same length (e.g. raveled label images).

    Returns
    -------
    lengths, values
        Length of each run (int64) and, for each input array, its value on each run.
    """
    n = flat[0].size
    if n == 0:
        return np.zeros(0, dtype=np.int64), [arr[:0] for arr in flat]
    changed = np.empty(min(CHUNK, n), dtype=bool)
    scratch = np.empty_like(changed)
    starts = [np.zeros(1, dtype=np.int64)]
    values = [[arr[:1]] for arr in flat]
    for lo in range(1, n, CHUNK):
        hi = min(lo + CHUNK, n)
        out, tmp = changed[: hi - lo], scratch[: hi - lo]
        chunks = [arr[lo - 1 : hi] for arr in flat]  # chunk element k + 1 is position lo + k
        np.not_equal(chunks[0][1:], chunks[0][:-1], out=out)
        for chunk in chunks[1:]:
            np.not_equal(chunk[1:], chunk[:-1], out=tmp)
            out |= tmp
        idx = np.flatnonzero(out)
        idx += 1
        for found, chunk in zip(values, chunks, strict=True):
            found.append(chunk[idx])
        idx += lo - 1
        starts.append(idx)
    return np.diff(np.concatenate(starts), append=n), [np.concatenate(v) for v in values]


def as_label_image(label: np.ndarray) -> np.ndarray:
    """Check that ``label`` is a 2-D integer (or boolean) image; booleans are viewed as uint8.

    No copy is made of an array that is already a numpy array.
    """
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f"a label image must be 2-D, got shape {label.shape}")
    if label.dtype == bool:
        return label.view(np.uint8)
    if not np.issubdtype(label.dtype, np.integer):
        raise TypeError(f"a label image must hold integers, got {label.dtype}")
    return label


def run_instances(values: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Instance ids and areas of a label image from any cut of it into constant runs.

    Algorithm: the run lengths are summed per label value, with ``np.bincount`` when the largest
    value is below :data:`LUT_LIMIT`, else over ``np.unique``'s inverse; value 0 (background) is
    dropped. Any cut works (the runs of one image, or the finer runs of a pair of images, see
    :func:`benchmark.metrics.iou.label_overlaps`), as long as the label is constant on each run.

    Parameters
    ----------
    values
        Label value of each run (integers in ``[0, 2**63)``).
    lengths
        Pixel count of each run.

    Returns
    -------
    ids, areas
        Sorted non-zero label values (int64) and their pixel counts (int64).
    """
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    if low < 0 or high > np.iinfo(np.int64).max:
        raise ValueError("label images must not contain negative values (nor values >= 2**63)")
    values = values.astype(np.int64, copy=False)
    if high < LUT_LIMIT:
        per_value = np.bincount(values, weights=lengths, minlength=1)
        per_value[0] = 0
        ids = np.flatnonzero(per_value)
        areas = per_value[ids]
    else:
        ids, inverse = np.unique(values, return_inverse=True)
        areas = np.bincount(inverse.ravel(), weights=lengths, minlength=ids.size)
        if ids.size and ids[0] == 0:
            ids, areas = ids[1:], areas[1:]
    return ids, areas.astype(np.int64)


def index_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in the sorted id array ``ids`` (values must occur in ``ids``).

    A lookup table is used when the largest id is below :data:`LUT_LIMIT`, otherwise a binary
    search.
    """
    if ids.size and ids[-1] < LUT_LIMIT:
        lut = np.zeros(int(ids[-1]) + 1, dtype=np.int64)
        lut[ids] = np.arange(ids.size)
        return lut[values]
    return np.searchsorted(ids, values)


def _column(values, n: int, default, dtype, name: str) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(values, dtype=dtype).reshape(-1)
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries for {n} instances")
    return arr


def _attribute_columns(n: int, ids, classes, scores, ignore) -> dict[str, np.ndarray]:
    """``ids`` (default 1..n), ``classes`` (1), ``scores`` (1.0) and ``ignore`` (False)."""
    return {
        "ids": _column(ids, n, 0, np.int64, "ids") if ids is not None else np.arange(1, n + 1),
        "classes": _column(classes, n, 1, np.int64, "classes"),
        "scores": _column(scores, n, 1.0, np.float64, "scores"),
        "ignore": _column(ignore, n, False, bool, "ignore"),
    }


@dataclass(frozen=True, eq=False)
class Instances:
    """The instances of one image (ground truth or predictions).

    Build with :meth:`from_label_image`, :meth:`from_masks` or :meth:`from_rles`.

    Attributes
    ----------
    shape
        Image shape ``(height, width)``.
    ids
        Identifier of each instance (label value or annotation id), used in messages and tables.
    classes
        Category id of each instance.
    scores
        Confidence of each instance (1.0 for ground truth).
    ignore
        ``True`` for ground truth that must be neither matched nor missed (COCO ``iscrowd``).
    areas
        Pixel count of each mask.
    label_image
        The label image when the instances came from one (they then cannot overlap).
    rles
        COCO RLE dictionaries when the instances came from RLE.
    boxes, crops
        Bounding boxes ``(y0, x0, y1, x1)`` (half-open) and the boolean masks cut to them.
    """

    shape: tuple[int, int]
    ids: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    ignore: np.ndarray
    areas: np.ndarray
    label_image: np.ndarray | None = None
    rles: list[dict] | None = None
    boxes: np.ndarray | None = None
    crops: list[np.ndarray] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.ids.size)

    @classmethod
    def from_label_image(
        cls,
        label: np.ndarray,
        classes: Mapping[int, int] | int = 1,
        scores: Mapping[int, float] | None = None,
    ) -> Instances:
        """Instances of a label image: each positive value is one instance, 0 is background.

        Ids need not be sequential. The image is scanned once, run by run (see
        :func:`runs`), to find the ids and areas (:func:`run_instances`). To score a
        pair of label images, :meth:`benchmark.metrics.evaluator.ImagePair.from_label_images`
        finds the ids and areas of both in the pass that computes their overlaps instead.

        Parameters
        ----------
        label
            2-D integer array.
        classes
            One class id for all instances, or a mapping label value -> class id.
        scores
            Optional mapping label value -> score (default 1.0).
        """
        label = as_label_image(label)
        lengths, (values,) = runs(label.ravel())
        ids, areas = run_instances(values, lengths)
        return cls.from_label_ids(label, ids, areas, classes, scores)

    @classmethod
    def from_label_ids(
        cls,
        label: np.ndarray,
        ids: np.ndarray,
        areas: np.ndarray,
        classes: Mapping[int, int] | int = 1,
        scores: Mapping[int, float] | None = None,
    ) -> Instances:
        """Instances of a label image whose ids and areas are already known (no pixel scan).

        Parameters
        ----------
        label
            2-D integer array, as returned by :func:`as_label_image`.
        ids, areas
            Sorted non-zero values of ``label`` and their pixel counts (:func:`run_instances`).
        classes, scores
            As in :meth:`from_label_image`.
        """
        n = ids.size
        if isinstance(classes, Mapping):
            missing = [int(i) for i in ids if int(i) not in classes]
            if missing:
                raise ValueError(f"no class given for label ids {missing[:10]}")
            class_arr = np.array([classes[int(i)] for i in ids], dtype=np.int64)
        else:
            class_arr = np.full(n, int(classes), dtype=np.int64)
        score_arr = (
            np.ones(n) if scores is None else np.array([scores.get(int(i), 1.0) for i in ids])
        )
        return cls(
            shape=(label.shape[0], label.shape[1]),
            ids=ids,
            classes=class_arr,
            scores=score_arr,
            ignore=np.zeros(n, dtype=bool),
            areas=areas,
            label_image=label,
        )

    @classmethod
    def from_masks(
        cls,
        masks: np.ndarray | Sequence[np.ndarray],
        classes: Sequence[int] | np.ndarray | None = None,
        scores: Sequence[float] | np.ndarray | None = None,
        ignore: Sequence[bool] | np.ndarray | None = None,
        ids: Sequence[int] | np.ndarray | None = None,
    ) -> Instances:
        """Instances from full-size boolean masks ``(n, height, width)``; they may overlap.

        Each mask is cut to its bounding box, so later overlap tests touch only the boxes.
        """
        masks = np.asarray(masks, dtype=bool)
        if masks.ndim != 3:
            raise ValueError(f"masks must have shape (n, height, width), got {masks.shape}")
        n = masks.shape[0]
        boxes = np.zeros((n, 4), dtype=np.int64)
        crops = []
        for i, mask in enumerate(masks):
            rows = np.flatnonzero(mask.any(axis=1))
            cols = np.flatnonzero(mask.any(axis=0))
            if rows.size:
                boxes[i] = rows[0], cols[0], rows[-1] + 1, cols[-1] + 1
            y0, x0, y1, x1 = boxes[i]
            crops.append(mask[y0:y1, x0:x1].copy())
        return cls.from_crops(masks.shape[1:], boxes, crops, classes, scores, ignore, ids)

    @classmethod
    def from_crops(
        cls,
        shape: Sequence[int],
        boxes: np.ndarray,
        crops: Sequence[np.ndarray],
        classes: Sequence[int] | np.ndarray | None = None,
        scores: Sequence[float] | np.ndarray | None = None,
        ignore: Sequence[bool] | np.ndarray | None = None,
        ids: Sequence[int] | np.ndarray | None = None,
    ) -> Instances:
        """Instances from bounding boxes ``(y0, x0, y1, x1)`` and boolean crops of those sizes."""
        boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
        crops = [np.asarray(c, dtype=bool) for c in crops]
        n = len(crops)
        if boxes.shape[0] != n:
            raise ValueError(f"{boxes.shape[0]} boxes for {n} crops")
        for i, (box, crop) in enumerate(zip(boxes, crops, strict=True)):
            if crop.shape != (box[2] - box[0], box[3] - box[1]):
                raise ValueError(f"crop {i} has shape {crop.shape}, its box is {box.tolist()}")
        return cls(
            shape=(int(shape[0]), int(shape[1])),
            **_attribute_columns(n, ids, classes, scores, ignore),
            areas=np.array([int(np.count_nonzero(c)) for c in crops], dtype=np.int64),
            boxes=boxes,
            crops=crops,
        )

    @classmethod
    def from_rles(
        cls,
        rles: Sequence[dict],
        classes: Sequence[int] | np.ndarray | None = None,
        scores: Sequence[float] | np.ndarray | None = None,
        ignore: Sequence[bool] | np.ndarray | None = None,
        ids: Sequence[int] | np.ndarray | None = None,
        shape: Sequence[int] | None = None,
    ) -> Instances:
        """Instances from compressed COCO RLE dictionaries (all of one image size)."""
        from pycocotools import mask as mask_utils

        rles = list(rles)
        n = len(rles)
        if n:
            sizes = {tuple(r["size"]) for r in rles}
            if len(sizes) != 1:
                raise ValueError(f"RLE masks of one image have different sizes: {sorted(sizes)}")
            shape = next(iter(sizes))
        if shape is None:
            raise ValueError("an image without instances needs its shape")
        # one call per mask: pycocotools' list form overflows beyond 255 masks with numpy 2
        areas = np.array([int(mask_utils.area(r)) for r in rles], dtype=np.int64)
        return cls(
            shape=(int(shape[0]), int(shape[1])),
            **_attribute_columns(n, ids, classes, scores, ignore),
            areas=areas,
            rles=rles,
        )

    def to_crops(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Bounding boxes ``(n, 4)`` and boolean crops, whatever form the masks came in."""
        if self.crops is not None and self.boxes is not None:
            return self.boxes, self.crops
        n = len(self)
        boxes = np.zeros((n, 4), dtype=np.int64)
        crops: list[np.ndarray] = []
        if self.label_image is not None:
            from scipy import ndimage as ndi

            label = self.label_image
            seq = np.zeros(label.shape, dtype=np.int64)
            nz = label != 0
            seq[nz] = index_of(self.ids, label[nz].astype(np.int64)) + 1
            for i, sl in enumerate(ndi.find_objects(seq, max_label=n)):
                boxes[i] = sl[0].start, sl[1].start, sl[0].stop, sl[1].stop
                crops.append(seq[sl] == i + 1)
            return boxes, crops
        if self.rles is not None:
            from pycocotools import mask as mask_utils

            for i, rle in enumerate(self.rles):
                x, y, w, h = (round(float(v)) for v in mask_utils.toBbox(rle))
                boxes[i] = y, x, y + h, x + w
                crops.append(mask_utils.decode(rle)[y : y + h, x : x + w].astype(bool))
            return boxes, crops
        return boxes, crops
