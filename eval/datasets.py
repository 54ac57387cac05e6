"""External benchmarks (ALQAC 2023 laws, UIT regulation QA) as passages, questions and indexes.

The benchmark files are read in place from ``$REFORMQA_BENCH_DIR`` (default
``<repo>/../shared/bench``) and never copied into the repository. Passage vectors are
cached in ``<store>/bench-cache/`` as ``.npy`` files keyed by a hash of the embedding
model and the embedded texts, so a rerun only embeds what changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.builder import embed_text
from index.embeddings import embed_in_batches, load_embedder, model_spec
from index.retriever import Retriever
from index.sentences import sentence_table, sentence_texts
from index.store import IndexData
from ingest.models import Passage
from ingest.pipeline import parse_source
from ingest.source import SourceText

log = logging.getLogger(__name__)

ENV_BENCH = "REFORMQA_BENCH_DIR"
REPO = Path(__file__).resolve().parents[1]
ALQAC_LAWS = Path("alqac2023/law.json")
ALQAC_TRAIN = Path("alqac2023/train.json")
UIT_TRAIN = Path("uit-regulation-qa/train_reg.json")
UIT_WIKI = Path("uit-regulation-qa/train_wiki.json")
CACHE_DIR = "bench-cache"
EMBED_CHUNK = 64

TRUE_FALSE = "Đúng/Sai"
MULTIPLE_CHOICE = "Trắc nghiệm"
ESSAY = "Tự luận"


def bench_dir() -> Path:
    """Folder holding the external benchmarks: ``$REFORMQA_BENCH_DIR`` or ``<repo>/../shared/bench``."""
    return Path(os.environ.get(ENV_BENCH) or REPO.parent / "shared" / "bench").expanduser()


def alqac_available(root: Path | None = None) -> bool:
    root = root or bench_dir()
    return (root / ALQAC_LAWS).is_file() and (root / ALQAC_TRAIN).is_file()


def uit_available(root: Path | None = None) -> bool:
    return ((root or bench_dir()) / UIT_TRAIN).is_file()


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- ALQAC 2023 -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleRef:
    """A gold article: the law's name (its id in law.json) and the article number."""

    law_id: str
    article_id: str


@dataclass
class AlqacQuestion:
    id: str
    kind: str
    question: str
    gold: list[ArticleRef]
    answer: str
    choices: dict[str, str] = field(default_factory=dict)

    @property
    def gold_answer_text(self) -> str | None:
        """Text an answer should contain: the essay answer, the chosen option's text, or None (Đúng/Sai)."""
        if self.kind == MULTIPLE_CHOICE:
            return self.choices.get(self.answer)
        if self.kind == ESSAY:
            return self.answer
        return None


def article_label(article_id: str) -> str:
    return f"Điều {article_id}"


def alqac_key(passage: Passage) -> ArticleRef:
    """The (law, article number) a passage of :func:`alqac_passages` or :func:`alqac_ingested_passages` holds."""
    number = (passage.article or "").removeprefix("Điều ").strip()
    return ArticleRef(passage.doc_id, number)


def alqac_passages(root: Path | None = None) -> list[Passage]:
    """One passage per article of ``alqac2023/law.json``."""
    path = (root or bench_dir()) / ALQAC_LAWS
    passages: list[Passage] = []
    for law in _read_json(path):
        for art in law["articles"]:
            label = article_label(art["id"])
            passages.append(
                Passage(
                    id=f"{law['id']}#{art['id']}",
                    doc_id=law["id"],
                    document=law["id"],
                    source=str(ALQAC_LAWS),
                    section=label,
                    article=label,
                    text=art["text"],
                    span=(0, len(art["text"])),
                )
            )
    return passages


def alqac_ingested_passages(root: Path | None = None) -> list[Passage]:
    """ALQAC 2023's laws as ``reformqa ingest`` cuts a law: each law a document of "Điều N. title"
    articles, an article longer than a passage split at its clauses (``ingest.passages.MAX_CHARS``).

    Every passage keeps its law (``doc_id``) and article label, so :func:`alqac_key` still names
    the article it belongs to; the title-only preamble passage is left out.
    """
    path = (root or bench_dir()) / ALQAC_LAWS
    passages: list[Passage] = []
    for law in _read_json(path):
        parts = [f"# {law['id']}\n"]
        for art in law["articles"]:
            title, _, body = art["text"].partition("\n")
            parts.append(f"{article_label(art['id'])}. {title.strip()}\n\n{body.strip()}\n")
        source = SourceText(path=Path(f"{law['id']}.md"), text="\n".join(parts), format="md")
        passages += [p for p in parse_source(source, doc_id=law["id"]).passages if p.article]
    return passages


def alqac_questions(root: Path | None = None) -> list[AlqacQuestion]:
    """The questions of ``alqac2023/train.json`` with their gold articles and answers."""
    path = (root or bench_dir()) / ALQAC_TRAIN
    return [
        AlqacQuestion(
            id=q["question_id"],
            kind=q["question_type"],
            question=q["text"],
            gold=[ArticleRef(r["law_id"], str(r["article_id"])) for r in q["relevant_articles"]],
            answer=str(q["answer"]),
            choices=dict(q.get("choices") or {}),
        )
        for q in _read_json(path)
    ]


# --- UIT regulation QA ------------------------------------------------------------------


@dataclass
class UitQuestion:
    id: str
    question: str
    answer: str
    context_id: str


def _uit_articles(root: Path | None, file: Path = UIT_TRAIN) -> list[dict[str, Any]]:
    return _read_json((root or bench_dir()) / file)["data"]


