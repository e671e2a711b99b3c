"""Time the macroseg metrics engine against stardist, cellpose and pycocotools.

Not a test: run by hand, e.g. ``python scripts/bench_metrics.py --cases a b``. Each case is a
synthetic label image of non-overlapping cells and a prediction made by perturbing it (a 2-pixel
shift, erosion, dilation, splits, merges, drops and false alarms). Every tool scores the same
pair at the 10 thresholds 0.50:0.05:0.95; the table gives the best of ``--repeats`` runs (after
one warm-up run, so numba-compiled stardist is timed compiled) and checks TP/FP/FN against
stardist. Tools that are not installed are reported as such.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import time
import tracemalloc

import numpy as np
from scipy import ndimage as ndi

from benchmark.metrics import DEFAULT_THRESHOLDS, ImagePair, evaluate

CASES = {"a": (512, 100), "b": (2048, 1000)}


def synthetic_labels(size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Non-overlapping elliptic cells, drawn in random order (later cells do not overwrite)."""
    label = np.zeros((size, size), dtype=np.int32)
    radius = np.sqrt(0.35 * size * size / (n * np.pi))
    k = 1
    for _ in range(10 * n):
        if k > n:
            break
        ry, rx = radius * rng.uniform(0.6, 1.3, 2)
        cy, cx = rng.uniform(0, size, 2)
        theta = rng.uniform(0, np.pi)
        y0, y1 = int(max(cy - 1.4 * radius, 0)), int(min(cy + 1.4 * radius + 1, size))
        x0, x1 = int(max(cx - 1.4 * radius, 0)), int(min(cx + 1.4 * radius + 1, size))
        yy, xx = np.mgrid[y0:y1, x0:x1]
        u = (yy - cy) * np.cos(theta) + (xx - cx) * np.sin(theta)
        v = -(yy - cy) * np.sin(theta) + (xx - cx) * np.cos(theta)
        inside = (u / ry) ** 2 + (v / rx) ** 2 <= 1
        sub = label[y0:y1, x0:x1]
        if inside.sum() < 20 or np.any(sub[inside] != 0):
            continue
        sub[inside] = k
        k += 1
    return label


