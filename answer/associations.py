"""Word associations learned from answered questions: which words an answering sentence uses for
the words a question uses ("chấm lại" → "phúc khảo", "chất gây nghiện" → "ma túy").

A paraphrased question shares few words with the sentence that answers it, and the small dense
model does not always bridge the gap. From labelled questions (the question sets others wrote
over ``corpus/``), :func:`learn` counts, for each question word (or word pair) and each word of a
candidate that the question does not use, how often the pair occurs with the answering candidate
against with the other candidates of the same question. A pair seen with answers at least
:data:`MIN_COUNT` times, and more often than with the other candidates, keeps its log ratio. The
selector's ``assoc`` feature is the mean, over the question's words, of the strongest association
each has with a word of the candidate. ``make train`` learns the table; it is committed as
``answer/associations.json``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np

from answer import lexicon as lx
from index.cache import BoundedCache
from ingest.vietnamese import match_key

TABLE_PATH = Path(__file__).with_name("associations.json")
MIN_COUNT = 3  # a pair must be seen with this many answering candidates
STOP = frozenset(lx.ASKING_WORDS)
_IDS_CACHE = 8192  # candidate texts whose word columns are kept


@lru_cache(maxsize=50_000)  # a corpus's sentences come back question after question
def words(text: str) -> frozenset[str]:
    """Words and adjacent word pairs (``cong_chuc``) of ``text``, matched as ``match_key`` folds it; no numbers."""
    w = [t for t in re.findall(r"\w+", match_key(text)) if not t.isdigit()]
    return frozenset(w) | frozenset(f"{a}_{b}" for a, b in zip(w, w[1:]))


def question_words(text: str) -> frozenset[str]:
    return frozenset(t for t in words(text) if t not in STOP)


@dataclass
class Associations:
    """Question word → answer word → weight (positive log ratio)."""

    table: dict[str, dict[str, float]] = field(default_factory=dict)

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The ``assoc`` feature of each candidate text for ``question``."""
        asked = question_words(question)
        rows = [a for a in asked if a in self.table]
        out = np.zeros(len(texts), dtype=np.float32)
        if not rows or not texts:
            return out
        vocab, weights = self._index
        strength = np.zeros((len(vocab) + 1, len(rows)))  # answer word × question word; the last: no word
        for j, a in enumerate(rows):
            ids, w = weights[a]
            strength[ids, j] = w
        strength[[vocab[a] for a in asked if a in vocab]] = 0.0  # a word the question uses is not new
        ids = [self._word_ids(text) for text in texts]
        starts = np.cumsum([0, *(len(i) for i in ids[:-1])])
        best = np.maximum.reduceat(strength[np.concatenate(ids)], starts, axis=0)  # per text, per question word
        total = np.zeros(len(texts))
        for column in best.T:  # summed word by word, in order, as the answer to one question always is
            total += column
        out[:] = total / len(asked)
        return out

    @cached_property
    def _index(self) -> tuple[dict[str, int], dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Answer word → column, and each question word's answer columns with their weights."""
        vocab: dict[str, int] = {}
        for row in self.table.values():
            for b in row:
                vocab.setdefault(b, len(vocab))
        weights = {a: (np.array([vocab[b] for b in row], dtype=np.int64), np.array(list(row.values()), dtype=np.float64))
                   for a, row in self.table.items()}
        return vocab, weights

    @cached_property
    def _ids(self) -> BoundedCache[str, np.ndarray]:
        return BoundedCache(_IDS_CACHE)

    def _word_ids(self, text: str) -> np.ndarray:
        """The columns of ``text``'s words in the table, and the empty column (never empty)."""
        return self._ids.get(text, lambda: self._columns(text))

    def _columns(self, text: str) -> np.ndarray:
        vocab = self._index[0]
        return np.array([*(vocab[w] for w in words(text) if w in vocab), len(vocab)], dtype=np.int64)

    def to_json(self) -> dict:
        return {"min_count": MIN_COUNT, "table": {a: dict(sorted(r.items())) for a, r in sorted(self.table.items())}}

    @classmethod
    def from_json(cls, data: dict) -> Associations:
        return cls({a: {b: float(w) for b, w in r.items()} for a, r in data.get("table", {}).items()})


Labelled = tuple[str, Sequence[str], np.ndarray]  # question, candidate texts, which candidates answer


PairCounts = tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]  # with answering candidates, with the others


def count(questions: Iterable[Labelled]) -> PairCounts:
    """Count (question word, candidate word) pairs with answering candidates and with the others."""
    pos: Counter[tuple[str, str]] = Counter()
    neg: Counter[tuple[str, str]] = Counter()
    for question, texts, labels in questions:
        if not np.any(labels):
            continue
        asked = question_words(question)
        for text, positive in zip(texts, labels):
            new = words(text) - asked
            (pos if positive else neg).update((a, b) for a in asked for b in new)
    return pos, neg


def total(parts: Iterable[PairCounts]) -> PairCounts:
    """The counts of several groups of questions together (counts add up)."""
    pos: Counter[tuple[str, str]] = Counter()
    neg: Counter[tuple[str, str]] = Counter()
    for p, n in parts:
        pos.update(p)
        neg.update(n)
    return pos, neg


def from_counts(counts: PairCounts, min_count: int = MIN_COUNT, less: PairCounts | None = None) -> Associations:
    """The pairs seen with at least ``min_count`` answers, and more often than with the others; with
    ``less``, as if the questions ``less`` counted had not been (counts add up)."""
    pos, neg = counts
    less_pos, less_neg = less if less is not None else (Counter(), Counter())
    table: dict[str, dict[str, float]] = {}
    for (a, b), n in pos.items():
        n -= less_pos.get((a, b), 0)
        if n >= min_count:
            weight = math.log((n + 0.1) / (neg.get((a, b), 0) - less_neg.get((a, b), 0) + 1.0))
            if weight > 0:
                table.setdefault(a, {})[b] = round(weight, 3)
    return Associations(table)


def learn(questions: Iterable[Labelled], min_count: int = MIN_COUNT) -> Associations:
    """The table learned from ``questions``."""
    return from_counts(count(questions), min_count)


def save(assoc: Associations, path: Path = TABLE_PATH) -> None:
    path.write_text(json.dumps(assoc.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


@cache
def _load(path: Path) -> Associations:
    return Associations.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else Associations()


_override: Associations | None = None  # set by training (:func:`use`)


def current() -> Associations:
    """The table in use: the committed file, unless :func:`use` set another (training does)."""
    return _override if _override is not None else _load(TABLE_PATH)


def use(assoc: Associations | None) -> None:
    """Answer with ``assoc`` (``None``: the committed table again)."""
    global _override
    _override = assoc
