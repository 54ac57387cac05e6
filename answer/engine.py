"""The answering engine: analyse → search → gather → check → score → select → rerank → render → second quote → cite.

One code path serves ``reformqa ask``, ``reformqa eval`` and the chat app. Each stage is a
plain function of its own module; this one only wires them and decides to abstain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from answer import rerank, rules, second
from answer import selector as selection
from answer.analysis import AnswerKind, QuestionAnalysis, analyse
from answer.asks import MARGIN, second_unit
from answer.candidates import K_PASSAGES, K_SENTENCES, Candidate, Shape, gather
from answer.checks import admissible, quote_shows_figure
from answer.citations import Citation, check_citations, cite
from answer.expand import expand
from answer.features import INDEX, coverage, featurise
from answer.followup import rewrite_question
from answer.render import Rendered, render
from index.retriever import Retrieval, Retriever, ScoredPassage
from index.store import store_dir
from ingest.sentences import split_sentences

log = logging.getLogger(__name__)

DEFAULT_K = K_PASSAGES
ABSTAIN_TEXT = "Không tìm thấy thông tin này trong tài liệu. Các đoạn gần nhất:"
NEAREST = 3  # passages shown after an abstention
FALLBACKS = 3  # candidates tried when one fails its citation check
WARM_QUESTION = "Kết quả thực hiện nhiệm vụ cải cách hành chính như thế nào?"  # any question will do


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
    kind: str = AnswerKind.GENERAL.value
    rewritten: str | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans of ``answer`` to show in bold
    confidence: float = 0.0  # how likely the answer is right (the selector's calibrated probability)
    check_failures: int = 0  # candidates dropped because their citations failed the check
    evidence: list[str] = field(default_factory=list)  # what each candidate unit showed (for eval)

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` object (field names are an interface)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass
class Choice:
    """What the engine chose for a question, and what it chose from."""

    units: list[Candidate]  # every admissible unit
    candidates: list[Candidate]  # the anchors among them (what ``x`` and ``scores`` are rows of)
    x: np.ndarray
    scores: np.ndarray
    cover: Callable[[Candidate], float]
    chosen: int  # the selector's choice (or the fixed place a question about one asks for)
    listed: int  # the ``list`` rule's choice
    quoted: int  # the anchor quoted: the reranker's choice
    signed: bool  # ``chosen`` is a fixed place the question asks for (signature, dates)
    sure: bool  # and the question names its document: no abstention


class Engine:
    """Holds a loaded :class:`Retriever` and the selector; ``ask`` is cheap after the first call."""

    def __init__(self, retriever: Retriever, generator: Any | None = None,
                 selector: selection.Selector | None = None, reranker: selection.Trees | None = None,
                 gate: second.Gate | None = None) -> None:
        self.retriever = retriever
        self.generator = generator
        self.selector = selector or selection.load()
        self.reranker = reranker or rerank.load()
        self.gate = gate or second.load()  # None: no learned second quote
        self._lock = threading.Lock()
        self.check_failures = 0  # over the engine's life, for eval

    @classmethod
    def from_store(cls, store: str | Path | None = None) -> Engine:
        from answer.generator import generator_from_env

        return cls(Retriever.load(store_dir(store)), generator_from_env())

    def warm(self) -> float:
        """Answer one question so that the first user's does not pay for first use (the sentence
        index, the query model, the models' and caches' first loads); the seconds it took.

        A failure is logged, not raised: the engine still answers, only the first question is slower.
        """
        t0 = time.perf_counter()
        failures = self.check_failures
        try:
            self.ask(WARM_QUESTION)
        except Exception:
            log.warning("warming the engine up failed; the first question will be slower", exc_info=True)
        self.check_failures = failures  # the warm-up question is nobody's
        seconds = time.perf_counter() - t0
        log.info("engine warmed up in %.2f s", seconds)
        return seconds

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
        q = analyse(effective, self.retriever.documents)
        allowed = self.retriever.resolve_documents(documents)
        retrieval = self.search(q, k, allowed)
        t1 = time.perf_counter()
        answer = self._answer(q, retrieval)
        t2 = time.perf_counter()
        answer.question = question
        answer.rewritten = effective if effective != question else None
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return answer

    def search(self, q: QuestionAnalysis, k: int = DEFAULT_K, allowed: set[str] | None = None) -> Retrieval:
        """Passages and sentences for ``q``: within ``allowed`` documents, else those it names (rule ``scope``)."""
        named = set(q.documents) if rules.on("scope") else set()
        scope = allowed if allowed is not None else (named or None)
        return self.retriever.search(q.focus, k=max(k, 1), k_sentences=K_SENTENCES, doc_ids=scope)

    def choose(self, q: QuestionAnalysis, retrieval: Retrieval) -> Choice | None:
        """Gather, score and choose: the anchor to quote (None when no candidate is admissible)."""
        units = [c for c in gather(q, retrieval.hits, self.retriever) if admissible(q, c, self.retriever)]
        candidates = [c for c in units if c.anchor]
        if not candidates:
            return None
        x = featurise(q, candidates, retrieval, self.retriever)
        scores = self.selector.scores(x)
        lengths = np.array([len(c.evidence) for c in candidates])
        cover = coverage(q, self.retriever)
        best = selection.choose(scores, lengths, self.selector.prefer_shorter)
        signed, sure = _signed(q, candidates, x, retrieval.hits)
        if signed is None:
            signed = _dated(q, candidates)
            sure = signed is not None
        chosen = best if signed is None else signed
        listed = chosen if signed is not None else _listed(q, chosen, candidates, scores, units, cover)
        quoted = chosen if signed is not None else rerank.pick(
            self.reranker, x, scores, chosen, listed,
            lambda anchors: rerank.unit_rows(q, candidates, units, cover, anchors))
        return Choice(units, candidates, x, scores, cover, chosen, listed, quoted, signed is not None, sure)

    def _answer(self, q: QuestionAnalysis, retrieval: Retrieval) -> Answer:
        hits = retrieval.hits
        choice = self.choose(q, retrieval) if hits else None
        if choice is None:
            return self._abstain(q, hits, 0.0)
        units, candidates, x, scores, cover = choice.units, choice.candidates, choice.x, choice.scores, choice.cover
        failures = 0
        confidence = self.selector.confidence(x, scores, choice.chosen)
        order = [choice.quoted, *(int(i) for i in np.argsort(-scores, kind="stable") if i != choice.quoted)]
        evidence = [u.evidence for u in units]
        if self.abstains(q, choice, confidence):
            return self._abstain(q, hits, confidence, evidence=evidence)
        for i in order[: FALLBACKS + 1]:
            rendered = self.quote(q, i, candidates, units, scores, retrieval, cover, confidence)
            if rendered is None:
                return self._abstain(q, hits, confidence, failures, evidence)
            problems = check_citations(rendered.text, rendered.citations)
            if not problems:
                answer = self._answered(q, rendered, hits, confidence, failures)
                answer.evidence = evidence
                return answer
            failures += 1
            log.error("citation check failed (%s) for %r; trying the next candidate", problems, q.text[:120])
        return self._abstain(q, hits, confidence, failures, evidence)

    def abstains(self, q: QuestionAnalysis, choice: Choice, confidence: float) -> bool:
        """Whether the engine abstains on ``choice``: a question asking who signed a document without
        its signature block chosen (only that says who signed), or a confidence under the threshold
        when the question does not name the place it asks about."""
        unsigned = not choice.signed and _asks_signer(q)
        return unsigned or (confidence < self.selector.threshold and not choice.sure)

    def quote(self, q: QuestionAnalysis, i: int, candidates: list[Candidate], units: list[Candidate],
              scores: np.ndarray, retrieval: Retrieval, cover: Callable[[Candidate], float],
              confidence: float | None = None) -> Rendered | None:
        """The answer the engine gives when it quotes anchor ``i`` (:meth:`quoted_units`). Given the
        answer's ``confidence``, a unit quoted alone may take a second one the learned gate asks
        for (:mod:`answer.second`); without it (as when the reranker is trained), it never does."""
        quoted = self.quoted_units(q, i, candidates, units, scores, retrieval, cover)
        if quoted is None:
            return None
        rendered = render(q, quoted, self.retriever.passages)
        if confidence is None or len(quoted) > 1 or self.gate is None:
            return rendered
        proposals = second.propose(q, quoted[0], i, candidates, units, scores, cover, confidence, len(rendered.text))
        proposal = second.wanted(self.gate, proposals)
        if proposal is None:
            return rendered
        return render(q, second.together(quoted[0], proposal.unit), self.retriever.passages)

    def quoted_units(self, q: QuestionAnalysis, i: int, candidates: list[Candidate], units: list[Candidate],
                     scores: np.ndarray, retrieval: Retrieval, cover: Callable[[Candidate], float]
                     ) -> list[Candidate] | None:
        """What quoting anchor ``i`` shows: the unit it expands to, and a second quote for a part of
        the question the unit leaves open (rule ``two-asks``); None when a question asking a figure
        gets a quote without one (rule ``figure-shown``)."""
        unit = expand(q, candidates[i], units, cover)
        unit.score = float(scores[i])
        quoted = [unit]
        extra = second_unit(q, unit, candidates, scores, self.retriever, retrieval, self.selector)
        if extra is not None:
            wider = expand(q, extra, units, cover)
            extra = extra if set(wider.sentences) & set(unit.sentences) else wider
            quoted = [unit, extra]
        if not quote_shows_figure(q, quoted):
            return None
        return quoted if len(quoted) == 1 else second.together(*quoted)

    def _answered(self, q: QuestionAnalysis, rendered: Rendered, hits: list[ScoredPassage], confidence: float,
                  failures: int) -> Answer:
        text = rendered.text
        if self.generator is not None:
            generated = self.generator.answer(q.text, rendered.citations)
            if generated and not check_citations(generated, rendered.citations):
                text = generated
        if failures:
            with self._lock:
                self.check_failures += failures
        return Answer(q.text, text, False, rendered.citations, {}, hits, q.kind.value,
                      highlights=rendered.highlights if text == rendered.text else [],
                      confidence=self.selector.reported(confidence), check_failures=failures)

    def _abstain(self, q: QuestionAnalysis, hits: list[ScoredPassage], confidence: float, failures: int = 0,
                 evidence: list[str] | None = None) -> Answer:
        if failures:
            with self._lock:
                self.check_failures += failures
        nearest = hits[:NEAREST]
        lines = [ABSTAIN_TEXT]
        for i, hit in enumerate(nearest, 1):
            where = hit.passage.article or hit.passage.section
            lines.append(f"[{i}] {hit.passage.document} — {where}")
        citations = [_opening(i, h) for i, h in enumerate(nearest, 1)]
        return Answer(q.text, "\n".join(lines), True, citations, {}, hits, q.kind.value,
                      confidence=self.selector.reported(confidence), check_failures=failures,
                      evidence=evidence or [])


def _listed(q: QuestionAnalysis, best: int, candidates: list[Candidate], scores: np.ndarray,
            units: list[Candidate], cover: Callable[[Candidate], float]) -> int:
    """For a list question whose best sentence brings no list: the best sentence within
    :data:`answer.asks.MARGIN` of it that does (its lead-in, an item, the article's title), so
    "… phải đáp ứng những điều kiện nào?" quotes the clause that lists them, not the next clause
    that refers back to them (rule ``list``)."""
    if q.kind != AnswerKind.LIST or not rules.on("list"):
        return best
    if expand(q, candidates[best], units, cover).shape in (Shape.LIST, Shape.CLAUSES):
        return best
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] < scores[best] - MARGIN:
            break
        if expand(q, candidates[int(i)], units, cover).shape == Shape.LIST:
            return int(i)
    return best


def _asks_signer(q: QuestionAnalysis) -> bool:
    return rules.on("signer") and q.asks_signer and not q.asks


def _signed(q: QuestionAnalysis, candidates: list[Candidate], x: np.ndarray,
            hits: list[ScoredPassage]) -> tuple[int | None, bool]:
    """The signature block that answers "ai ký …" (a question asking one thing), and whether it is
    sure: the question names its document, or it is the best passage's document and holds everything
    the question pins."""
    if not _asks_signer(q):
        return None, False
    for i, c in enumerate(candidates):
        if "signer" in c.flags:
            doc = c.hit.passage.doc_id
            pinned = bool(q.pinned) and x[i, INDEX["pinned_context"]] >= 1.0
            return i, doc in q.documents or (doc == hits[0].passage.doc_id and pinned)
    return None, False


def _dated(q: QuestionAnalysis, candidates: list[Candidate]) -> int | None:
    """For a question that asks only what fixed places of a document it names hold (when it was
    issued, from when it applies, who signed it: "Nghị định 48/2013/NĐ-CP có hiệu lực từ ngày
    nào?", "… ban hành ngày nào và có hiệu lực từ khi nào?"), the place its first part asks for;
    :mod:`answer.asks` quotes the place a second part asks for beside it."""
    if not q.documents or not rules.on("fixed-places"):
        return None
    flags = []
    for part in q.asks or (q,):
        flag = "effect" if part.asks_effect else "issue" if part.asks_issue else \
            "signer" if part.asks_signer and q.asks else None
        if flag is None:
            return None
        flags.append(flag)
    return next((i for i, c in enumerate(candidates) if flags[0] in c.flags and c.hit.passage.doc_id in q.documents),
                None)


def _opening(n: int, hit: ScoredPassage, limit: int = 300) -> Citation:
    """A passage shown after an abstention: its opening sentences (whole) and their footnotes."""
    sentences = split_sentences(hit.passage.text)
    end = sentences[0].end if sentences else len(hit.passage.text)
    for s in sentences[1:]:
        if s.end > limit:
            break
        end = s.end
    return cite(n, hit.passage, 0, end, hit.score)