def perturb(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A prediction: shift, erode/dilate, split, merge, drop cells and add false alarms."""
    pred = np.roll(gt, (2, 1), axis=(0, 1)).astype(np.int32)
    ids = np.unique(pred)[1:]
    rng.shuffle(ids)
    n = ids.size
    erode, dilate, split, drop, _ = np.split(
        ids, [n // 10, 2 * n // 10, 3 * n // 10, 35 * n // 100]
    )
    boxes = ndi.find_objects(pred)
    next_id = int(pred.max()) + 1
    for i in erode:
        sl = boxes[i - 1]
        m = pred[sl] == i
        pred[sl][m & ~ndi.binary_erosion(m, iterations=2)] = 0
    for i in dilate:
        sl = tuple(slice(max(s.start - 3, 0), s.stop + 3) for s in boxes[i - 1])
        m = ndi.binary_dilation(pred[sl] == i, iterations=2) & (pred[sl] == 0)
        pred[sl][m] = i
    for i in split:
        sl = boxes[i - 1]
        m = pred[sl] == i
        cols = np.arange(m.shape[1])[None, :]
        pred[sl][m & (cols >= m.shape[1] // 2)] = next_id
        next_id += 1
    for i in drop:
        sl = boxes[i - 1]
        pred[sl][pred[sl] == i] = 0
    # merges: relabel a few cells to the id of a touching-or-near neighbour
    centers = np.array(
        [
            [(s.start + s.stop) / 2 for s in b] if b else [np.inf, np.inf]
            for b in ndi.find_objects(gt)
        ]
    )
    for i in rng.choice(np.arange(1, centers.shape[0] + 1), size=n // 20, replace=False):
        d = np.hypot(*(centers - centers[i - 1]).T)
        d[i - 1] = np.inf
        j = int(np.argmin(d)) + 1
        sl = (
            tuple(
                slice(min(a.start, b.start), max(a.stop, b.stop))
                for a, b in zip(boxes[i - 1], boxes[j - 1], strict=True)
            )
            if boxes[i - 1] and boxes[j - 1]
            else None
        )
        if sl is not None:
            pred[sl][pred[sl] == j] = i
    # false alarms: small discs in the background
    size = gt.shape[0]
    for _ in range(n // 10):
        cy, cx = rng.integers(5, size - 5, 2)
        y0, x0 = cy - 4, cx - 4
        yy, xx = np.mgrid[-4:5, -4:5]
        disc = (yy**2 + xx**2 <= 16) & (pred[y0 : y0 + 9, x0 : x0 + 9] == 0)
        pred[y0 : y0 + 9, x0 : x0 + 9][disc] = next_id
        next_id += 1
    return pred


def counts_ours(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    pair = ImagePair.from_label_images("x", gt, pred)
    return evaluate([pair], DEFAULT_THRESHOLDS).counts[0, 0, :, :3].astype(int)


def counts_stardist(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    from stardist.matching import matching

    stats = matching(gt, pred, thresh=list(DEFAULT_THRESHOLDS))
    return np.array([[s.tp, s.fp, s.fn] for s in stats])


def counts_cellpose(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    from cellpose.metrics import average_precision

    _, tp, fp, fn = average_precision([gt], [pred], threshold=list(DEFAULT_THRESHOLDS))
    return np.stack([tp[0], fp[0], fn[0]], axis=1).astype(int)


def coco_inputs(gt: np.ndarray, pred: np.ndarray) -> tuple[dict, list]:
    """COCO dataset and results (RLE from full-size masks, as a COCO user would make them)."""
    from pycocotools import mask as mask_utils

    def rles(label):
        ids = np.unique(label)[1:]
        out = []
        for i in ids:
            r = mask_utils.encode(np.asfortranarray(label == i, dtype=np.uint8))
            r["counts"] = r["counts"].decode()
            out.append(r)
        return out

    h, w = gt.shape
    anns = [
        {
            "id": k + 1,
            "image_id": 1,
            "category_id": 1,
            "segmentation": r,
            "iscrowd": 0,
            "area": float(mask_utils.area(r)),
            "bbox": mask_utils.toBbox(r).tolist(),
        }
        for k, r in enumerate(rles(gt))
    ]
    dataset = {
        "images": [{"id": 1, "height": h, "width": w}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "cell"}],
    }
    results = [
        {"image_id": 1, "category_id": 1, "segmentation": r, "score": 1.0} for r in rles(pred)
    ]
    return dataset, results


def time_cocoeval(dataset: dict, results: list) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), iouType="segm")
        ev.params.maxDets = [1, 10, 1000]
        ev.evaluate()
        ev.accumulate()


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up (numba compilation, imports, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["a", "b"], choices=sorted(CASES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-coco-on-b",
        action="store_true",
        help="skip pycocotools on case b (it takes tens of seconds)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| case | tool | time (ms) | ratio to ours | TP/FP/FN at 0.5 | same counts as stardist |")
    print("|---|---|---:|---:|---|---|")
    for case in args.cases:
        size, n = CASES[case]
        gt = synthetic_labels(size, n, rng)
        pred = perturb(gt, rng)
        ours = counts_ours(gt, pred)
        t_ours = best_time(lambda g=gt, p=pred: counts_ours(g, p), args.repeats)
        tracemalloc.start()
        counts_ours(gt, pred)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        label_bytes = gt.nbytes + pred.nbytes
        ref = None
        rows = [("macroseg (this engine)", t_ours, ours)]
        for name, fn in (
            ("stardist.matching", counts_stardist),
            ("cellpose average_precision", counts_cellpose),
        ):
            try:
                counts = fn(gt, pred)
            except ImportError as err:
                print(f"| {case} | {name} | not installed ({err.name}) | | | |")
                continue
            rows.append((name, best_time(lambda f=fn, g=gt, p=pred: f(g, p), args.repeats), counts))
            if name.startswith("stardist"):
                ref = counts
        if not (case == "b" and args.skip_coco_on_b):
            t0 = time.perf_counter()
            dataset, results = coco_inputs(gt, pred)
            t_enc = time.perf_counter() - t0
            t_eval = best_time(lambda d=dataset, r=results: time_cocoeval(d, r), 1)
            rows.append(("pycocotools COCOeval (RLE encoding + eval)", t_enc + t_eval, None))
            rows.append(("pycocotools COCOeval (eval only)", t_eval, None))
        for name, t, counts in rows:
            same = "" if counts is None or ref is None else str(bool(np.array_equal(counts, ref)))
            c = "" if counts is None else "/".join(map(str, counts[0]))
            print(
                f"| {case} ({size}², {gt.max()} cells) | {name} | {t * 1e3:.1f} | "
                f"{t / t_ours:.1f}× | {c} | {same} |"
            )
        print(
            f"| {case} | peak extra memory of ours (tracemalloc) | "
            f"{peak / 2**20:.1f} MiB | {peak / label_bytes:.2f}× the two label images | | |"
        )


if __name__ == "__main__":
    main()
