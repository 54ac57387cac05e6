"""BM25 over Vietnamese text, with document numbers and article labels as whole tokens."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from ingest.vietnamese import fold_tone_placement, nfc, strip_superscripts

_DOC_NUMBER = re.compile(r"\d+(?:/\d{4})?[/-][a-zđ][\wđ&.]*(?:[-/][\wđ&.]+)*")
_STRUCTURE = re.compile(r"\b(điều|khoản|chương|mục|điểm|phần)\s+(\d+[a-zđ]?|[ivxlc]+)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)+")
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Lower-case NFC text with footnote markers removed and tone placement folded."""
    return fold_tone_placement(nfc(strip_superscripts(text))).lower()


def tokenize(text: str, bigrams: bool = True) -> list[str]:
    """Syllables, syllable bigrams, and whole tokens for ``1118/qđ-ubnd``, ``điều_12``, ``34.881``."""
    key = normalise(text)
    tokens = [m.group().rstrip(".,;:-") for m in _DOC_NUMBER.finditer(key)]
    tokens += [f"{a}_{b}" for a, b in _STRUCTURE.findall(key)]
    tokens += [re.sub(r"[.,]", ".", m.group()) for m in _NUMBER.finditer(key)]
    words = _WORD.findall(key)
    tokens += words
    if bigrams:
        tokens += [f"{a}_{b}" for a, b in zip(words, words[1:])]
    return tokens


class BM25:
    """Okapi BM25 over a fixed list of token lists (rebuilt on each index build)."""

    def __init__(self, corpus: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n_docs = len(corpus)
        self.doc_len = np.array([len(d) for d in corpus], dtype=np.float32)
        self.avg_len = float(self.doc_len.mean()) if self.n_docs else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(corpus):
            for term, tf in Counter(doc).items():
                self.postings.setdefault(term, []).append((i, tf))
        self.idf = {
            t: math.log(1 + (self.n_docs - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every document for ``query`` tokens."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        if not self.n_docs:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.doc_len / max(self.avg_len, 1e-9))
        for term, qtf in Counter(query).items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idx = np.fromiter((p[0] for p in postings), dtype=np.int64, count=len(postings))
            tf = np.fromiter((p[1] for p in postings), dtype=np.float32, count=len(postings))
            out[idx] += qtf * self.idf[term] * tf * (self.k1 + 1) / (tf + norm[idx])
        return out
