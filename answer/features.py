"""Features of (question, sentence) pairs: what the selector learns from.

The selector ranks anchors: single sentences, and runs of clauses of long ones. Features are
generic measures: dense and lexical similarity of the sentence, of what frames it (an item's
lead-in, the sentence before, its article title) and of its passage; the passage's rank; how
much of what the question pins the sentence's context holds; and whether the sentence holds
what the question's kind asks for (a figure with the asked unit, a date, a document number);
and ``assoc``, how strongly the sentence's words are associated with the question's words in
questions answered before (:mod:`answer.associations`, learned by ``make train``). The same
function serves training and answering.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from answer import associations
from answer import lexicon as lx
from answer.analysis import AnswerKind, QuestionAnalysis
from answer.candidates import Candidate, Shape, is_title
from answer.checks import other_level, other_year, pinned_here, pinned_share
from index.lexical import normalise, tokenize
from index.retriever import Retrieval, Retriever

RRF_K = 10  # rank fusion over the candidates (tens of sentences)

BASE = (
    "dense", "dense_rel", "dense_context", "passage_dense", "passage_dense_rel", "passage_lexical_rel",
    "rank_inv", "sentence_lexical_rel", "sentence_fused",
    "cover", "cover_bigram", "cover_rel", "cover_near", "cover_title", "cover_counted", "cover_aspect", "novel",
    "cover_passage", "cover_retrieved", "missing_rare", "missing_counted", "assoc",
    "pinned", "pinned_here", "pinned_context", "other_year", "other_level",
    "length_log", "window", "first", "heading_like", "title", "leadin", "preamble", "item",
    "number", "footnote",
)
# What a sentence holds, weighed for the kinds of question that ask for it.
KIND_HOLDS: tuple[tuple[AnswerKind, str], ...] = (
    (AnswerKind.FIGURE, "number"), (AnswerKind.FIGURE, "unit"), (AnswerKind.FIGURE, "counted"),
    (AnswerKind.FIGURE, "percent"), (AnswerKind.FIGURE, "duration"),
    (AnswerKind.DATE, "date"), (AnswerKind.DATE, "duration"), (AnswerKind.DATE, "effect"), (AnswerKind.DATE, "issue"),
    (AnswerKind.REFERENCE, "docnum"), (AnswerKind.REFERENCE, "footnote"),
    (AnswerKind.LIST, "leadin"), (AnswerKind.LIST, "item"),
    (AnswerKind.AGENT, "agent"), (AnswerKind.DEFINITION, "defines"),
    (AnswerKind.GENERAL, "label"), (AnswerKind.FIGURE, "label"), (AnswerKind.DATE, "label"),
)
NAMES: tuple[str, ...] = (*BASE, *(f"{k.value}:{h}" for k, h in KIND_HOLDS))
INDEX = {name: i for i, name in enumerate(NAMES)}


@dataclass
class _Question:
    """Per-question values shared by its candidates."""

    weights: dict[str, float]
    single: tuple[tuple[str, float], ...]  # the weighted words, then the word pairs (in ``weights``' order)
    paired: tuple[tuple[str, float], ...]
    unigrams: float
    bigrams: float
    counted: tuple[str, ...]
    rare: dict[str, float]  # the question's rarer words (IDF above the median of its words)
    top: float  # the highest IDF of its words


def _weights(q: QuestionAnalysis, retriever: Retriever) -> _Question:
    bm25 = retriever.bm25
    default = math.log(1 + max(bm25.n_docs, 1))
    weights = {t: bm25.idf.get(t, default) for t in q.content}
    uni = sum(w for t, w in weights.items() if "_" not in t) or 1.0
    bi = sum(w for t, w in weights.items() if "_" in t) or 1.0
    counted = tuple(w for w in q.counted if w.upper() not in lx.GENERIC_ACRONYMS)
    words = {t: w for t, w in weights.items() if "_" not in t and not t.isdigit()}
    middle = float(np.median(list(words.values()))) if words else 0.0
    rare = {t: w for t, w in words.items() if w > middle}
    single = tuple((t, w) for t, w in weights.items() if "_" not in t)
    paired = tuple((t, w) for t, w in weights.items() if "_" in t)
    return _Question(weights, single, paired, uni, bi, counted, rare, max(words.values(), default=1.0))


def _cover(qw: _Question, tokens: set[str] | frozenset[str]) -> tuple[float, float]:
    uni = sum(w for t, w in qw.single if t in tokens)
    bi = sum(w for t, w in qw.paired if t in tokens)
    return uni / qw.unigrams, bi / qw.bigrams


def _share(words: Sequence[str], tokens: set[str] | frozenset[str]) -> float:
    return sum(w in tokens for w in words) / len(words) if words else 0.0


def coverage(q: QuestionAnalysis, retriever: Retriever) -> Callable[[Candidate], float]:
    """A unit's share of the question's (IDF-weighted) words (computed when first asked)."""
    qw = _weights(q, retriever)
    memo: dict[tuple, float] = {}

    def cover(unit: Candidate) -> float:
        if unit.key not in memo:
            memo[unit.key] = _cover(qw, token_set(unit.evidence))[0]
        return memo[unit.key]

    return cover


def featurise(
    q: QuestionAnalysis, anchors: list[Candidate], retrieval: Retrieval, retriever: Retriever
) -> np.ndarray:
    """One row of :data:`NAMES` features per anchor."""
    out = np.zeros((len(anchors), len(NAMES)), dtype=np.float32)
    if not anchors:
        return out
    qw = _weights(q, retriever)
    index = retriever.sentences
    s_dense, s_lex = retrieval.sentence_dense, retrieval.sentence_lexical
    best_passage_dense = max(h.dense for h in retrieval.hits)
    best_passage_lex = max(max(h.lexical for h in retrieval.hits), 1e-6)
    rows_used = sorted({c.segments[0].sentence for c in anchors})
    best_sentence_lex = max(float(s_lex[rows_used].max()), 1e-6)
    # ranks among the candidates' own sentences, not the whole index: a library's size must not
    # move the feature (ranks over every sentence pushed a large corpus out of the training range)
    dense_rank, lexical_rank = _ranks(s_dense[rows_used]), _ranks(s_lex[rows_used])
    fused = dict(zip(rows_used, (RRF_K / (RRF_K + dense_rank + 1) + RRF_K / (RRF_K + lexical_rank + 1)) / 2))
    passages: dict[int, tuple[frozenset[str], float, float, float]] = {}
    kinds = [(INDEX[f"{k.value}:{h}"], h) for k, h in KIND_HOLDS if k == q.kind]
    rows_hit = [r for r in (retriever.position(h.passage.id) for h in retrieval.hits) if r is not None]
    retrieved = frozenset().union(*(retriever.passage_tokens(r) for r in rows_hit)) if rows_hit else frozenset()
    out[:, INDEX["cover_retrieved"]] = _cover(qw, retrieved)[0]  # the same for all: read by the confidence model

    for i, c in enumerate(anchors):
        f = out[i]
        srow = c.segments[0].sentence
        row = c.segments[0].row
        f[INDEX["dense"]] = s_dense[srow]
        f[INDEX["dense_context"]] = s_dense[c.context] if c.context is not None else 0.0
        f[INDEX["passage_dense"]] = c.hit.dense
        f[INDEX["passage_dense_rel"]] = c.hit.dense - best_passage_dense
        f[INDEX["passage_lexical_rel"]] = c.hit.lexical / best_passage_lex
        f[INDEX["rank_inv"]] = 1.0 / (1 + c.rank)
        f[INDEX["sentence_lexical_rel"]] = s_lex[srow] / best_sentence_lex
        f[INDEX["sentence_fused"]] = fused[srow]

        tokens = token_set(c.evidence) if c.shape == Shape.WINDOW else index.token_set(srow)
        if row not in passages:
            title_tokens, pinned_context = _passage_context(q, retriever, row)
            passages[row] = (title_tokens, pinned_context, _cover(qw, retriever.passage_tokens(row) | title_tokens)[0],
                             _cover(qw, title_tokens)[0])
        title_tokens, pinned_context, cover_passage, cover_title = passages[row]
        context_tokens = index.token_set(c.context) if c.context is not None else frozenset()
        near = tokens | title_tokens | context_tokens
        uni, bi = _cover(qw, tokens)
        f[INDEX["cover"]] = uni
        f[INDEX["cover_bigram"]] = bi
        f[INDEX["cover_near"]] = _cover(qw, near)[0]
        f[INDEX["cover_passage"]] = cover_passage
        f[INDEX["cover_title"]] = cover_title
        key = normalise(c.evidence) if c.shape == Shape.WINDOW else index.search_key(srow)
        words = _words(key)
        f[INDEX["cover_counted"]] = _share(qw.counted, words | title_tokens | context_tokens)
        f[INDEX["cover_aspect"]] = _share(q.aspect, words)
        f[INDEX["missing_rare"]] = max((w for t, w in qw.rare.items() if t not in near), default=0.0) / qw.top
        f[INDEX["missing_counted"]] = float(bool(qw.counted) and not set(qw.counted) <= (words | near))
        plain = [t for t in tokens if "_" not in t]
        f[INDEX["novel"]] = sum(t not in q.content for t in plain) / max(len(plain), 1)

        # nothing pinned is nothing missing: a question's style is no evidence either way
        f[INDEX["pinned"]] = float(bool(q.pinned))
        f[INDEX["pinned_here"]] = pinned_here(q, key) if q.pinned else 1.0
        f[INDEX["pinned_context"]] = pinned_context
        f[INDEX["other_year"]] = float(other_year(q, key))
        f[INDEX["other_level"]] = float(other_level(q, f"{normalise(c.hit.passage.section)}\n{key}"))

        text = c.text.strip()
        f[INDEX["length_log"]] = math.log1p(len(c.evidence))
        f[INDEX["window"]] = float(c.shape == Shape.WINDOW)
        f[INDEX["first"]] = float(index.table.rows(row).start == srow)
        f[INDEX["heading_like"]] = float(_heading_like(index.sentence(srow).text.strip()))
        f[INDEX["title"]] = float(is_title(c))
        f[INDEX["leadin"]] = float(text.endswith(":"))
        f[INDEX["preamble"]] = float(c.hit.passage.section == "Mở đầu")
        f[INDEX["item"]] = float(bool(lx.ITEM.match(text)))
        holds = _holds(q, c, key)
        f[INDEX["number"]] = holds["number"]
        f[INDEX["footnote"]] = holds["footnote"]
        for col, name in kinds:
            f[col] = holds.get(name, float(f[INDEX[name]]) if name in INDEX else 0.0)

    out[:, INDEX["assoc"]] = associations.current().scores(q.text, [c.evidence for c in anchors])
    for name, rel in (("dense", "dense_rel"), ("cover", "cover_rel")):
        col = out[:, INDEX[name]]
        out[:, INDEX[rel]] = col - col.max()
    return out


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every entry by descending score."""
    order = np.argsort(-scores, kind="stable")
    out = np.empty(len(scores), dtype=np.float64)
    out[order] = np.arange(len(scores))
    return out


