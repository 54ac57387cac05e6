"""The answering engine: question -> retrieved passages -> answer with checked citations.

One code path serves ``reformqa ask``, ``reformqa eval`` and the chat app.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from answer.citations import Citation, check_citations
from answer.constraints import (
    asked_aspect,
    asked_unit,
    conflicting_facets,
    has_figure_with_unit,
    measure_missing,
    missing_terms,
)
from answer.extractive import Candidate, compose, question_weights, score_sentences, sentence_footnotes
from answer.followup import rewrite_question
from answer.lookups import (
    asks_effect_date,
    asks_issue_date,
    effect_clauses,
    issue_date_line,
    labelled_sentences,
)
from answer.question import QuestionKind, classify_question
from answer.sentences import Sentence, split_sentences
from index.embeddings import DEFAULT_MODEL, embed_passages, embed_query
from index.lexical import normalise
from index.retriever import Retriever, ScoredPassage
from index.store import store_dir
from ingest.models import Passage
from ingest.passages import footnote_numbers
from ingest.vietnamese import strip_superscripts

log = logging.getLogger(__name__)

DEFAULT_K = 5
ABSTAIN_TEXT = "Không tìm thấy thông tin này trong tài liệu. Các đoạn gần nhất:"
# Calibrated on eval/questions.jsonl with the default model: below both, we abstain. The dense
# floor is on that model's cosine scale, so a user's own model (REFORMQA_EMBED_MODEL) skips it.
MIN_DENSE = 0.86
MIN_SENTENCE_SCORE = 0.55
# How many top sentences get their own embedding, and its weight (measured on the question set).
SENTENCE_RERANK = int(os.environ.get("REFORMQA_SENTENCE_RERANK", "6"))
# How far a sentence looked up in its fixed place (effect clause, header) leads the ranked ones.
LOOKUP_LEAD = 0.5
# A field the question names by its label ("thời hạn giải quyết") outranks loose matches.
FIELD_BONUS = 0.3
# How far down, and how far below the best score, a sentence naming the asked aspect may be.
ASPECT_LOOKAHEAD = 8
ASPECT_SLACK = 0.3
SENTENCE_DENSE_WEIGHT = float(os.environ.get("REFORMQA_SENTENCE_DENSE_WEIGHT", "1.0"))


class EmptyQuestionError(ValueError):
    """The question is empty."""


@dataclass
class Answer:
    """What an official reads: the answer, whether we abstained, and the sources."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float]
    nearest: list[ScoredPassage] = field(default_factory=list)
    kind: str = QuestionKind.GENERAL.value
    rewritten: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` object (field names are an interface)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


class Engine:
    """Holds a loaded :class:`Retriever`; ``ask`` is cheap after the first call."""

    def __init__(self, retriever: Retriever, generator: Any | None = None) -> None:
        self.retriever = retriever
        self.generator = generator

    @classmethod
    def from_store(cls, store: str | Path | None = None) -> Engine:
        from answer.generator import generator_from_env

        return cls(Retriever.load(store_dir(store)), generator_from_env())

    def documents(self) -> list[dict[str, Any]]:
        """The indexed documents (id, title, source, metadata), in title order."""
        return sorted(self.retriever.documents.values(), key=lambda d: d["title"])

    def ask(
        self,
        question: str,
        k: int = DEFAULT_K,
        documents: list[str] | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Answer:
        """Answer ``question`` from the index; abstain when the documents do not hold it."""
        if not question or not question.strip():
            raise EmptyQuestionError("Câu hỏi trống (the question is empty).")
        question = question.strip()
        effective = rewrite_question(question, history or [])
        t0 = time.perf_counter()
        focus = effective
        allowed = self.retriever.resolve_documents(documents)
        if allowed is None:
            scope = self.retriever.scope(effective)
            if scope.doc_ids:
                allowed, focus = set(scope.doc_ids), scope.question
        hits = self.retriever.retrieve(focus, k=max(k, DEFAULT_K), doc_ids=allowed)
        t1 = time.perf_counter()
        kind = classify_question(effective)
        # where a document's fixed places (effect clause, header, labelled fields) are looked up
        doc_ids = allowed if allowed else {h.passage.doc_id for h in hits[:1]}
        answer = self._answer(focus, kind, hits, doc_ids)
        t2 = time.perf_counter()
        answer.question = question
        answer.rewritten = effective if effective != question else None
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return answer

    def _answer(
        self, question: str, kind: QuestionKind, hits: list[ScoredPassage], doc_ids: set[str] | None = None
    ) -> Answer:
        if not hits:
            return Answer(question, ABSTAIN_TEXT, True, [], {}, [], kind.value)
        fields = labelled_sentences(question, self.retriever.document_passages(doc_ids or set()))
        if fields:
            known = {h.passage.id for h in hits}
            top = hits[0]
            extra = {p.id: p for p, _ in fields if p.id not in known}
            hits = hits + [ScoredPassage(p, top.score, top.dense, 0.0) for p in extra.values()]
        candidates = score_sentences(question, kind, hits, self.retriever.bm25)
        marked = {(p.id, i) for p, i in fields}
        for c in candidates:
            if (c.hit.passage.id, c.index) in marked:
                c.score += FIELD_BONUS
        candidates.sort(key=lambda c: -c.score)
        candidates = self._rerank(question, candidates)
        if kind == QuestionKind.DATE and asks_effect_date(question):
            candidates = self._effect_clause(doc_ids or set(), hits, candidates) + candidates
        elif kind == QuestionKind.DATE and asks_issue_date(question) and len(doc_ids or ()) == 1:
            found = issue_date_line(self.retriever.document_passages(doc_ids or set()))
            if found:
                candidates = [_ahead(found[0], found[1], -1, hits, candidates), *candidates]
        # Keep only sentences whose passage meets the question's hard constraints.
        viable = [
            c for c in candidates
            if not missing_terms(question, self._context(c.hit), self._neighbours(c.hit))
            and not conflicting_facets(question, _sentence_context(c), c.hit.passage.section)
        ]
        # The answering sentence must hold the figure's unit and speak of what is counted
        # ("bao nhiêu thí sinh trúng tuyển"); sentences quoted beside it need not.
        unit = asked_unit(question) if kind == QuestionKind.FIGURE else None
        best = next((c for c in viable if self._answers_measure(question, c, unit)), None)
        best = self._on_aspect(question, best, viable)
        if best is None or (best.hit.dense < self._min_dense() and best.score < MIN_SENTENCE_SCORE):
            return self._abstain(question, kind, hits)
        ordered = [best, *(c for c in viable if c is not best)]
        weights = question_weights(question, self.retriever.bm25)
        text, citations = compose(question, kind, ordered, self._next_passage, self._article, weights)
        if self.generator is not None:
            generated = self.generator.answer(question, citations)
            if generated and not check_citations(generated, citations):
                text = generated
        problems = check_citations(text, citations)
        if problems:
            raise AssertionError(f"citation check failed: {problems}")
        return Answer(question, text, False, citations, {}, hits, kind.value)

    def _min_dense(self) -> float:
        """The dense floor was calibrated on the default model's scale; other models skip it."""
        return MIN_DENSE if self.retriever.data.model == DEFAULT_MODEL else float("-inf")

    def _on_aspect(self, question: str, best: Candidate | None, viable: list[Candidate]) -> Candidate | None:
        """For "điều kiện về độ tuổi như thế nào", a close sentence that names the aspect."""
        aspect = asked_aspect(question)
        if best is None or not aspect:
            return best
        bm25 = self.retriever.bm25
        key = max(aspect, key=lambda w: bm25.idf.get(w, 0.0))
        if key in set(re.findall(r"\w+", normalise(best.full_text))):
            return best
        for c in viable[:ASPECT_LOOKAHEAD]:
            if c.score >= best.score - ASPECT_SLACK and key in set(re.findall(r"\w+", normalise(c.full_text))):
                return c
        return best

    @staticmethod
    def _answers_measure(question: str, candidate: Candidate, unit: str | None) -> bool:
        context = _sentence_context(candidate)
        if unit and not has_figure_with_unit(context, unit):
            return False
        # an article's title counts ("Điều 6. Ưu tiên …"); a news item's headline does not
        last = candidate.hit.passage.section.split(" > ")[-1]
        title = last if candidate.hit.passage.article and len(last) <= 120 else ""
        return not measure_missing(question, f"{context}\n{candidate.full_text}\n{title}")

    def _rerank(self, question: str, candidates: list[Candidate]) -> list[Candidate]:
        """Re-score the best sentences with their own dense similarity to the question."""
        if SENTENCE_RERANK <= 0 or not candidates:
            return candidates
        head = candidates[:SENTENCE_RERANK]
        embedder = self.retriever.embedder
        q = embed_query(embedder, question)
        texts = [strip_superscripts(c.sentence.text) for c in head]
        vectors = embed_passages(embedder, texts)
        for c, sim in zip(head, vectors @ q):
            c.score += SENTENCE_DENSE_WEIGHT * (float(sim) - c.hit.dense)
        return sorted(head, key=lambda c: -c.score) + candidates[SENTENCE_RERANK:]

    def _effect_clause(
        self, doc_ids: set[str], hits: list[ScoredPassage], candidates: list[Candidate]
    ) -> list[Candidate]:
        """The document's own "… này có hiệu lực …" sentence, ahead of everything ranked."""
        found = effect_clauses(self.retriever.document_passages(doc_ids))
        if not found:
            return []
        titled = [f for f in found if "hiệu lực" in normalise(f"{f[0].heading} {f[0].section}")]
        passage, sentence, index = titled[0] if titled else found[-1]
        return [_ahead(passage, sentence, index, hits, candidates)]

    def _neighbours(self, hit: ScoredPassage) -> str:
        """The passages either side of ``hit`` in its document (a name said once nearby)."""
        i = self.retriever.position(hit.passage.id)
        if i is None:
            return ""
        near = self.retriever.passages[max(0, i - 1) : i + 2]
        return "\n".join(p.text for p in near if p.doc_id == hit.passage.doc_id)

    def _next_passage(self, hit: ScoredPassage) -> ScoredPassage | None:
        """The passage after ``hit`` if it continues the same article."""
        passages = self.retriever.passages
        i = self.retriever.position(hit.passage.id)
        if i is None or i + 1 >= len(passages):
            return None
        nxt = passages[i + 1]
        if nxt.doc_id != hit.passage.doc_id or nxt.article != hit.passage.article or not nxt.article:
            return None
        return ScoredPassage(nxt, hit.score, hit.dense, hit.lexical)

    def _context(self, hit: ScoredPassage) -> str:
        """What a passage can vouch for: its text, footnotes, section, and its document's metadata."""
        meta = self.retriever.documents.get(hit.passage.doc_id, {}).get("metadata", {})
        return "\n".join([_context(hit), *(str(v) for v in meta.values())])

    def _article(self, hit: ScoredPassage) -> list[ScoredPassage]:
        """All passages of the article ``hit`` belongs to, in document order."""
        p = hit.passage
        if not p.article:
            return [hit]
        return [
            ScoredPassage(q, hit.score, hit.dense, hit.lexical)
            for q in self.retriever.document_passages({p.doc_id})
            if q.article == p.article
        ]

    def _abstain(self, question: str, kind: QuestionKind, hits: list[ScoredPassage]) -> Answer:
        nearest = hits[:3]
        lines = [ABSTAIN_TEXT]
        for i, hit in enumerate(nearest, 1):
            where = hit.passage.article or hit.passage.section
            lines.append(f"[{i}] {hit.passage.document} — {where}")
        citations = [_nearest_citation(i, h) for i, h in enumerate(nearest, 1)]
        return Answer(question, "\n".join(lines), True, citations, {}, hits, kind.value)


def _nearest_citation(n: int, hit: ScoredPassage, limit: int = 300) -> Citation:
    """A passage shown after an abstention: its opening sentences (whole), their footnotes."""
    sentences = split_sentences(hit.passage.text)
    end = sentences[0].end if sentences else len(hit.passage.text)
    for s in sentences[1:]:
        if s.end > limit:
            break
        end = s.end
    quote = hit.passage.text[:end]
    defined = {f.number: f for f in hit.passage.footnotes}
    return Citation(
        n=n,
        document=hit.passage.document,
        source=hit.passage.source,
        section=hit.passage.section,
        article=hit.passage.article,
        quote=quote,
        footnotes=[defined[k] for k in footnote_numbers(quote, defined)],
        score=hit.score,
        passage_id=hit.passage.id,
        passage_text=hit.passage.text,
        quote_span=(0, end),
    )


def _ahead(
    passage: Passage, sentence: Sentence, index: int, hits: list[ScoredPassage], candidates: list[Candidate]
) -> Candidate:
    """A looked-up sentence as a candidate ranked above everything retrieval ranked."""
    top = max((c.score for c in candidates), default=1.0)
    hit = ScoredPassage(passage, hits[0].score, hits[0].dense, 0.0)
    return Candidate(hit, 0, sentence, index, top + LOOKUP_LEAD)


def _sentence_context(candidate: Candidate) -> str:
    notes = sentence_footnotes(candidate.sentence.text, candidate.hit)
    return "\n".join([candidate.sentence.text, *(n.text for n in notes)])


def _context(hit: ScoredPassage) -> str:
    p = hit.passage
    parts = [p.text, p.section, p.document, p.source.replace("-", " "), p.heading]
    parts += [f.text for f in p.footnotes]
    return "\n".join(parts)