def _uit_titles(articles: list[dict[str, Any]]) -> list[str]:
    """Article titles, numbered where one repeats (every ``train_wiki.json`` article is "Wikipedia")."""
    counts: dict[str, int] = {}
    for a in articles:
        counts[a["title"]] = counts.get(a["title"], 0) + 1
    return [a["title"] if counts[a["title"]] == 1 else f"{a['title']} {i + 1}" for i, a in enumerate(articles)]


def uit_passages(root: Path | None = None, file: Path = UIT_TRAIN) -> list[Passage]:
    """One passage per unique context of ``file`` (``train_reg.json``); doc_id is the article title."""
    passages: list[Passage] = []
    seen: dict[str, str] = {}
    articles = _uit_articles(root, file)
    for article, title in zip(articles, _uit_titles(articles)):
        for n, para in enumerate(article["paragraphs"]):
            context = para["context"]
            if context in seen:
                continue
            pid = f"{title}#{n}"
            seen[context] = pid
            passages.append(
                Passage(
                    id=pid, doc_id=title, document=title, source=str(file), section=title,
                    article=None, text=context, span=(0, len(context)),
                )
            )
    return passages


def uit_questions(root: Path | None = None, file: Path = UIT_TRAIN) -> list[UitQuestion]:
    """Every question with its first gold answer span and the id of its context passage."""
    ids: dict[str, str] = {}
    questions: list[UitQuestion] = []
    articles = _uit_articles(root, file)
    for article, title in zip(articles, _uit_titles(articles)):
        for n, para in enumerate(article["paragraphs"]):
            pid = ids.setdefault(para["context"], f"{title}#{n}")
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa.get("answers"):
                    continue
                questions.append(UitQuestion(qa["id"], qa["question"], qa["answers"][0]["text"], pid))
    return questions


# --- in-memory indexes ------------------------------------------------------------------


def documents_of(passages: list[Passage]) -> dict[str, dict[str, Any]]:
    """Per-document records shaped like the ones ``reformqa ingest`` writes."""
    docs: dict[str, dict[str, Any]] = {}
    for p in passages:
        doc = docs.setdefault(
            p.doc_id,
            {
                "id": p.doc_id, "title": p.document, "source": p.source,
                "metadata": _metadata(p.document), "footnotes": [], "articles": [], "passages": 0,
            },
        )
        doc["passages"] += 1
        if p.article:
            doc["articles"].append(p.article)
    return docs


def _metadata(title: str) -> dict[str, Any]:
    """A law's type, as the ingest metadata would give it (lets the engine scope by law name)."""
    for kind in ("Bộ luật", "Luật"):
        if title.lower().startswith(kind.lower()):
            return {"type": kind, "title": title}
    return {"title": title}


def cache_key(texts: list[str], model: str) -> str:
    digest = hashlib.sha256(model.encode("utf-8"))
    for text in texts:
        digest.update(b"\0")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:20]


@dataclass
class EmbedStats:
    """How the vectors were obtained: from the cache or embedded now, and how long it took."""

    passages: int
    seconds: float
    cached: bool

    @property
    def rate(self) -> float:
        return self.passages / self.seconds if self.seconds > 0 else float("inf")


def passage_vectors(
    passages: list[Passage], cache: Path | None, name: str, model: str | None = None
) -> tuple[np.ndarray, EmbedStats]:
    """Vectors for ``passages`` (``embed_text``), read from or written to ``cache``."""
    spec = model or model_spec()
    texts = [embed_text(p) for p in passages]
    path = cache / f"{name}-{cache_key(texts, spec)}.npy" if cache else None
    t0 = time.perf_counter()
    if path is not None and path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors, EmbedStats(len(texts), time.perf_counter() - t0, True)
        log.warning("%s: wrong shape %s, re-embedding", path, vectors.shape)
    vectors = _embed(texts, spec, name)
    stats = EmbedStats(len(texts), time.perf_counter() - t0, False)
    log.info("%s: embedded %d passages in %.1f s (%.1f passages/s)", name, len(texts), stats.seconds, stats.rate)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)
    return vectors, stats


def sentence_vectors(passages: list[Passage], cache: Path | None, name: str, model: str | None = None) -> np.ndarray:
    """Vectors of every sentence of ``passages`` (index order), read from or written to ``cache``."""
    spec = model or model_spec()
    texts = sentence_texts(passages, sentence_table(passages))
    path = cache / f"{name}-sentences-{cache_key(texts, spec)}.npy" if cache else None
    if path is not None and path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = _embed(texts, spec, f"{name} sentences")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)
    return vectors


def _embed(texts: list[str], spec: str, name: str) -> np.ndarray:
    return embed_in_batches(load_embedder(spec), texts, EMBED_CHUNK,
                            lambda done, total: log.info("%s: embedded %d/%d", name, done, total))


def build_retriever(
    passages: list[Passage], cache: Path | None = None, name: str = "bench", model: str | None = None,
    sentences: bool = True,
) -> tuple[Retriever, EmbedStats]:
    """An in-memory :class:`Retriever` over ``passages`` (vectors cached under ``cache``)."""
    spec = model or model_spec()
    vectors, stats = passage_vectors(passages, cache, name, spec)
    data = IndexData(model=spec, passages=passages, vectors=vectors, documents=documents_of(passages), files={})
    if sentences:
        data.sentence_vectors = sentence_vectors(passages, cache, name, spec)
    return Retriever(data), stats


def cache_dir(store: Path) -> Path:
    return store / CACHE_DIR
