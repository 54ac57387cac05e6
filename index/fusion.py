"""Fusing the dense and lexical lists: distribution-based score fusion (passages) and weighted
reciprocal rank fusion (sentences)."""

from __future__ import annotations

import numpy as np

RRF_K = 60
DBSF_TOP = 200  # items of each list whose scores set its normalisation (Qdrant's prefetch limit)


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


def dbsf(score_lists: list[np.ndarray], weights: list[float], top: int = DBSF_TOP) -> np.ndarray:
    """Distribution-based score fusion: each list's scores mapped by the mean ± 3 standard
    deviations (sample) of its ``top`` best onto about [0, 1], times its weight, added; an
    unscored item (``-inf``) gets nothing from that list. A list whose top scores are all equal
    gives each of its items 0.5.

    The head's statistics are Qdrant's ``Fusion.DBSF`` (:func:`dbsf_heads` is that fusion
    exactly); here every scored item is mapped by them, so a passage just outside one list's
    top is not cut to nothing. Unlike rank fusion it keeps how far ahead a list's best items
    are: among many passages that each half-match a question, one that a list scores far above
    the rest is not drowned.
    """
    return _fuse(score_lists, weights, top, heads_only=False)


def dbsf_heads(score_lists: list[np.ndarray], weights: list[float], top: int = DBSF_TOP) -> np.ndarray:
    """Qdrant's ``Fusion.DBSF`` over prefetches of ``top``: as :func:`dbsf`, but an item outside a
    list's top gets nothing from it."""
    return _fuse(score_lists, weights, top, heads_only=True)


def _fuse(score_lists: list[np.ndarray], weights: list[float], top: int, heads_only: bool) -> np.ndarray:
    total = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights):
        if not weight:
            continue
        head = top_k(scores, top)
        head = head[np.isfinite(scores[head])]
        if len(head) == 0:
            continue
        values = scores[head].astype(np.float64)
        spread = 6 * values.std(ddof=1) if len(values) > 1 else 0.0
        chosen = head if heads_only else np.flatnonzero(np.isfinite(scores))
        if spread > 0:
            total[chosen] += weight * (scores[chosen] - (values.mean() - spread / 2)) / spread
        else:
            total[chosen] += weight * 0.5
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
