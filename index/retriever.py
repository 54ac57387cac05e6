"""``retrieve(question, k)``: hybrid dense + BM25 search over the persisted index.

The index lives in this process (FAISS + ``bm25s``) unless ``REFORMQA_QDRANT_URL`` names a
Qdrant server or folder: then :meth:`Retriever.load` returns the Qdrant-backed retriever
(:mod:`index.qdrant`), which answers the same calls.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from index import store as index_store
from index.cache import BoundedCache
from index.embeddings import embed_passages, embed_query, load_embedder
from index.fusion import dbsf, top_k, weighted_rrf
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
        self.bm25: BM25 = data.lexical_index()
        self.dense = data.dense_index()
        self.documents = data.documents
        self._embedder = None
        self._index_passages()

    def _index_passages(self) -> None:
        """Lookup tables over ``self.passages``: positions, per-document passages and rows,
        rows per cited document number; sentences and tokens come later, when first asked."""
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        self._by_document: dict[str, list[Passage]] = {}
        rows: dict[str, list[int]] = {}
        refs: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            self._by_document.setdefault(p.doc_id, []).append(p)
            rows.setdefault(p.doc_id, []).append(i)
            for number in {normalise(r.number) for r in p.references}:
                refs.setdefault(number, []).append(i)
        self._rows = {d: np.array(r, dtype=np.int64) for d, r in rows.items()}
        self._ref_rows = {n: np.array(r, dtype=np.int64) for n, r in refs.items()}
        self._sentences: SentenceIndex | None = None
        self._sentences_lock = threading.Lock()  # built once, however many questions arrive first
        self._tokens: BoundedCache[int, frozenset[str]] = BoundedCache()

    def passage_tokens(self, row: int) -> frozenset[str]:
        """The lexical tokens of passage ``row`` (its search text), kept in a bounded cache."""
        return self._tokens.get(row, lambda: frozenset(tokenize(self.passages[row].search_text)))

    @property
    def sentences(self) -> SentenceIndex:
        """The sentences of every passage, with vectors (embedded now if the build lacks them).
        Built on first use, once: questions arriving together wait for the one build."""
        if self._sentences is None:
            with self._sentences_lock:
                if self._sentences is None:
                    self._sentences = self._build_sentences()
        return self._sentences

    def _build_sentences(self) -> SentenceIndex:
        table = sentence_table(self.passages)
        vectors = self.data.sentence_vectors
        if vectors is None or len(vectors) != len(table):
            log.warning("the index has no sentence vectors (built by an older version): embedding "
                        "%d sentences now; `reformqa ingest` stores them", len(table))
            vectors = embed_passages(self.embedder, sentence_texts(self.passages, table))
        return SentenceIndex(self.passages, table, np.asarray(vectors, np.float32))

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
        """The index in ``store``, or in Qdrant when ``REFORMQA_QDRANT_URL`` is set."""
        from index import qdrant

        config = qdrant.config_from_env()
        if config is not None:
            return qdrant.QdrantRetriever.connect(config)
        return cls(index_store.load(store))

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = load_embedder(self.data.model)
        return self._embedder

    def scope(self, question: str) -> Scope:
        """Documents the question names, and the question without the naming words."""
        return find_scope(question, self.documents)

    def documents_of_type(self, doc_types: set[str]) -> set[str]:
        """Ids of the documents whose type (``Nghị định``, ``Luật``, …) is one of ``doc_types``."""
        wanted = {normalise(t) for t in doc_types}
        return {
            doc_id for doc_id, doc in self.documents.items()
            if normalise(str(doc.get("metadata", {}).get("type", ""))) in wanted
        }

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
        doc_types: set[str] | None = None,
    ) -> list[ScoredPassage]:
        """Top-``k`` passages for ``question``, optionally only from the documents ``doc_ids``
        and of the types ``doc_types`` (``{"Nghị định"}``).

        Names a user gives (``--doc``) become ids through :meth:`resolve_documents`.
        """
        if not self.passages or not question.strip():
            return []
        return self._search(question, k, doc_ids, Mode(mode), (dense_weight, lexical_weight), doc_types)

    def _search(
        self, question: str, k: int, doc_ids: set[str] | None, mode: Mode, weights: tuple[float, float],
        doc_types: set[str] | None,
    ) -> list[ScoredPassage]:
        fused, dense, lexical = self._passage_scores(question, doc_ids, mode, weights, doc_types)
        return [self._hit(i, fused, dense, lexical, question, None) for i in top_k(fused, k) if np.isfinite(fused[i])]

    def _hit(self, i: int, fused: np.ndarray, dense: np.ndarray, lexical: np.ndarray, question: str,
             query: np.ndarray | None) -> ScoredPassage:
        similarity = float(dense[i])
        if not np.isfinite(similarity):  # outside the ANN's candidates
            q = query if query is not None else self.query_vector(question)
            similarity = float(self.dense.scores(q, np.array([i]))[0])
        return ScoredPassage(self.passages[i], float(fused[i]), similarity, float(lexical[i]))

    def _passage_scores(
        self, question: str, doc_ids: set[str] | None, mode: Mode = Mode.HYBRID,
        weights: tuple[float, float] = (DENSE_WEIGHT, LEXICAL_WEIGHT), doc_types: set[str] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense and lexical scores of every passage (outside ``doc_ids``: fused -inf)."""
        if doc_types is not None:
            typed = self.documents_of_type(doc_types)
            doc_ids = typed if doc_ids is None else set(doc_ids) & typed
        n = len(self.passages)
        rows = None if doc_ids is None else self._document_rows(doc_ids)
        inside = self._mask(rows) if rows is not None else np.ones(n, dtype=bool)
        dense = np.zeros(n, dtype=np.float32)
        if mode != Mode.LEXICAL and self.vectors.size:
            query = query_vector if query_vector is not None else self.query_vector(question)
            dense = self._dense_scores(query, rows)
        lexical = self.bm25.scores(tokenize(question)) if mode != Mode.DENSE else np.zeros(n, np.float32)
        if mode == Mode.DENSE:
            fused = dense.astype(np.float64)
        elif mode == Mode.LEXICAL:
            fused = lexical.astype(np.float64)
        else:
            # Each list is judged within the documents searched, and BM25 only over passages it matched.
            fused = dbsf([np.where(inside, dense, -np.inf), np.where(inside & (lexical > 0), lexical, -np.inf)],
                         list(weights))
            if doc_ids is None:  # within chosen documents, citing a number is no sign of relevance
                fused += self._exact_reference_bonus(question)
        if rows is not None:
            fused = np.where(inside, fused, -np.inf)
        return fused, dense, lexical

    def search(
        self, question: str, k: int = 5, k_sentences: int = 20, doc_ids: set[str] | None = None
    ) -> Retrieval:
        """The top-``k`` passages, then the passages of the top ``k_sentences`` sentences, with
        every sentence's scores (one query embedding for both)."""
        q = self.query_vector(question)
        fused, dense, lexical = self._passage_scores(question, doc_ids, query_vector=q)
        order = [int(i) for i in top_k(fused, k) if np.isfinite(fused[i])]
        s_dense, s_lexical, rows = self._sentence_search(question, q, k_sentences, doc_ids)
        order += [r for r in rows if r not in order]
        hits = [self._hit(i, fused, dense, lexical, question, q) for i in order]
        return Retrieval(hits, s_dense, s_lexical, q)

    def _sentence_search(
        self, question: str, q: np.ndarray, k: int, doc_ids: set[str] | None
    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Every sentence's dense and BM25 scores, and the passage rows of the top-``k`` sentences."""
        index = self.sentences
        s_dense = index.dense(q)
        s_lexical = index.bm25.scores(tokenize(question))
        s_fused = weighted_rrf([s_dense, s_lexical], [DENSE_WEIGHT, LEXICAL_WEIGHT])
        if doc_ids is not None and len(index):
            inside = self._mask(self._document_rows(doc_ids))
            s_fused = np.where(inside[index.table.passage], s_fused, -np.inf)
        rows = [int(index.table.passage[r]) for r in top_k(s_fused, k) if np.isfinite(s_fused[r])]
        return s_dense, s_lexical, list(dict.fromkeys(rows))

    def _mask(self, rows: np.ndarray) -> np.ndarray:
        """A boolean row mask over the passages, true at ``rows``."""
        mask = np.zeros(len(self.passages), dtype=bool)
        mask[rows] = True
        return mask

    def _document_rows(self, doc_ids: set[str]) -> np.ndarray:
        chosen = [self._rows[d] for d in doc_ids if d in self._rows]
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)

    def _dense_scores(self, query: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Exact similarities; with an approximate index, only for its candidates (or ``rows``)."""
        if not self.dense.approximate:
            return self.dense.scores(query)
        out = np.full(len(self.passages), -np.inf, dtype=np.float32)
        chosen = rows if rows is not None else self.dense.candidates(query)
        out[chosen] = self.dense.scores(query, chosen)
        return out

    def _exact_reference_bonus(self, question: str) -> np.ndarray:
        """A small boost for passages that hold, in text or footnotes, a document number asked for."""
        bonus = np.zeros(len(self.passages), dtype=np.float64)
        for number in asked_numbers(question):
            rows = self._ref_rows.get(number)
            if rows is not None:
                bonus[rows] = REFERENCE_BONUS
        return bonus


REFERENCE_BONUS = 0.5  # half a list's range after score fusion: the value its mean maps to
_REF = re.compile(r"\d+(?:/\d{4})?[/-][A-ZĐa-zđ][\wĐđ&.]*(?:[-/][\wĐđ&.]+)*")


def asked_numbers(question: str) -> set[str]:
    """Document numbers (``1118/qđ-ubnd``) written in ``question``, normalised."""
    return {normalise(m.group()).rstrip(".,;:") for m in _REF.finditer(question)}


@dataclass
class Retrieval:
    """What one search found: passages (best first, then those of the best sentences) and the
    dense and lexical scores of every sentence."""

    hits: list[ScoredPassage]
    sentence_dense: np.ndarray
    sentence_lexical: np.ndarray
    query_vector: np.ndarray