def _passage_context(q: QuestionAnalysis, retriever: Retriever, row: int) -> tuple[frozenset[str], float]:
    """A passage's title tokens (heading and section path) and the share of pinned terms its
    context holds."""
    p = retriever.passages[row]
    return frozenset(tokenize(f"{p.heading}\n{p.section}")), pinned_share(q, retriever, row)


@lru_cache(maxsize=50_000)
def _heading_like(text: str) -> bool:
    return (
        text.upper() == text
        or (len(text) < 120 and not text.endswith((".", ";", ":", "?", "!")))
        or bool(re.match(r"^(?:Điều \d+|Chương [IVXLC]+|[IVXLC]+\.)\s", text))
    )


@lru_cache(maxsize=8192)  # a corpus's sentences come back question after question
def token_set(text: str) -> frozenset[str]:
    """The lexical tokens of ``text`` (:func:`index.lexical.tokenize`)."""
    return frozenset(tokenize(text))


@lru_cache(maxsize=8192)
def _words(key: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", key))


@dataclass(frozen=True)
class _Shows:
    """What a (normalised) text shows whatever is asked: its numbers and the kinds of value it holds."""

    number_ends: tuple[int, ...]
    percent: bool
    date: bool
    duration: bool
    docnum: bool
    agent: bool


@lru_cache(maxsize=50_000)
def _shows(key: str) -> _Shows:
    return _Shows(tuple(m.end() for m in lx.NUMBER.finditer(key)), bool(lx.PERCENT.search(key)),
                  bool(lx.DATE.search(key)), bool(lx.DURATION.search(key)), bool(lx.DOC_NUMBER.search(key)),
                  bool(lx.AGENT.search(key)))


def _holds(q: QuestionAnalysis, c: Candidate, key: str) -> dict[str, float]:
    """What the sentence holds of what answers are made of."""
    shows = _shows(key)
    numbers = shows.number_ends
    holds = {
        "number": float(bool(numbers)),
        "percent": float(shows.percent),
        "date": float(shows.date),
        "duration": float(shows.duration),
        "docnum": float(shows.docnum),
        "footnote": float(bool(c.footnotes)),
        "agent": float(shows.agent),
        "effect": float("effect" in c.flags),
        "issue": float("issue" in c.flags),
        "label": float("label" in c.flags),
        "unit": 0.0,
        "counted": 0.0,
        "defines": 0.0,
    }
    if q.unit == "thời gian":
        holds["unit"] = holds["duration"]
    elif q.unit == "%":
        holds["unit"] = holds["percent"]
    elif q.unit:
        holds["unit"] = float(any(key[end : end + 12].lstrip().startswith(q.unit) for end in numbers))
    if q.counted and numbers:
        head = q.counted[0]
        holds["counted"] = float(any(head in key[end : end + 40] for end in numbers))
    if q.kind == AnswerKind.DEFINITION:
        m = lx.DEFINED_TERM.match(key.strip())
        term, asked = (" ".join(re.findall(r"\w+", t)) for t in (m.group(1) if m else "", q.key))
        # the very term asked: "vi phạm gây hậu quả nghiêm trọng", not "… rất nghiêm trọng" nor "hậu quả"
        holds["defines"] = float(bool(term) and f" {term} " in f" {asked} ")
    return holds
