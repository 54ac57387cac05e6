"""``retrieve(question, k)``: hybrid dense + BM25 search over the persisted index."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from index import store as index_store
from index.embeddings import embed_passages, embed_query, load_embedder
from index.fusion import weighted_rrf
from index.lexical import BM25, normalise, tokenize
from index.scope import Scope, find_scope
from index.sentences import SentenceIndex, sentence_table, sentence_texts
from ingest.models import Passage

log = logging.getLogger(__name__)

# Chosen by measurement on eval/questions.jsonl and ALQAC (see README, `make bench`).
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


@dataclass
class ScoredPassage:
    """A retrieved passage with its fused score and the scores behind it."""

    passage: Passage
    score: float
    dense: float
    lexical: float

    def to_dict(self) -> dict[str, Any]:
        return {**self.passage.to_dict(), "score": self.score, "dense": self.dense, "lexical": self.lexical}


class Retriever:
    """Holds the index in memory; cheap to query many times."""

    def __init__(self, data: index_store.IndexData) -> None:
        self.data = data
        self.passages = data.passages
        self.vectors = data.vectors
        self.bm25 = BM25([tokenize(p.search_text) for p in data.passages])
        self.documents = data.documents
        self._embedder = None
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        self._by_document: dict[str, list[Passage]] = {}
        for p in self.passages:
            self._by_document.setdefault(p.doc_id, []).append(p)
        self._sentences: SentenceIndex | None = None
        self._tokens: dict[int, frozenset[str]] = {}

    def passage_tokens(self, row: int) -> frozenset[str]:
        """The lexical tokens of passage ``row`` (its search text), computed once."""
        tokens = self._tokens.get(row)
        if tokens is None:
            tokens = self._tokens[row] = frozenset(tokenize(self.passages[row].search_text))
        return tokens

    @property
    def sentences(self) -> SentenceIndex:
        """The sentences of every passage, with vectors (embedded now if the build lacks them)."""
        if self._sentences is None:
            table = sentence_table(self.passages)
            vectors = self.data.sentence_vectors
            if vectors is None or len(vectors) != len(table):
                log.warning("the index has no sentence vectors (built by an older version): embedding "
                            "%d sentences now; `reformqa ingest` stores them", len(table))
                vectors = embed_passages(self.embedder, sentence_texts(self.passages, table))
            self._sentences = SentenceIndex(self.passages, table, np.asarray(vectors, np.float32))
        return self._sentences

    def query_vector(self, question: str) -> np.ndarray:
        """The question's dense vector (one embedding; pass it on to avoid a second)."""
        return embed_query(self.embedder, question)

    def position(self, passage_id: str) -> int | None:
        """Index of a passage in document order."""
        return self._position.get(passage_id)

    def document_passages(self, doc_ids: set[str]) -> list[Passage]:
        """The passages of the documents ``doc_ids``, in index order."""
        chosen = [d for d in self._by_document if d in doc_ids]  # dicts keep first-seen order
        return [p for doc_id in chosen for p in self._by_document[doc_id]]

    @classmethod
    def load(cls, store: Path) -> Retriever:
        return cls(index_store.load(store))

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = load_embedder(self.data.model)
        return self._embedder

    def scope(self, question: str) -> Scope:
        """Documents the question names, and the question without the naming words."""
        return find_scope(question, self.documents)

    def resolve_documents(self, names: list[str] | None) -> set[str] | None:
        """Map user-given names (id, file, number, words of the title) to document ids."""
        if not names:
            return None
        chosen: set[str] = set()
        for name in names:
            key = normalise(name).strip()
            for doc_id, doc in self.documents.items():
                fields = [doc_id, doc["source"], doc["title"], str(doc["metadata"].get("number", ""))]
                if any(key and key in normalise(f) for f in fields):
                    chosen.add(doc_id)
        return chosen

    def retrieve(
        self,
        question: str,
        k: int = 5,
        doc_ids: set[str] | None = None,
        mode: Mode = Mode.HYBRID,
        dense_weight: float = DENSE_WEIGHT,
        lexical_weight: float = LEXICAL_WEIGHT,
        query_vector: np.ndarray | None = None,
    ) -> list[ScoredPassage]:
        """Top-``k`` passages for ``question``, optionally only from the documents ``doc_ids``.

        Names a user gives (``--doc``) become ids through :meth:`resolve_documents`.
        """
        if not self.passages or not question.strip():
            return []
        fused, dense, lexical = self._passage_scores(
            question, doc_ids, mode, dense_weight, lexical_weight, query_vector
        )
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            ScoredPassage(self.passages[i], float(fused[i]), float(dense[i]), float(lexical[i]))
            for i in order
            if np.isfinite(fused[i])
        ]

    def _passage_scores(
        self,
        question: str,
        doc_ids: set[str] | None,
        mode: Mode = Mode.HYBRID,
        dense_weight: float = DENSE_WEIGHT,
        lexical_weight: float = LEXICAL_WEIGHT,
        query_vector: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense and lexical scores of every passage (outside ``doc_ids``: fused -inf)."""
        n = len(self.passages)
        dense = np.zeros(n, dtype=np.float32)
        if mode != Mode.LEXICAL and self.vectors.size:
            q = query_vector if query_vector is not None else self.query_vector(question)
            dense = self.vectors @ q
        lexical = self.bm25.scores(tokenize(question)) if mode != Mode.DENSE else np.zeros(n, np.float32)
        if mode == Mode.DENSE:
            fused = dense.astype(np.float64)
        elif mode == Mode.LEXICAL:
            fused = lexical.astype(np.float64)
        else:
            fused = weighted_rrf([dense, lexical], [dense_weight, lexical_weight])
            if doc_ids is None:  # within chosen documents, citing a number is no sign of relevance
                fused += _exact_reference_bonus(question, self.passages)
        if doc_ids is not None:
            fused = np.where(self._in_documents(doc_ids), fused, -np.inf)
        return fused, dense, lexical

    def _in_documents(self, doc_ids: set[str]) -> np.ndarray:
        return np.array([p.doc_id in doc_ids for p in self.passages], dtype=bool)

    def search(
        self, question: str, k: int = 5, k_sentences: int = 20, doc_ids: set[str] | None = None
    ) -> Retrieval:
        """The top-``k`` passages, then the passages of the top ``k_sentences`` sentences, with
        every sentence's scores (one query embedding for both)."""
        q = self.query_vector(question)
        fused, dense, lexical = self._passage_scores(question, doc_ids, query_vector=q)
        order = [int(i) for i in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[i])]
        index = self.sentences
        s_dense = index.dense(q)
        s_lexical = index.bm25.scores(tokenize(question))
        s_fused = weighted_rrf([s_dense, s_lexical], [DENSE_WEIGHT, LEXICAL_WEIGHT])
        if doc_ids is not None and len(index):
            s_fused = np.where(self._in_documents(doc_ids)[index.table.passage], s_fused, -np.inf)
        for row in np.argsort(-s_fused, kind="stable")[:k_sentences]:
            p = int(index.table.passage[row])
            if np.isfinite(s_fused[row]) and p not in order:
                order.append(p)
        hits = [ScoredPassage(self.passages[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]
        return Retrieval(hits, s_dense, s_lexical, q)


@dataclass
class Retrieval:
    """What one search found: passages (best first, then those of the best sentences) and the
    dense and lexical scores of every sentence."""

    hits: list[ScoredPassage]
    sentence_dense: np.ndarray
    sentence_lexical: np.ndarray
    query_vector: np.ndarray


_REF = re.compile(r"\d+(?:/\d{4})?[/-][A-ZĐa-zđ][\wĐđ&.]*(?:[-/][\wĐđ&.]+)*")


def _exact_reference_bonus(question: str, passages: list[Passage]) -> np.ndarray:
    """A small boost for passages that hold, in text or footnotes, a document number asked for."""
    numbers = {normalise(m.group()).rstrip(".,;:") for m in _REF.finditer(question)}
    bonus = np.zeros(len(passages), dtype=np.float64)
    if not numbers:
        return bonus
    for i, p in enumerate(passages):
        held = {normalise(r.number) for r in p.references}
        if numbers & held:
            bonus[i] = 0.02
    return bonus
