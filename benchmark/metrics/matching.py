"""One-to-one matching of predictions to ground truth at IoU thresholds.

Two rules, both restricted to pairs with ``IoU >= t``:

``"optimal"`` (default)
    The largest possible number of matched pairs; among matchings of that size, the one with the
    largest total IoU. This is the criterion of StarDist's ``matching`` (and cellpose's
    ``average_precision``), so counts are comparable with theirs.
``"greedy"``
    Predictions in order of descending score (stable for ties) each take the unmatched ground
    truth of highest IoU (ties: the higher ground-truth index), as pycocotools' ``COCOeval`` does.

Both start from the same shortcut: a candidate pair whose ground truth and prediction take part in
no other candidate pair is matched by either rule. When neither side overlaps itself and
``t > 0.5`` every candidate pair is of this kind (two disjoint masks cannot both cover more than
half of a third), so matching costs one ``np.bincount``. Only the remaining pairs are solved:
connected components of the candidate graph, each by ``scipy.optimize.linear_sum_assignment`` on
the weight ``1 + IoU / (2 k)`` (``k`` = the smaller side of the component; the IoU term of a whole
matching stays below 1, so the number of pairs decides first), or greedily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["optimal", "greedy"]

#: IoU thresholds 0.50, 0.55, ..., 0.95.
DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(np.round(np.arange(0.5, 0.951, 0.05), 2).tolist())


@dataclass(frozen=True)
class Matching:
    """Matched pairs at one IoU threshold.

    Attributes
    ----------
    threshold
        The IoU threshold ``t`` (pairs need ``IoU >= t``).
    gt, pred
        Indices of the matched ground truth and predictions (same length).
    iou
        IoU of each matched pair.
    """

    threshold: float
    gt: np.ndarray
    pred: np.ndarray
    iou: np.ndarray


def _isolated(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mask of pairs whose ground truth and prediction occur in no other pair."""
    if gt.size == 0:
        return np.zeros(0, dtype=bool)
    return (np.bincount(gt)[gt] == 1) & (np.bincount(pred)[pred] == 1)


def _optimal_rest(gt: np.ndarray, pred: np.ndarray, iou: np.ndarray) -> np.ndarray:
    """Indices of pairs chosen by the optimal rule among non-isolated pairs."""
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, gi = np.unique(gt, return_inverse=True)
    cols, pj = np.unique(pred, return_inverse=True)
    n_r, n_c = rows.size, cols.size
    graph = coo_matrix((np.ones(gt.size), (gi, pj + n_r)), shape=(n_r + n_c, n_r + n_c))
    _, component = connected_components(graph, directed=False)
    pair_component = component[gi]
    chosen = []
    for c in np.unique(pair_component):
        idx = np.flatnonzero(pair_component == c)
        r, ri = np.unique(gi[idx], return_inverse=True)
        q, qi = np.unique(pj[idx], return_inverse=True)
        k = min(r.size, q.size)
        weight = np.zeros((r.size, q.size))
        weight[ri, qi] = 1.0 + iou[idx] / (2.0 * k)
        lookup = np.full((r.size, q.size), -1, dtype=np.int64)
        lookup[ri, qi] = idx
        a, b = linear_sum_assignment(weight, maximize=True)
        picked = lookup[a, b]
        chosen.append(picked[picked >= 0])
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def _greedy_rest(gt: np.ndarray, pred: np.ndarray, iou: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Indices of pairs chosen by the greedy rule among non-isolated pairs."""
    order = np.lexsort((-gt, -iou, rank[pred]))
    taken_gt: set[int] = set()
    done_pred: set[int] = set()
    chosen = []
    for k in order:
        g, p = int(gt[k]), int(pred[k])
        if p in done_pred or g in taken_gt:
            continue
        taken_gt.add(g)
        done_pred.add(p)
        chosen.append(k)
    return np.asarray(chosen, dtype=np.int64)


def match_pairs(
    gt: np.ndarray,
    pred: np.ndarray,
    iou: np.ndarray,
    threshold: float,
    method: Method = "optimal",
    scores: np.ndarray | None = None,
) -> Matching:
    """Match one image's candidate pairs at one IoU threshold.

    Parameters
    ----------
    gt, pred, iou
        Overlapping pairs (see :class:`~benchmark.metrics.iou.Overlaps`); indices need not be
        contiguous.
    threshold
        Pairs need ``IoU >= threshold``.
    method
        ``"optimal"`` or ``"greedy"`` (see the module docstring).
    scores
        Prediction scores indexed by prediction index; needed by ``"greedy"``.

    Returns
    -------
    Matching
        The matched pairs, sorted by ground-truth index.
    """
    if method not in ("optimal", "greedy"):
        raise ValueError(f"unknown matching method {method!r}; use 'optimal' or 'greedy'")
    keep = np.flatnonzero(iou >= threshold)
    g, p, w = gt[keep], pred[keep], iou[keep]
    alone = _isolated(g, p)
    if alone.all():
        chosen = np.arange(g.size)
    else:
        rest = np.flatnonzero(~alone)
        if method == "optimal":
            extra = _optimal_rest(g[rest], p[rest], w[rest])
        else:
            if scores is None:
                raise ValueError("greedy matching needs prediction scores")
            rank = np.empty(len(scores), dtype=np.int64)
            rank[np.argsort(-np.asarray(scores), kind="stable")] = np.arange(len(scores))
            extra = _greedy_rest(g[rest], p[rest], w[rest], rank)
        chosen = np.sort(np.concatenate([np.flatnonzero(alone), rest[extra]]))
    return Matching(float(threshold), g[chosen], p[chosen], w[chosen])


def match(
    gt: np.ndarray,
    pred: np.ndarray,
    iou: np.ndarray,
    thresholds=DEFAULT_THRESHOLDS,
    method: Method = "optimal",
    scores: np.ndarray | None = None,
) -> list[Matching]:
    """Match at every threshold of a list (see :func:`match_pairs`)."""
    return [match_pairs(gt, pred, iou, t, method, scores) for t in thresholds]
