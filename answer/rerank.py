"""A second look at the selector's best anchors, learned from the engine's own answers.

The selector scores anchors one by one, and its label is the anchor whose own unit shows the
answer. What the user reads is more: the unit the anchor expands to (its list items, its
clause), a second quote for a second part of the question. The reranker is trained (``make
train``) on the question sets others wrote over ``corpus/`` and on UIT's regulation and
Wikipedia questions over their own contexts: for each of the selector's best :data:`TOP`
anchors, the engine renders the answer it would give with that anchor, and the label is whether
that answer holds every fact (UIT: the gold span). Gradient-boosted trees read the anchor's
features with its score, share and rank among the question's anchors, and whether it is the
selector's choice or the one the ``list`` rule prefers; the anchor they rate most likely to
answer is quoted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from answer.analysis import QuestionAnalysis
from answer.candidates import Candidate, Shape
from answer.checks import quote_shows_figure
from answer.expand import expand
from answer.features import NAMES
from answer.selector import ModelError, Trees, softmax

MODEL_PATH = Path(__file__).with_name("rerank.json")

TOP = 10  # the selector's best anchors looked at again
REACH = 3.0  # how far behind the selector's best (in its log-odds) an anchor may be and still be quoted
QUESTION = ("score", "share", "rank", "behind", "chosen", "listed", "candidates")
# what the user would read with the anchor quoted: the unit it expands to (its list, its clause, its neighbour)
UNIT = ("unit_cover", "unit_gain", "unit_chars", "unit_shown", "unit_segments", *(f"unit_{s.value}" for s in Shape))
FEATURES = QUESTION + tuple(f"anchor:{name}" for name in NAMES) + UNIT


def looked_at(scores: np.ndarray, chosen: int, listed: int) -> list[int]:
    """The anchors the reranker rates: the selector's best :data:`TOP`, its choice and the list rule's."""
    order = np.argsort(-scores, kind="stable")[:TOP].tolist()
    return list(dict.fromkeys([*order, chosen, listed]))


def unit_rows(q: QuestionAnalysis, candidates: Sequence[Candidate], units: list[Candidate],
              cover: Callable[[Candidate], float], anchors: Sequence[int]) -> np.ndarray:
    """One row of :data:`UNIT` per anchor: the share of the question's weight the unit it expands to
    covers, and what it adds to the anchor's; its length, parts and shape; whether it shows what a
    figure or date question needs (else quoting it abstains)."""
    out = np.zeros((len(anchors), len(UNIT)))
    for j, i in enumerate(anchors):
        unit = expand(q, candidates[i], units, cover)
        covered = cover(unit)
        out[j] = [covered, covered - cover(candidates[i]), math.log(len(unit.evidence) + 1),
                  float(quote_shows_figure(q, [unit])), math.log(len(unit.segments)),
                  *(float(unit.shape == s) for s in Shape)]
    return out


def rows(x: np.ndarray, scores: np.ndarray, anchors: Sequence[int], chosen: int, listed: int,
         shown: np.ndarray) -> np.ndarray:
    """One row of :data:`FEATURES` per anchor in ``anchors`` (``shown``: their :func:`unit_rows`)."""
    share = softmax(scores)
    rank = np.empty(len(scores))
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    top = scores.max()
    return np.array([
        [scores[i], share[i], rank[i], top - scores[i], float(i == chosen), float(i == listed),
         math.log(len(scores)), *x[i].astype(np.float64), *shown[j]]
        for j, i in enumerate(anchors)
    ], dtype=np.float64)


def pick(model: Trees, x: np.ndarray, scores: np.ndarray, chosen: int, listed: int,
         shown: Callable[[Sequence[int]], np.ndarray]) -> int:
    """The anchor the reranker rates most likely to be answered by (the first on a tie), among
    those within :data:`REACH` of the selector's best and the two choices before it: the trees
    reorder close calls, they do not overturn a clear one (on the held-out sets' stored renders the
    reach changes nothing from 3 up, +95 net against +94 without it; without it a sentence 6.7
    behind, without the asked index, was quoted for "Chỉ số CCHC năm 2019 … đạt bao nhiêu?" once)."""
    anchors = within_reach(scores, looked_at(scores, chosen, listed), chosen, listed)
    p = model.logit(rows(x, scores, anchors, chosen, listed, shown(anchors)))
    return anchors[int(np.argmax(p))]


def within_reach(scores: np.ndarray, anchors: Sequence[int], chosen: int, listed: int) -> list[int]:
    """The ``anchors`` the reranker may quote: within :data:`REACH` of the selector's best, or one
    of the two choices before it."""
    top = scores.max()
    return [i for i in anchors if top - scores[i] <= REACH or i in (chosen, listed)]


def to_json(model: Trees, meta: dict) -> dict:
    return {"features": list(FEATURES), **model.to_json(), "meta": meta}


@cache
def load(path: Path = MODEL_PATH) -> Trees:
    """The committed reranker (read once per process)."""
    if not path.is_file():
        raise ModelError(f"{path}: no reranker model; run `make train`")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("kind") != "trees" or data.get("features") != list(FEATURES):
        raise ModelError("the reranker was trained on other features: run `make train`")
    return Trees.from_json(data)
