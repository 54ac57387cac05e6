"""Fusing ranked lists: weighted reciprocal rank fusion."""

from __future__ import annotations

import numpy as np

RRF_K = 60


def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every item by descending score."""
    order = np.argsort(-scores, kind="stable")
    out = np.empty(len(scores), dtype=np.int64)
    out[order] = np.arange(len(scores))
    return out


def weighted_rrf(
    score_lists: list[np.ndarray], weights: list[float], k: int = RRF_K
) -> np.ndarray:
    """Sum of ``w / (k + rank + 1)`` over the lists.

    An item a list did not score (``-inf``, e.g. outside an approximate search's candidates)
    gets nothing from that list.
    """
    total = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights):
        if weight:
            part = weight / (k + ranks(scores) + 1)
            total += np.where(np.isfinite(scores), part, 0.0)
    return total


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, ties in index order (as a stable full sort would)."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= 4 * k:
        return np.argsort(-scores, kind="stable")[:k]
    kth = np.partition(scores, n - k)[n - k]
    if np.isnan(kth):
        return np.argsort(-scores, kind="stable")[:k]
    chosen = np.flatnonzero(scores >= kth)
    return chosen[np.argsort(-scores[chosen], kind="stable")][:k]
