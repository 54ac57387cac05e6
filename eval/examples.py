"""Labelled (question, candidates) examples for training and judging the answer selector.

Each question goes through the same stages as ``Engine.ask`` (analyse, search, gather,
featurise); a candidate is labelled positive when what it shows holds the gold answer: the
UIT span, every fact of a question-set item, or the ALQAC essay answer. A question whose
document is withheld from the search (``withheld=True``) becomes an unanswerable near miss:
the same topic, without the passage that answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer.analysis import analyse
from answer.candidates import K_PASSAGES, K_SENTENCES, Candidate, gather
from answer.checks import admissible
from answer.features import featurise
from eval import datasets
from eval.scoring import Question, load_questions
from index.retriever import Retriever
from ingest.vietnamese import match_key

log = logging.getLogger(__name__)

Label = Callable[[Candidate], float]  # the share of the gold answer a unit shows


@dataclass
class Example:
    """One question: its candidates' features and labels, and how it is grouped for cross-validation."""

    source: str
    qid: str
    group: str  # the document it is about: folds never split a document
    kind: str  # the analysed answer kind
    answerable: bool
    features: np.ndarray
    labels: np.ndarray  # bool per anchor: the sentence to choose (see :func:`anchor_labels`)
    lengths: np.ndarray  # characters each anchor shows
    withheld: bool = False  # its answering document was left out of the search
    holds: np.ndarray | None = None  # bool per anchor: it shows the whole answer
    question: str = ""
    texts: tuple[str, ...] = ()  # what each anchor shows


def holds_all(needles: Iterable[str]) -> Label:
    """A label: the share of needles the candidate shows (``match_key``: case, NFC, tones, separators)."""
    keys = [match_key(n) for n in needles if n.strip()]

    def label(c: Candidate) -> float:
        shown = match_key(c.evidence)
        return sum(k in shown for k in keys) / len(keys) if keys else 0.0

    return label


def build(
    source: str, retriever: Retriever, qid: str, question: str, label: Label | None, group: str | None = None,
    exclude: set[str] | None = None,
) -> Example | None:
    """Run one question through the answering stages and label its candidates."""
    q = analyse(question, retriever.documents)
    docs = set(q.documents) or None
    if exclude:
        docs = (docs or set(retriever.documents)) - exclude
    retrieval = retriever.search(q.focus, k=K_PASSAGES, k_sentences=K_SENTENCES, doc_ids=docs)
    if not retrieval.hits:
        return None
    units = [u for u in gather(q, retrieval.hits, retriever) if admissible(q, u, retriever)]
    anchors = [c for c in units if c.anchor]
    if not anchors:
        return None
    x = featurise(q, anchors, retrieval, retriever)
    shares = np.array([label(c) if label else 0.0 for c in units])
    y, holds = anchor_labels(units, anchors, shares)
    lengths = np.array([len(c.evidence) for c in anchors], dtype=np.int32)
    if group is None:
        positive = next((c for c, s in zip(units, shares) if s == 1.0), None)
        group = (positive or anchors[0]).hit.passage.doc_id
    return Example(source, qid, group, q.kind.value, label is not None, x, y, lengths, bool(exclude), holds,
                   question, tuple(c.evidence for c in anchors))


def anchor_labels(units: list[Candidate], anchors: list[Candidate], shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which anchors to choose: those that show the whole answer with no smaller anchor inside
    them that does; else, when the answer spans a unit (a list, two sentences), its anchors
    that show the most of it. Also returns which anchors show the whole answer."""
    share = {id(u): s for u, s in zip(units, shares)}
    whole = np.array([share[id(a)] == 1.0 for a in anchors])
    if whole.any():
        y = whole.copy()
        for i in np.flatnonzero(whole):
            if any(j != i and len(anchors[j].evidence) < len(anchors[i].evidence)
                   and _inside(anchors[j].segments, anchors[i].segments) for j in np.flatnonzero(whole)):
                y[i] = False
        return y, whole
    full_units = [u for u, s in zip(units, shares) if s == 1.0]
    inside = np.array([any(_inside(a.segments, u.segments) for u in full_units) for a in anchors])
    part = np.array([share[id(a)] for a in anchors]) * inside
    return (part == part.max()) & (part > 0), whole


def _inside(inner: tuple, outer: tuple) -> bool:
    return all(any(a.row == b.row and b.start <= a.start and a.end <= b.end for b in outer) for a in inner)


def question_set(retriever: Retriever, path: Path, source: str, withhold: bool = False) -> list[Example]:
    """A project question file over the corpus index (refs must also be shown by the unit)."""
    out = []
    for item in load_questions(path):
        ex = build(source, retriever, item.id, item.question, item_label(item) if item.answerable else None)
        if ex is None:
            continue
        out.append(ex)
        if withhold and item.answerable and ex.labels.any():
            near = build(source, retriever, f"{item.id}-withheld", item.question, None, ex.group, {ex.group})
            if near is not None:
                out.append(near)
    return out


def item_label(item: Question) -> Label:
    """A question-set item's label: the share of its facts a unit shows (0 unless it also shows every ref)."""
    facts = holds_all(item.facts)
    refs = [match_key(r) for r in item.refs]

    def label(c: Candidate) -> float:
        share = facts(c)
        p = c.hit.passage
        shown = match_key(" ".join([c.evidence, p.section, p.article or "", p.document]))
        return share if all(r in shown for r in refs) else 0.0

    return label if item.facts else holds_all(item.refs)


def uit(cache: Path, file: Path, source: str, withhold: bool = True) -> list[Example]:
    """UIT regulation (or Wikipedia) questions over an index of their contexts."""
    passages = datasets.uit_passages(None, file)
    retriever, _ = datasets.build_retriever(passages, cache, source)
    by_id = {p.id: p.doc_id for p in passages}
    out = []
    for n, item in enumerate(datasets.uit_questions(None, file), 1):
        if n % 100 == 0:
            log.info("%s: %d questions", source, n)
        group = by_id[item.context_id]
        ex = build(source, retriever, item.id, item.question, holds_all([item.answer]), group)
        if ex is not None:
            out.append(ex)
        if withhold:
            near = build(source, retriever, f"{item.id}-withheld", item.question, None, group, {group})
            if near is not None:
                out.append(near)
    return out


def alqac(cache: Path) -> list[Example]:
    """ALQAC essay and multiple-choice questions whose answer text is written in the gold article."""
    passages = datasets.alqac_passages()
    retriever, _ = datasets.build_retriever(passages, cache, "alqac")
    articles = {datasets.alqac_key(p): match_key(p.text) for p in passages}
    out = []
    for item in datasets.alqac_questions():
        gold = item.gold_answer_text
        if gold is None or not any(match_key(gold) in articles.get(ref, "") for ref in item.gold):
            continue
        group = item.gold[0].law_id
        ex = build("alqac", retriever, item.id, item.question, holds_all([gold]), group)
        if ex is not None:
            out.append(ex)
    return out
