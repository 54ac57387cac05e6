"""The learned answer selector: a small model that scores (question, candidate) pairs.

The model is a JSON file written by ``make train`` (``eval/train.py``): a conditional logit
(a linear score per candidate, softmax over the question's candidates) over the features of
:mod:`answer.features`. A second, question-level model (gradient-boosted trees, stored as plain
arrays) turns the chosen candidate's score, share and features into a probability that the
answer is right; below the trained threshold the engine abstains. Which of the best anchors is
quoted is looked at again by :mod:`answer.rerank`. The probability an answer reports is that one
mapped by :class:`Calibration` onto how often answers given with it were right (``eval.calibrate``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from answer.features import INDEX, NAMES

MODEL_PATH = Path(__file__).with_name("selector.json")


class ModelError(Exception):
    """The selector model file is missing or was trained on other features."""


@dataclass(frozen=True)
class Linear:
    """Standardised logistic regression."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Linear:
        return cls(np.array(data["mean"], np.float64), np.array(data["scale"], np.float64),
                   np.array(data["coef"], np.float64), float(data["intercept"]))


# the arrays a tree is stored as, and their types
NODE_FIELDS: dict[str, type] = {"feature": np.int64, "threshold": np.float64, "left": np.int64, "right": np.int64,
                                "value": np.float64, "leaf": bool, "missing_left": bool}


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted regression trees on a logit scale (what scikit-learn's histogram gradient
    boosting learns), as arrays (:data:`NODE_FIELDS`): node ``i`` of a tree sends a row left when
    its ``feature`` is at most ``threshold`` (or is missing and ``missing_left``); leaves hold ``value``."""

    baseline: float
    trees: tuple[dict[str, np.ndarray], ...]

    def logit(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if not self.trees:
            return np.full(len(x), self.baseline)
        roots, feature, threshold, left, right, value, leaf, missing_left = self._nodes
        n, width, size = len(x), x.shape[1], len(roots)
        node = np.tile(roots, n)  # where row i is in tree t: node[i * size + t]
        walking = np.flatnonzero(~leaf[node])  # the (row, tree) pairs not yet at a leaf, one level at a time
        at, cell = node[walking], (walking // size) * width  # their nodes, and where their row starts in x
        flat = x.ravel()
        while walking.size:
            v = flat[cell + feature[at]]
            at = np.where(np.where(np.isnan(v), missing_left[at], v <= threshold[at]), left[at], right[at])
            done = leaf[at]
            node[walking[done]] = at[done]
            walking, at, cell = walking[~done], at[~done], cell[~done]
        return self.baseline + value[node].reshape(n, size).sum(axis=1)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.logit(x))

    @cached_property
    def _nodes(self) -> tuple[np.ndarray, ...]:
        """All trees' nodes in one set of arrays (children renumbered), and each tree's root."""
        sizes = [len(t["leaf"]) for t in self.trees]
        roots = np.cumsum([0, *sizes[:-1]])

        def joined(key: str, dtype: type) -> np.ndarray:
            return np.concatenate([t[key] for t in self.trees]).astype(dtype)

        def children(key: str) -> np.ndarray:
            return np.concatenate([t[key].astype(np.int64) + r for t, r in zip(self.trees, roots)])

        return (roots, joined("feature", np.int64), joined("threshold", np.float64), children("left"),
                children("right"), joined("value", np.float64), joined("leaf", bool), joined("missing_left", bool))

    @classmethod
    def averaged(cls, models: Sequence[Trees]) -> Trees:
        """One model whose logit is the mean of ``models``' logits: all their trees, each leaf
        divided by their number (bagging's variance cut, read as fast as one model per tree)."""
        k = len(models)
        return cls(sum(m.baseline for m in models) / k,
                   tuple({**t, "value": np.asarray(t["value"], dtype=np.float64) / k} for m in models for t in m.trees))

    def to_json(self) -> dict[str, Any]:
        return {"kind": "trees", "baseline": self.baseline,
                "trees": [{k: t[k].tolist() for k in NODE_FIELDS} for t in self.trees]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trees:
        return cls(float(data["baseline"]),
                   tuple({k: np.array(t[k], dtype=d) for k, d in NODE_FIELDS.items()} for t in data["trees"]))


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the confidence model's probability: ``sigmoid(slope * logit(p) + intercept)``.

    The confidence model learns right answers against unanswerable questions only, so its
    probability is not how often an answer given with it is right; this maps it onto that, as
    measured on question sets the models never learned from. The slope is positive, so the
    order of confidences is kept; every decision reads the model's own probability."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, p: float) -> float:
        return float(self.apply(np.array([p]))[0])

    def apply(self, p: np.ndarray) -> np.ndarray:
        """Every probability of ``p`` mapped at once."""
        return _sigmoid(self.slope * log_odds(p) + self.intercept)

    def to_json(self) -> dict[str, float]:
        return {"slope": self.slope, "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Calibration:
        if not data:
            return cls()
        if float(data["slope"]) <= 0:
            raise ModelError("the confidence calibration must keep the order of confidences (slope > 0)")
        return cls(float(data["slope"]), float(data["intercept"]))


EVIDENCE = ("score", "share", "margin", "candidates", "pinned_context", "pinned_here",
            "dense", "sentence_fused", "cover", "cover_near", "cover_counted", "other_year", "other_level",
            "holds_kind", "fixed_place", "cover_passage", "cover_retrieved", "missing_rare",
            "missing_counted", "assoc")
# what the confidence model reads: the question-level evidence, then every feature of the chosen unit
CONFIDENCE_FEATURES = EVIDENCE + tuple(f"chosen:{name}" for name in NAMES)


@dataclass(frozen=True)
class Selector:
    """Scores candidates; says how likely the best one answers; knows when to abstain."""

    model: Linear
    confidence_model: Trees
    threshold: float  # abstain below this probability of the confidence model (before calibration)
    prefer_shorter: float  # a shorter candidate within this share of the best probability is taken
    meta: dict[str, Any]
    calibration: Calibration = Calibration()  # what an answer reports (decisions read the model's probability)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Each candidate's linear score (higher is better)."""
        if not len(x):
            return np.zeros(0)
        return self.model.logit(x.astype(np.float64))

    def confidence(self, x: np.ndarray, scores: np.ndarray, best: int) -> float:
        """The confidence model's probability that the candidate ``best`` answers the question (what the
        engine decides on; an answer reports it through :meth:`reported`)."""
        row = confidence_row(x, scores, best)
        return float(self.confidence_model.probability(row)[0])

    def reported(self, confidence: float) -> float:
        """How often an answer given with ``confidence`` is right (:class:`Calibration`)."""
        return self.calibration(confidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(NAMES),
            "model": self.model.to_json(),
            "confidence": {"features": list(CONFIDENCE_FEATURES), **self.confidence_model.to_json()},
            "threshold": self.threshold,
            "prefer_shorter": self.prefer_shorter,
            "meta": self.meta,
            **({"calibration": self.calibration.to_json()} if self.calibration != Calibration() else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selector:
        if data.get("features") != list(NAMES):
            raise ModelError("the selector model was trained on other features: run `make train`")
        if data["confidence"].get("kind") != "trees" or list(data["confidence"]["features"]) != list(CONFIDENCE_FEATURES):
            raise ModelError("the confidence model was trained on other features: run `make train`")
        return cls(
            Linear.from_json(data["model"]),
            Trees.from_json(data["confidence"]),
            float(data["threshold"]),
            float(data.get("prefer_shorter", 1.0)),
            dict(data.get("meta", {})),
            Calibration.from_json(data.get("calibration")),
        )


def softmax(scores: np.ndarray) -> np.ndarray:
    """The candidates' share of the question: softmax of their scores."""
    e = np.exp(scores - scores.max())
    return e / e.sum()


def confidence_row(x: np.ndarray, scores: np.ndarray, best: int) -> np.ndarray:
    """The question-level evidence (the chosen candidate's score and share, its lead over the
    next, how many candidates there were, and what it holds of what the question pins), then the
    chosen candidate's features."""
    share = softmax(scores)
    rest = np.delete(share, best)
    f = x[best]
    return np.array([
        scores[best], share[best], share[best] - (rest.max() if len(rest) else 0.0), math.log(len(scores)),
        f[INDEX["pinned_context"]], f[INDEX["pinned_here"]], f[INDEX["dense"]],
        f[INDEX["sentence_fused"]], f[INDEX["cover"]], f[INDEX["cover_near"]], f[INDEX["cover_counted"]],
        f[INDEX["other_year"]], f[INDEX["other_level"]], float(f[KIND_COLUMNS].max()) if KIND_COLUMNS else 0.0,
        max(f[INDEX["date:effect"]], f[INDEX["date:issue"]], f[INDEX["general:label"]], f[INDEX["figure:label"]],
            f[INDEX["date:label"]]),
        f[INDEX["cover_passage"]], f[INDEX["cover_retrieved"]], f[INDEX["missing_rare"]], f[INDEX["missing_counted"]],
        f[INDEX["assoc"]],
        *f.astype(np.float64),
    ], dtype=np.float64)


# What the chosen sentence holds of what its question's kind asks for (only that kind's columns are set).
KIND_COLUMNS = [i for name, i in INDEX.items() if ":" in name and not name.endswith(":label")]


def choose(scores: np.ndarray, lengths: np.ndarray, prefer_shorter: float) -> int:
    """The best candidate, or the shortest whose share is at least ``prefer_shorter`` of the best's."""
    share = softmax(scores)
    best = int(np.argmax(share))
    close = np.flatnonzero(share >= prefer_shorter * share[best])
    return int(close[np.argmin(lengths[close])])


@cache
def load(path: Path = MODEL_PATH) -> Selector:
    """The committed model (read once per process)."""
    if not path.is_file():
        raise ModelError(f"{path}: no selector model; run `make train`")
    return Selector.from_json(json.loads(path.read_text(encoding="utf-8")))


def log_odds(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))``, with ``p`` kept off 0 and 1."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(q / (1 - q))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


