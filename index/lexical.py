"""BM25 over Vietnamese text, with document numbers and article labels as whole tokens.

The index itself is ``bm25s`` (a sparse token × passage matrix of precomputed BM25 weights,
saved with each build); the tokenisation is ours.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from ingest.vietnamese import fold_tone_placement, nfc, strip_superscripts

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

_DOC_NUMBER = re.compile(r"\d+(?:/\d{4})?[/-][a-zđ][\wđ&.]*(?:[-/][\wđ&.]+)*")
_STRUCTURE = re.compile(r"\b(điều|khoản|chương|mục|điểm|phần)\s+(\d+[a-zđ]?|[ivxlc]+)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)+")
_WORD = re.compile(r"\w+")

K1 = 1.2
B = 0.75


def _normalised(text: str) -> str:
    return fold_tone_placement(nfc(strip_superscripts(text))).lower()


@lru_cache(maxsize=50_000)  # the same sentences are normalised question after question
def normalise(text: str) -> str:
    """Lower-case NFC text with footnote markers removed and tone placement folded."""
    return _normalised(text)


def tokenize(text: str, bigrams: bool = True, *, cached: bool = True) -> list[str]:
    """Syllables, syllable bigrams, and whole tokens for ``1118/qđ-ubnd``, ``điều_12``, ``34.881``.
    An index build passes ``cached=False``: its texts are seen once and would only fill the cache."""
    key = normalise(text) if cached else _normalised(text)
    tokens = [m.group().rstrip(".,;:-") for m in _DOC_NUMBER.finditer(key)]
    tokens += [f"{a}_{b}" for a, b in _STRUCTURE.findall(key)]
    tokens += [re.sub(r"[.,]", ".", m.group()) for m in _NUMBER.finditer(key)]
    words = _WORD.findall(key)
    tokens += words
    if bigrams:
        tokens += [f"{a}_{b}" for a, b in zip(words, words[1:])]
    return tokens


def idf(df: int, n_docs: int) -> float:
    """Lucene's BM25 IDF (never negative)."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


class _Idf(Mapping[str, float]):
    """token → IDF, read from the document frequencies of the sparse matrix (no big dict)."""

    def __init__(self, vocab: Mapping[str, int], df: np.ndarray, n_docs: int) -> None:
        self._vocab, self._df, self._n = vocab, df, n_docs

    def __getitem__(self, token: str) -> float:
        i = self._vocab[token]
        df = int(self._df[i])
        if not df:
            raise KeyError(token)
        return idf(df, self._n)

    def __iter__(self) -> Iterator[str]:
        return (t for t, i in self._vocab.items() if self._df[i])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._df))


class BM25:
    """Okapi BM25 (k1 1.2, b 0.75, Lucene IDF) over token lists, held by ``bm25s``.

    ``scores(query)`` gives every passage's score; ``idf`` maps a token to its IDF and
    ``n_docs`` counts the passages (the answer layer weighs question words with them).
    """

    def __init__(self, corpus: Sequence[list[str]], k1: float = K1, b: float = B) -> None:
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        self._index(ids, vocab, k1, b)

    @classmethod
    def from_texts(cls, texts: Iterable[str], k1: float = K1, b: float = B) -> BM25:
        """BM25 over :func:`tokenize` of each text, holding token ids rather than strings meanwhile."""
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in tokenize(text, cached=False)] for text in texts]
        self = cls.__new__(cls)
        self._index(ids, vocab, k1, b)
        return self

    def _index(self, ids: list[list[int]], vocab: dict[str, int], k1: float, b: float) -> None:
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        if ids:
            model.index((ids, vocab), create_empty_token=False, show_progress=False)
        self._attach(model, len(ids))

    def _attach(self, model: bm25s.BM25, n_docs: int) -> None:
        self._model = model
        self.k1, self.b = model.k1, model.b
        self.n_docs = n_docs
        scores = getattr(model, "scores", None) or {
            "data": np.zeros(0, np.float32), "indices": np.zeros(0, np.int32),
            "indptr": np.zeros(1, np.int64), "num_docs": 0,
        }
        self._data = np.asarray(scores["data"], dtype=np.float32)
        self._indices = np.asarray(scores["indices"])
        self._indptr = np.asarray(scores["indptr"])
        self._vocab: dict[str, int] = getattr(model, "vocab_dict", None) or {}
        self.idf: Mapping[str, float] = _Idf(self._vocab, np.diff(self._indptr), n_docs)

    @property
    def nnz(self) -> int:
        """Stored (token, passage) weights."""
        return int(self._data.size)

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every passage for ``query`` tokens (a repeated token counts again)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for token, qtf in Counter(query).items():
            i = self._vocab.get(token)
            if i is None:
                continue
            start, end = self._indptr[i], self._indptr[i + 1]
            out[self._indices[start:end]] += qtf * self._data[start:end]  # rows are unique per token
        # bm25s's Lucene weights leave out BM25's constant (k1 + 1) factor; keep the usual scale
        return out * np.float32(self.k1 + 1)

    def save(self, folder: Path) -> None:
        """Write the sparse matrix, vocabulary and parameters into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.n_docs:
            self._model.save(str(folder), show_progress=False)
        (folder / "n_docs").write_text(str(self.n_docs), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25:
        """Read what :meth:`save` wrote."""
        n_docs = int((folder / "n_docs").read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        if n_docs:
            model = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        else:
            model = bm25s.BM25(k1=K1, b=B, method="lucene")
        self._attach(model, n_docs)
        return self
