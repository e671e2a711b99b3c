"""Uncertainty: bands across models, bootstrap intervals over images, a permutation test.

* **Across models** (k-fold): mean and sample standard deviation (``ddof=1``) of a score over the
  models, per class, subset and threshold.
* **Bootstrap over images**: ``B`` resamples (default 1000, seeded) draw images with replacement;
  each resample's counts are summed (micro aggregation) and scored; the interval is the
  ``(α/2, 1-α/2)`` percentile range of the resampled scores (NaN resamples are dropped).
* **Permutation test for a difference in F1** between two subsets ``A`` and ``B`` at one
  threshold: the units are the true positives (matched pairs), false positives and false
  negatives of both subsets. Under the null hypothesis the subset labels are exchangeable, so
  each permutation deals ``|A|`` units to ``A`` at random (a multivariate hypergeometric draw of
  how many TP, FP and FN it gets) and the rest to ``B``. The two-sided p-value is
  ``(1 + #{|ΔF1_perm| >= |ΔF1_obs|}) / (1 + n_permutations)``. Instances are treated as
  independent (images are not clusters in this test).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.metrics.scores import ScoreRecord, scores_from_counts


@dataclass(frozen=True)
class IntervalRecord:
    """A bootstrap confidence interval of a micro-aggregated score."""

    class_name: str
    subset: str
    threshold: float
    metric: str
    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int


@dataclass(frozen=True)
class BandRecord:
    """Mean ± standard deviation of a score across models."""

    class_name: str
    subset: str
    threshold: float
    metric: str
    mean: float
    sd: float
    n_models: int


@dataclass(frozen=True)
class PermutationResult:
    """Outcome of the permutation test for ``F1(A) - F1(B)``."""

    f1_a: float
    f1_b: float
    difference: float
    p_value: float
    n_permutations: int


def bootstrap_scores(
    counts: np.ndarray,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Bootstrap intervals of micro-aggregated scores, resampling images (axis 0).

    Parameters
    ----------
    counts
        Per-image counts ``(n_images, ..., 4)``.
    n_resamples, confidence, seed
        Number of resamples, interval coverage and random seed.

    Returns
    -------
    dict
        Score name -> ``(estimate, low, high)``, arrays of shape ``counts.shape[1:-1]``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.shape[0]
    estimate = scores_from_counts(counts.sum(axis=0))
    if n == 0:
        nan = np.full(counts.shape[1:-1], np.nan)
        return {k: (v, nan, nan) for k, v in estimate.items()}
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(np.float64)
    flat = counts.reshape(n, -1)
    resampled = (weights @ flat).reshape((n_resamples, *counts.shape[1:]))
    boot = scores_from_counts(resampled)
    alpha = 1.0 - confidence
    out = {}
    for name, values in boot.items():
        with warnings.catch_warnings():  # all-NaN columns give NaN limits, as they should
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(values, [alpha / 2, 1 - alpha / 2], axis=0)
        out[name] = (estimate[name], low, high)
    return out


def f1_permutation_test(
    counts_a: Sequence[int],
    counts_b: Sequence[int],
    n_permutations: int = 10000,
    seed: int = 0,
) -> PermutationResult:
    """Permutation test for the difference in F1 between two subsets (see module docstring).

    Parameters
    ----------
    counts_a, counts_b
        ``(TP, FP, FN)`` of each subset at the chosen threshold.
    n_permutations, seed
        Number of random relabellings and random seed.
    """
    a = np.asarray(counts_a[:3], dtype=np.int64)
    b = np.asarray(counts_b[:3], dtype=np.int64)

    def f1(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        den = 2 * c[..., 0] + c[..., 1] + c[..., 2]
        return np.divide(2 * c[..., 0], den, out=np.full(den.shape, np.nan), where=den > 0)

    f1_a, f1_b = float(f1(a)), float(f1(b))
    observed = f1_a - f1_b
    if np.isnan(observed):
        return PermutationResult(f1_a, f1_b, observed, np.nan, n_permutations)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_hypergeometric(a + b, int(a.sum()), size=n_permutations)
    diff = f1(draws) - f1((a + b)[None, :] - draws)
    extreme = np.count_nonzero(np.abs(diff) >= abs(observed) - 1e-12)
    return PermutationResult(
        f1_a, f1_b, observed, float((1 + extreme) / (1 + n_permutations)), n_permutations
    )


def across_models(
    tables: Sequence[Sequence[ScoreRecord]],
    metrics: Sequence[str] = ("precision", "recall", "f1"),
    aggregation: str = "micro",
) -> list[BandRecord]:
    """Mean and standard deviation (``ddof=1``; NaN for one model) of scores across models.

    Parameters
    ----------
    tables
        One score table per model (rows of the same classes, subsets and thresholds).
    metrics
        Score names to summarise.
    aggregation
        Which rows to use (``"micro"`` or ``"image_mean"``).
    """
    values: dict[tuple[str, str, float, str], list[float]] = defaultdict(list)
    for table in tables:
        for row in table:
            if row.aggregation != aggregation:
                continue
            for m in metrics:
                values[(row.class_name, row.subset, row.threshold, m)].append(getattr(row, m))
    out = []
    for (class_name, subset, threshold, metric), v in values.items():
        arr = np.asarray(v, dtype=np.float64)
        sd = float(np.std(arr, ddof=1)) if arr.size > 1 else float("nan")
        out.append(
            BandRecord(class_name, subset, threshold, metric, float(arr.mean()), sd, arr.size)
        )
    return out
