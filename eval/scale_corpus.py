"""Corpora of a chosen size from real text, with vectors, for ``make bench-scale``.

The real pool: the passages of the corpus index (``corpus/``), ALQAC 2023's 2,131 articles cut
into passages as ``reformqa ingest`` cuts a law (3,213 passages) and UIT's regulation and
Wikipedia contexts, each with its real embedding. A size below the pool
keeps the corpus, the UIT regulation contexts and the gold articles of the ALQAC questions, and
fills up with other ALQAC articles. A larger size keeps the whole pool and adds derived
passages until the size is reached.

A derived passage is the real pool repeated with light perturbation: runs of one or two
sentences from two to six passages of one real document (another mix of a law's articles,
of a report's sections), about as long as a passage of that document, with every number changed, in a derived document ("Tài liệu tổng
hợp …") modelled on that document. Its vector is mixed from its sources' vectors (see
:func:`mix_vectors`): no re-embedding. Sentences of ALQAC gold articles and sentences holding
a fact or reference of the own question set are never reused, so a derived passage can
distract but never answer a benchmark question.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval import datasets
from eval.scoring import load_questions
from index import store as index_store
from ingest.models import Passage
from ingest.vietnamese import match_key

FAMILIES = ("corpus", "alqac", "uit")
DOC_SIZE = 25  # derived passages per derived document
MAX_SOURCES = 6  # real passages a derived passage takes sentences from
NOISE = 0.005  # per dimension; about 0.1 in norm next to unit vectors
_SENTENCE = re.compile(r"(?<=[.;:!?])\s+|\n+")
_DIGITS = re.compile(r"\d+")


@dataclass
class Pool:
    """Real passages with their vectors and family, and what must not be copied."""

    passages: list[Passage]
    vectors: np.ndarray
    families: list[str]
    documents: dict[str, dict[str, Any]]
    keep: set[str] = field(default_factory=set)  # passage ids every size holds (ALQAC gold articles' passages)
    needles: list[str] = field(default_factory=list)  # own-set facts and refs, as match keys
    model: str = ""  # the embedding model of the vectors

    def __post_init__(self) -> None:
        assert len(self.passages) == len(self.vectors) == len(self.families)


@dataclass
class ScaleCorpus:
    """Passages, vectors and documents of one size; ``real`` of them from the pool."""

    passages: list[Passage]
    vectors: np.ndarray
    documents: dict[str, dict[str, Any]]
    real: int

    @property
    def derived(self) -> int:
        return len(self.passages) - self.real


def make_corpus(pool: Pool, size: int, seed: int = 11) -> ScaleCorpus:
    """A corpus of ``size`` passages (at least the kept ones) from ``pool``."""
    rng = random.Random(seed)
    if size <= len(pool.passages):
        rows = _subset(pool, size, rng)
        passages = [pool.passages[i] for i in rows]
        docs = {p.doc_id for p in passages}
        documents = {d: _recount(pool.documents[d], passages) for d in pool.documents if d in docs}
        return ScaleCorpus(passages, pool.vectors[rows], documents, len(rows))
    derived, vectors, documents = _derive(pool, size - len(pool.passages), rng, np.random.default_rng(seed))
    return ScaleCorpus(
        pool.passages + derived,
        np.vstack([pool.vectors, vectors]).astype(np.float32),
        {**pool.documents, **documents},
        len(pool.passages),
    )


def _subset(pool: Pool, size: int, rng: random.Random) -> list[int]:
    if size >= len(pool.passages):
        return list(range(len(pool.passages)))
    fixed = [i for i, (p, f) in enumerate(zip(pool.passages, pool.families))
             if f == "corpus" or p.id in pool.keep or (f == "uit" and p.source.endswith("train_reg.json"))]
    chosen = set(fixed)
    others = [i for i, f in enumerate(pool.families) if f == "alqac" and i not in chosen]
    fill = rng.sample(others, max(0, min(len(others), size - len(fixed))))
    return sorted(fixed + fill)


def _recount(document: dict[str, Any], passages: list[Passage]) -> dict[str, Any]:
    n = sum(p.doc_id == document["id"] for p in passages)
    return {**document, "passages": n}


def sentences(text: str) -> list[str]:
    """Sentence-like runs of a passage (split after . ; : ! ? and at line breaks)."""
    return [s.strip() for s in _SENTENCE.split(text) if 20 <= len(s.strip()) <= 600]


def _sources(pool: Pool) -> dict[str, dict[str, list[tuple[int, list[str]]]]]:
    """Per family and document, the real passages that may be copied from, with their usable sentences."""
    out: dict[str, dict[str, list[tuple[int, list[str]]]]] = {f: {} for f in FAMILIES}
    for i, (p, family) in enumerate(zip(pool.passages, pool.families)):
        if p.id in pool.keep:
            continue
        usable = []
        for s in sentences(p.plain):
            key = match_key(s)
            if not any(n in key for n in pool.needles):
                usable.append(s)
        if usable:
            out[family].setdefault(p.doc_id, []).append((i, usable))
    return {f: docs for f, docs in out.items() if docs}


def perturb_numbers(text: str, rng: random.Random) -> str:
    """Every number replaced by another of the same length."""
    def swap(m: re.Match[str]) -> str:
        digits = [str(rng.randint(0, 9)) for _ in m.group()]
        if len(digits) > 1 and digits[0] == "0":
            digits[0] = str(rng.randint(1, 9))
        return "".join(digits)

    return _DIGITS.sub(swap, text)


def _derive(
    pool: Pool, count: int, rng: random.Random, noise_rng: np.random.Generator
) -> tuple[list[Passage], np.ndarray, dict[str, dict[str, Any]]]:
    sources = _sources(pool)
    families = list(sources)
    shares = [sum(len(rows) for rows in sources[f].values()) for f in families]
    passages: list[Passage] = []
    picks = np.full((count, MAX_SOURCES), -1, dtype=np.int64)
    weights = np.zeros((count, MAX_SOURCES), dtype=np.float32)
    documents: dict[str, dict[str, Any]] = {}
    doc_no: dict[str, int] = dict.fromkeys(families, 0)
    family, origin = families[0], []
    for n in range(count):
        if n % DOC_SIZE == 0:  # a new derived document, modelled on one real document
            family = rng.choices(families, shares)[0]
            docs = list(sources[family].values())
            origin = rng.choices(docs, [len(d) for d in docs])[0]
            doc_no[family] += 1
        doc_id = f"tong-hop-{family}-{doc_no[family]:05d}"
        parts: list[str] = []
        used: set[int] = set()
        length = len(pool.passages[rng.choice(origin)[0]].plain)  # as long as a passage of its model
        for slot in range(MAX_SOURCES):
            if slot >= 2 and sum(map(len, parts)) >= length:
                break
            choices = [c for c in origin if c[0] not in used] or [
                c for rows in sources[family].values() for c in rows if c[0] not in used
            ]
            row, usable = rng.choice(choices)
            used.add(row)
            start = rng.randrange(len(usable))
            run = " ".join(usable[start : start + rng.choice((1, 2))])
            parts.append(run)
            picks[n, slot], weights[n, slot] = row, len(run)
        text = perturb_numbers(" ".join(parts), rng)
        seq = n % DOC_SIZE
        if doc_id not in documents:
            title = f"Tài liệu tổng hợp {family} số {doc_no[family]}"
            documents[doc_id] = {"id": doc_id, "title": title, "source": f"{doc_id}.md", "metadata": {"title": title},
                                 "footnotes": [], "articles": [], "passages": 0}
        article = f"Điều {seq + 1}" if family == "alqac" else None
        documents[doc_id]["passages"] += 1
        if article:
            documents[doc_id]["articles"].append(article)
        passages.append(Passage(
            id=f"{doc_id}#{seq:04d}", doc_id=doc_id, document=documents[doc_id]["title"], source=f"{doc_id}.md",
            section=article or "Tổng hợp", article=article, text=text, span=(0, len(text)),
        ))
    doc_index = {d: n for n, d in enumerate(dict.fromkeys(p.doc_id for p in pool.passages))}
    groups = np.array([doc_index[p.doc_id] for p in pool.passages], dtype=np.int64)
    return passages, mix_vectors(pool.vectors, groups, picks, weights, noise_rng), documents


def mix_vectors(
    vectors: np.ndarray, groups: np.ndarray, picks: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Vectors for mixed passages: the weighted mean of their sources' vectors, plus noise, unit length.

    A plain renormalised mean leans towards what its sources share (the corpus centroid, the
    centroid of their document), so it would resemble every question on the topic more than any
    real passage does. Its components along those two directions are therefore set to the
    weighted means of its sources' own components; ``groups`` gives each real row's document.
    """
    unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)  # noqa: E731
    corpus_dir = unit(vectors.mean(axis=0))
    doc_dirs = np.zeros((int(groups.max()) + 1, vectors.shape[1]), dtype=np.float32)
    np.add.at(doc_dirs, groups, vectors)
    doc_dirs = unit(doc_dirs - (doc_dirs @ corpus_dir)[:, None] * corpus_dir)
    out = np.empty((len(picks), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(picks), 8192):
        p = picks[start:start + 8192]
        w = weights[start:start + 8192] * (p >= 0)
        w = w / w.sum(axis=1, keepdims=True)
        src = vectors[np.maximum(p, 0)]  # (m, 3, dim)
        doc_dir = doc_dirs[groups[p[:, 0]]]
        mixed = (src * w[..., None]).sum(axis=1)
        t_corpus = ((src @ corpus_dir) * w).sum(axis=1, keepdims=True)
        t_doc = ((src * doc_dir[:, None, :]).sum(-1) * w).sum(axis=1, keepdims=True)
        rest = unit(mixed - (mixed @ corpus_dir)[:, None] * corpus_dir - (mixed * doc_dir).sum(-1, keepdims=True) * doc_dir)
        mixed = t_corpus * corpus_dir + t_doc * doc_dir + np.sqrt(np.maximum(1 - t_corpus**2 - t_doc**2, 0)) * rest
        mixed += rng.normal(0, NOISE, mixed.shape).astype(np.float32)
        out[start:start + len(p)] = unit(mixed)
    return out


def load_pool(store: Path, cache: Path | None, questions: Path) -> Pool:
    """The real pool: the corpus index in ``store`` and the external sets (vectors cached in ``cache``)."""
    corpus = index_store.load(store)
    parts: list[tuple[str, list[Passage], np.ndarray, dict[str, dict[str, Any]]]] = [
        ("corpus", corpus.passages, corpus.vectors, corpus.documents)
    ]
    external = [("alqac", "alqac-ingest", datasets.alqac_ingested_passages())]
    if datasets.uit_available():
        external.append(("uit", "uit", datasets.uit_passages()))
        if (datasets.bench_dir() / datasets.UIT_WIKI).is_file():
            external.append(("uit", "uitwiki", datasets.uit_passages(file=datasets.UIT_WIKI)))
    for family, cache_name, passages in external:
        vectors, _ = datasets.passage_vectors(passages, cache, cache_name, corpus.model)
        parts.append((family, passages, vectors, datasets.documents_of(passages)))
    gold = {ref for q in datasets.alqac_questions() for ref in q.gold}
    keep = {p.id for family, ps, _, _ in parts if family == "alqac" for p in ps if datasets.alqac_key(p) in gold}
    needles = [match_key(n) for q in load_questions(questions) for n in (*q.facts, *q.refs) if n.strip()]
    documents: dict[str, dict[str, Any]] = {}
    for _, _, _, docs in parts:
        documents.update(docs)
    return Pool(
        passages=[p for _, ps, _, _ in parts for p in ps],
        vectors=np.vstack([v for _, _, v, _ in parts]).astype(np.float32),
        families=[family for family, ps, _, _ in parts for _ in ps],
        documents=documents,
        keep=keep,
        needles=needles,
        model=corpus.model,
    )
