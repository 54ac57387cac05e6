"""Sentences of the indexed passages: spans, vectors and a lexical index of their own.

Answers quote sentences, so sentences are searched directly too: a question in other words
than its passage often matches one sentence of it closely. Sentence rows follow passage
order and, within a passage, :func:`ingest.sentences.split_sentences`, so the spans are
derived from the passages and only the vectors need storing.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.cache import BoundedCache
from index.lexical import BM25, normalise, tokenize
from ingest.limits import MAX_EMBED_CHARS
from ingest.models import Passage
from ingest.passages import footnote_numbers
from ingest.sentences import Sentence, split_sentences
from ingest.vietnamese import strip_superscripts


@dataclass(frozen=True)
class SentenceTable:
    """Where each sentence is: its passage row and its span in that passage's text."""

    passage: np.ndarray  # int32, passage row of each sentence
    start: np.ndarray  # int32
    end: np.ndarray  # int32
    first: np.ndarray  # int32, len(passages) + 1: sentences of passage i are rows first[i]:first[i+1]

    def __len__(self) -> int:
        return len(self.passage)

    def rows(self, passage_row: int) -> range:
        first = self._ints[3]
        return range(first[passage_row], first[passage_row + 1])

    def span(self, row: int) -> tuple[int, int, int]:
        """Sentence ``row``'s passage row, start and end, as Python ints."""
        passage, start, end, _ = self._ints
        return passage[row], start[row], end[row]

    @cached_property
    def _ints(self) -> tuple[array, array, array, array]:
        """``passage``, ``start``, ``end`` and ``first`` as compact arrays that index to Python ints
        fast (the answer layer reads spans hundreds of times a question); as small as the numpy arrays."""
        return tuple(array("i", a.tolist()) for a in (self.passage, self.start, self.end, self.first))


def sentence_table(passages: Sequence[Passage]) -> SentenceTable:
    """Split every passage into sentences, in index order."""
    rows: list[tuple[int, int, int]] = []
    first = [0]
    for i, p in enumerate(passages):
        rows += [(i, s.start, s.end) for s in split_sentences(p.text)]
        first.append(len(rows))
    arr = np.array(rows, dtype=np.int32).reshape(-1, 3)
    return SentenceTable(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), np.array(first, dtype=np.int32))


def sentence_texts(passages: Sequence[Passage], table: SentenceTable) -> list[str]:
    """What the dense model sees of each sentence: its text without footnote markers, cut to
    what the model reads."""
    return [
        strip_superscripts(passages[p].text[a:b])[:MAX_EMBED_CHARS]
        for p, a, b in zip(table.passage.tolist(), table.start.tolist(), table.end.tolist())
    ]


def search_text(passage: Passage, text: str) -> str:
    """What the lexical index sees of a sentence: its text and the footnotes it cites."""
    defined = {f.number: f for f in passage.footnotes}
    notes = [defined[n].text for n in footnote_numbers(text, defined)]
    return "\n".join([strip_superscripts(text), *notes])


class SentenceIndex:
    """Sentence spans with their vectors and a BM25 of their own (text plus cited footnotes).

    Only the spans, the vectors and BM25's sparse matrix are held for every sentence; a
    sentence's tokens and normalised text are derived when asked for and kept in bounded
    caches, so memory grows with the corpus by the matrix, not by Python objects per sentence.
    """

    def __init__(self, passages: Sequence[Passage], table: SentenceTable, vectors: np.ndarray) -> None:
        self.passages = passages
        self.table = table
        self.vectors = vectors
        self.bm25 = BM25.from_texts(self._search_text(row) for row in range(len(table)))
        self._token_sets: BoundedCache[int, frozenset[str]] = BoundedCache()
        self._keys: BoundedCache[int, str] = BoundedCache()
        self._search_keys: BoundedCache[int, str] = BoundedCache()

    def _text(self, row: int) -> tuple[Passage, str]:
        passage, a, b = self.table.span(row)
        p = self.passages[passage]
        return p, p.text[a:b]

    def _search_text(self, row: int) -> str:
        return search_text(*self._text(row))

    def token_set(self, row: int) -> frozenset[str]:
        """The sentence's lexical tokens (text and cited footnotes), as its BM25 row holds them."""
        return self._token_sets.get(row, lambda: frozenset(tokenize(self._search_text(row))))

    def search_key(self, row: int) -> str:
        """The sentence and the footnotes it cites, normalised (what a quote of it shows)."""
        return self._search_keys.get(row, lambda: normalise(self._search_text(row)))

    def key(self, row: int) -> str:
        """The sentence's text under :func:`index.lexical.normalise` (for pattern matching)."""
        return self._keys.get(row, lambda: normalise(self._text(row)[1]))

    def __len__(self) -> int:
        return len(self.table)

    def sentence(self, row: int) -> Sentence:
        passage, a, b = self.table.span(row)
        return Sentence(self.passages[passage].text[a:b], a, b)

    def dense(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of every sentence to ``query`` (rows are L2-normalised)."""
        if not self.vectors.size:
            return np.zeros(len(self), dtype=np.float32)
        return self.vectors @ query
