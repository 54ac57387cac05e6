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
    """Sum of ``w / (k + rank + 1)`` over the lists; items never retrieved get nothing extra."""
    total = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights):
        if weight:
            total += weight / (k + ranks(scores) + 1)
    return total
