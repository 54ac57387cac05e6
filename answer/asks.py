"""A question that asks two things gets a second quote when the first does not hold the second.

"Nghị định … ban hành ngày nào, có hiệu lực từ ngày nào?" is answered by two places of a
document; "… báo trước bao lâu, và ra quyết định trước bao lâu?" by two clauses of an article.
The chosen unit answers the question as a whole. A part that asks what a fixed place of the
unit's document holds (who signed it; when a document the question names was issued, or from
when it applies) is answered by that place. Otherwise, a part of the question
(:attr:`QuestionAnalysis.asks`) that asks for a date, a figure or a document number is settled
when the unit already shows as many of those (what the answer marks) as the question has such
parts; any other part is open, and of two parts asking the same kind the one the unit covers
least is looked at first. For an open part, the other sentences of the same document among the
selector's best eight are looked at: for a date, figure or number, those that cover at least half
of the part's words and show one the unit does not; for any other part, those that cover its words
clearly better than the unit. The one covering most is quoted too. When no part is found open
that way, the selector itself judges (:func:`by_selector`): each part is scored as a question of
its own, and a part whose best anchor clearly outscores the unit is answered by that anchor.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from answer import rules
from answer.analysis import AnswerKind, QuestionAnalysis
from answer.candidates import Candidate, is_title
from answer.features import coverage, featurise
from answer.render import highlights
from answer.selector import Selector
from index.lexical import tokenize
from index.retriever import Retrieval, Retriever

MARKED = (AnswerKind.DATE, AnswerKind.FIGURE, AnswerKind.REFERENCE)  # what :func:`highlights` marks
TOP = 8  # the selector's best anchors looked at
GAIN = 0.25  # how much more of the open part's words the second quote must cover than the first
ENOUGH = 0.5  # and at least this share of them
COUNTED_NEAR = 30  # characters after a figure in which the counted word must follow
MARGIN = 1.0  # how far (in the selector's log-odds) a part's best anchor must lead the unit's own


def _items(part: QuestionAnalysis, text: str) -> set[str]:
    """What an answer to ``part`` would mark in ``text`` (dates, figures, numbers), normalised; a
    figure asked as "bao nhiêu hồ sơ" only where "hồ sơ" follows it."""
    lowered = text.lower()
    spans = highlights(part, text)
    if part.kind == AnswerKind.FIGURE and part.unit is None and part.counted:
        word = re.compile(rf"\b{re.escape(part.counted[0])}\b")
        spans = [(a, b) for a, b in spans if word.search(lowered[b : b + COUNTED_NEAR])]
    return {lowered[a:b].strip() for a, b in spans}


def second_unit(q: QuestionAnalysis, unit: Candidate, anchors: Sequence[Candidate], scores: np.ndarray,
                retriever: Retriever, retrieval: Retrieval | None = None,
                selector: Selector | None = None) -> Candidate | None:
    """The anchor to quote beside ``unit`` for a part of ``q`` it leaves open, if any: by the
    parts' words and marked items, else (given ``retrieval`` and ``selector``) by :func:`by_selector`."""
    if len(q.asks) < 2 or not rules.on("two-asks"):
        return None
    place = _fixed_place(q, unit, anchors)
    if place is not None:
        return place
    others = [anchors[i] for i in np.argsort(-scores, kind="stable")[:TOP]]
    others = [c for c in others if beside(unit, c)]
    wanted = Counter((p.kind, p.unit) for p in q.asks if p.kind in MARKED)
    covers = [coverage(part, retriever) for part in q.asks]
    # the part the unit covers least first: of two parts asking the same kind, it is the open one
    for part, cover in sorted(zip(q.asks, covers), key=lambda pc: pc[1](unit)):
        marked = part.kind in MARKED
        have = _items(part, unit.evidence) if marked else set()
        if marked and len(have) >= wanted[(part.kind, part.unit)]:
            continue
        # a part asking for a date, figure or number the unit lacks is open whatever the unit's words
        floor = ENOUGH if marked else max(ENOUGH, cover(unit) + GAIN)
        fits = [c for c in others if cover(c) >= floor and (not marked or _items(part, c.evidence) - have)]
        if fits:
            return max(fits, key=cover)
    if retrieval is not None and selector is not None:
        return by_selector(q, unit, anchors, retrieval, retriever, selector)
    return None


def beside(unit: Candidate, c: Candidate) -> bool:
    """``c`` may be quoted beside ``unit``: the same document, no sentence in common, not a title."""
    return c.hit.passage.doc_id == unit.hit.passage.doc_id and not set(unit.sentences) & set(c.sentences) \
        and not is_title(c)


def _fixed_place(q: QuestionAnalysis, unit: Candidate, anchors: Sequence[Candidate]) -> Candidate | None:
    """The place of the unit's document that holds what a part asks of the document itself: its
    signature block (who signed), and, when the question names that document, its date line (when
    it was issued) or its effect clause (from when it applies)."""
    doc = unit.hit.passage.doc_id
    asked: list[str] = []
    if rules.on("signer") and any(p.asks_signer for p in q.asks):
        asked.append("signer")
    if rules.on("fixed-places") and doc in q.documents:
        asked += [flag for flag, attr in (("issue", "asks_issue"), ("effect", "asks_effect"))
                  if any(getattr(p, attr) for p in q.asks)]
    quoted = set(unit.sentences)
    for flag in asked:
        if flag in unit.flags:
            continue
        place = next((c for c in anchors if flag in c.flags and c.hit.passage.doc_id == doc), None)
        if place is not None and not quoted & set(place.sentences):
            return place
    return None


def by_selector(q: QuestionAnalysis, unit: Candidate, anchors: Sequence[Candidate], retrieval: Retrieval,
                retriever: Retriever, selector: Selector) -> Candidate | None:
    """The anchor the selector would choose for a part of ``q`` the unit leaves open, if any.

    Each part is scored as a question of its own (its words, its kind; the sentences' dense
    similarity stays the whole question's). A part is open when the best anchor of the unit's
    document outscores the unit's own sentences by :data:`MARGIN`; of several open parts, the
    one with the widest lead is answered.
    """
    quoted = set(unit.sentences)
    own = [i for i, c in enumerate(anchors) if set(c.sentences) <= quoted]
    others = [i for i, c in enumerate(anchors) if beside(unit, c)]
    if len(q.asks) < 2 or not own or not others:
        return None
    lead, chosen = MARGIN, None
    for part in q.asks:
        lexical = retriever.sentences.bm25.scores(tokenize(part.focus))
        scored = Retrieval(retrieval.hits, retrieval.sentence_dense, lexical, retrieval.query_vector)
        s = selector.scores(featurise(part, list(anchors), scored, retriever))
        best = max(others, key=lambda i: s[i])
        gap = float(s[best] - max(s[i] for i in own))
        if gap > lead:
            lead, chosen = gap, anchors[best]
    return chosen
