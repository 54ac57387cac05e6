"""A second quote when the first may miss part of the answer, decided by a learned gate.

After the reranker has picked the anchor to quote, other units may hold what the first leaves
out, and each is proposed: the best other anchor of the same document (by the selector's score
among its best :data:`LOOK`, sharing no sentence with the quoted unit, not a title), where the
reranker and the selector disagree or the question asks two things the first answers one of; the
best anchor of another document (the first quote's document may be the wrong one); and the
sentences right after and right before the quoted one (an answer often runs on into its
neighbour). Gradient-boosted trees, trained by ``make train`` (``eval/train_second.py``) on the
engine's own answers to the question sets others wrote over ``corpus/``, estimate from the
question and the two units whether the first answer is wrong and the two together right; the
likeliest proposal at or above the threshold chosen out of fold is quoted too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from answer.analysis import AnswerKind, QuestionAnalysis
from answer.asks import beside
from answer.candidates import Candidate, is_title
from answer.expand import expand
from answer.selector import ModelError, Trees
from index.lexical import tokenize

MODEL_PATH = Path(__file__).with_name("second.json")
LOOK = 5  # the selector's best anchors (after the quoted one) looked at
FEATURES = ("confidence", "first_score", "behind", "second_score", "rank", "second_chars", "second_adds",
            "second_cover", "first_cover", "parts", "answer_chars", "cover_gain",
            *(f"kind_{k.value}" for k in AnswerKind), "other_document", "next_sentence",
            "previous_sentence")


@dataclass(frozen=True)
class Gate:
    """The trees and the probability above which the second unit is quoted."""

    trees: Trees
    threshold: float

    def to_json(self, meta: dict | None = None) -> dict:
        return {"features": list(FEATURES), "threshold": self.threshold, "trees": self.trees.to_json(),
                **({"meta": meta} if meta else {})}

    @classmethod
    def from_json(cls, data: dict) -> Gate:
        if data.get("features") != list(FEATURES):
            raise ModelError("the second-quote model was trained on other features: run `make train`")
        return cls(Trees.from_json(data["trees"]), float(data["threshold"]))


NEVER = Gate(Trees(0.0, ()), 2.0)  # never quotes a second unit: what `make train`'s first two steps see


@cache
def load(path: Path = MODEL_PATH) -> Gate | None:
    """The committed gate (None without a model file: no second quote is added)."""
    if not path.is_file():
        return None
    return Gate.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Proposal:
    """The unit that might be quoted second, and the gate's row for it."""

    unit: Candidate
    row: np.ndarray


def propose(q: QuestionAnalysis, unit: Candidate, quoted: int, candidates: Sequence[Candidate],
            units: Sequence[Candidate], scores: np.ndarray, cover: Callable[[Candidate], float],
            confidence: float, answer_chars: int) -> list[Proposal]:
    """What may be quoted beside ``unit``: the best other anchor of its document and the best anchor
    of another document among the selector's best :data:`LOOK`, and the sentences right after and
    right before it (each expanded as a second quote is), with their features."""
    ranked = [int(i) for i in np.argsort(-scores, kind="stable") if i != quoted]
    picks: list[int] = []
    for other_document in (False, True):
        best = next((i for i in ranked[:LOOK] if _quotable(unit, candidates[i], other_document)), None)
        if best is not None:
            picks.append(best)
    after, before = max(unit.sentences) + 1, min(unit.sentences) - 1
    for row in (after, before):
        near = next((i for i in ranked if candidates[i].sentences == (row,) and beside(unit, candidates[i])), None)
        if near is not None and near not in picks:
            picks.append(near)
    asked = set(tokenize(q.focus))
    first = set(tokenize(unit.evidence))
    share = max(1, len(asked))
    out: list[Proposal] = []
    for i in picks:
        wider = expand(q, candidates[i], list(units), cover)
        second = candidates[i] if set(wider.sentences) & set(unit.sentences) else wider
        other = set(tokenize(second.evidence))
        row = [confidence, scores[quoted], scores[quoted] - scores[i], scores[i], ranked.index(i),
               len(second.evidence) / 100, len((asked & other) - first) / share, len(asked & other) / share,
               len(asked & first) / share, len(q.asks), answer_chars / 100,
               (len(asked & other) - len(asked & first)) / share, *(float(q.kind == k) for k in AnswerKind),
               float(candidates[i].hit.passage.doc_id != unit.hit.passage.doc_id),
               float(candidates[i].sentences[0] == after), float(candidates[i].sentences[-1] == before)]
        out.append(Proposal(second, np.array(row, dtype=np.float64)))
    return out


def _quotable(unit: Candidate, c: Candidate, other_document: bool) -> bool:
    """``c`` may be proposed beside ``unit``: of the same document (:func:`beside`), or of another one and not a title."""
    if other_document:
        return c.hit.passage.doc_id != unit.hit.passage.doc_id and not is_title(c)
    return beside(unit, c)


def together(first: Candidate, other: Candidate) -> list[Candidate]:
    """Two units as they are quoted: in document order within one document, else the answer first."""
    if first.hit.passage.doc_id != other.hit.passage.doc_id:
        return [first, other]
    return sorted([first, other], key=lambda u: u.segments[0].sentence)


def wanted(gate: Gate | None, proposals: Sequence[Proposal]) -> Proposal | None:
    """The proposal the gate quotes too (the likeliest, at or above its threshold), if any."""
    if gate is None or not proposals:
        return None
    p = gate.trees.probability(np.array([proposal.row for proposal in proposals]))
    best = int(np.argmax(p))
    return proposals[best] if p[best] >= gate.threshold else None
