"""Qdrant as an optional index store: several app processes (or machines) share one index.

Set ``REFORMQA_QDRANT_URL`` to a server or cluster (``http://qdrant:6333``) or to a local
folder (qdrant-client's embedded mode, one process at a time). Then ``reformqa ingest``
still writes the local build (the record of files, hashes and vectors that makes ingest
incremental) and afterwards brings Qdrant up to date with it; :meth:`Retriever.load`
returns a :class:`QdrantRetriever`, which searches in Qdrant.

Two collections, named from ``REFORMQA_QDRANT_COLLECTION`` (default ``reformqa``):

* ``<name>_passages``: one point per passage: a dense vector ``dense`` (cosine), a sparse
  vector ``lexical`` holding each token's BM25 term weight under a 32-bit hash of the token,
  with Qdrant's IDF modifier supplying the IDF (the same Lucene formula as
  :mod:`index.lexical`), and the passage as payload plus ``doc_id``, ``doc_type`` and
  ``seq`` (its place in its document), indexed for filtering.
* ``<name>_sentences``: one point per distinct sentence text (its id derived from the text),
  holding the sentence's vector; an app loads them at start-up for the answer layer's
  sentence search, which runs in the app's process as with the local index.
* ``<name>_meta``: the documents and a manifest (model, parser, build, average length).

Hybrid search is one query: a dense and a sparse prefetch of :data:`CANDIDATES` each, fused
by Qdrant's distribution-based score fusion (``Fusion.DBSF``, which
:func:`index.fusion.dbsf_heads` computes; the in-process retriever maps every passage by the
same head statistics). The exact-reference bonus applies within the fused candidates.
The package is an optional extra: ``pip install 'reformqa[qdrant]'``.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import uuid
import warnings
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.embeddings import embed_query
from index.fusion import DBSF_TOP
from index.lexical import K1, B, idf, normalise, tokenize
from index.retriever import (
    DENSE_WEIGHT,
    LEXICAL_WEIGHT,
    REFERENCE_BONUS,
    Mode,
    Retrieval,
    Retriever,
    ScoredPassage,
    asked_numbers,
)
from index.sentences import sentence_table, sentence_texts
from index.store import IndexData
from ingest.models import Passage

log = logging.getLogger(__name__)

ENV_URL = "REFORMQA_QDRANT_URL"
ENV_API_KEY = "REFORMQA_QDRANT_API_KEY"
ENV_COLLECTION = "REFORMQA_QDRANT_COLLECTION"
DEFAULT_COLLECTION = "reformqa"
DENSE, SPARSE = "dense", "lexical"
CANDIDATES = DBSF_TOP  # per list fused; the in-process fusion normalises over the same top
BATCH = 256
TIMEOUT_S = 10
_NAMESPACE = uuid.UUID("6f1c8e2a-4b1d-5e8f-9a3c-2d7b6e0f1a94")
_MANIFEST_ID = str(uuid.uuid5(_NAMESPACE, "manifest"))


class QdrantUnavailableError(Exception):
    """Qdrant cannot be reached or used (down, wrong URL, folder locked, package missing)."""


@dataclass(frozen=True)
class QdrantConfig:
    """Where the Qdrant index lives: an ``http(s)://`` URL, a folder, or ``:memory:``."""

    location: str
    collection: str = DEFAULT_COLLECTION
    api_key: str | None = None

    @property
    def is_server(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    @property
    def passages(self) -> str:
        return f"{self.collection}_passages"

    @property
    def meta(self) -> str:
        return f"{self.collection}_meta"

    @property
    def sentences(self) -> str:
        return f"{self.collection}_sentences"


def config_from_env() -> QdrantConfig | None:
    """The configuration in ``REFORMQA_QDRANT_URL`` (and friends), or None when unset."""
    location = os.environ.get(ENV_URL, "").strip()
    if not location:
        return None
    return QdrantConfig(
        location,
        os.environ.get(ENV_COLLECTION, "").strip() or DEFAULT_COLLECTION,
        os.environ.get(ENV_API_KEY) or None,
    )


_CLIENTS: dict[str, Any] = {}


@atexit.register
def _close_clients() -> None:
    """Close embedded clients before the interpreter tears down (their own ``__del__`` is too late)."""
    while _CLIENTS:
        _, made = _CLIENTS.popitem()
        try:
            made.close()
        except Exception as exc:  # closing at exit: nothing left to do about it
            log.debug("closing a Qdrant client: %s", exc)


def client(config: QdrantConfig) -> Any:
    """A connected client, one per location and process (embedded mode allows no more)."""
    key = config.location if config.is_server or config.location == ":memory:" else str(
        Path(config.location).expanduser().resolve()
    )
    if key in _CLIENTS:
        return _CLIENTS[key]
    try:
        from qdrant_client import QdrantClient
    except ImportError:
        raise QdrantUnavailableError(
            f"{ENV_URL} is set but qdrant-client is not installed: pip install 'reformqa[qdrant]' "
            f"(or unset {ENV_URL} to use the local index)"
        ) from None
    try:
        if config.is_server:
            with warnings.catch_warnings():  # unreachable: our own message below says so, once
                warnings.filterwarnings("ignore", message="Failed to obtain server version")
                made = QdrantClient(url=config.location, api_key=config.api_key, timeout=TIMEOUT_S)
        elif config.location == ":memory:":
            made = QdrantClient(location=":memory:")
        else:
            Path(key).mkdir(parents=True, exist_ok=True)
            made = QdrantClient(path=key)
        made.get_collections()  # fails fast when the server is down or refuses us
    except Exception as exc:
        raise QdrantUnavailableError(
            f"Qdrant at {config.location} cannot be used: {_reason(exc)}. Start it, fix {ENV_URL}, "
            f"or unset {ENV_URL} to use the local index."
        ) from None
    _CLIENTS[key] = made
    return made


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


@contextmanager
def _guard(config: QdrantConfig) -> Iterator[None]:
    """Turn a failed call (the server went away, refused us, …) into :class:`QdrantUnavailableError`."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("qdrant_client", "httpx", "httpcore", "grpc"):
            raise QdrantUnavailableError(f"Qdrant at {config.location} failed: {_reason(exc)}") from None
        raise


# --- sparse vectors ---------------------------------------------------------------------


def token_id(token: str) -> int:
    """A stable 32-bit index for a token (no shared vocabulary between processes)."""
    return zlib.crc32(token.encode("utf-8"))


def _merge(weights: Mapping[str, float]) -> tuple[list[int], list[float]]:
    merged: dict[int, float] = {}
    for token, w in weights.items():
        i = token_id(token)
        merged[i] = merged.get(i, 0.0) + w
    ids = sorted(merged)
    return ids, [merged[i] for i in ids]


def document_weights(tokens: list[str], avg_len: float) -> dict[str, float]:
    """BM25's term part for one passage: ``tf·(k1+1) / (tf + k1·(1 − b + b·len/avg_len))``."""
    norm = K1 * (1 - B + B * len(tokens) / max(avg_len, 1e-9))
    return {t: tf * (K1 + 1) / (tf + norm) for t, tf in Counter(tokens).items()}


def query_weights(question: str) -> dict[str, float]:
    return {t: float(n) for t, n in Counter(tokenize(question)).items()}


# --- writing ------------------------------------------------------------------------------


def point_id(passage: Passage) -> str:
    """Changes with the passage's content, so a sync replaces what changed."""
    digest = zlib.crc32(repr(sorted(passage.to_dict().items())).encode("utf-8"))
    return str(uuid.uuid5(_NAMESPACE, f"{passage.id}\0{digest}"))


def doc_type(document: dict[str, Any]) -> str:
    return normalise(str(document.get("metadata", {}).get("type", "")))


def sync(config: QdrantConfig, data: IndexData, build: str) -> int:
    """Make Qdrant hold exactly ``data`` (build ``build``); returns the points written."""
    from qdrant_client import models

    qc = client(config)
    with _guard(config):
        manifest = _manifest(qc, config)
        if manifest and manifest.get("build") == build:
            return 0
        if manifest and (manifest.get("model") != data.model or manifest.get("dim") != data.dim):
            log.info("Qdrant holds another model's vectors: recreating %s", config.passages)
            for name in (config.passages, config.sentences, config.meta):
                if qc.collection_exists(name):
                    qc.delete_collection(name)
        _ensure_collections(qc, config, data.dim or 1, models)
        tokens = [tokenize(p.search_text, cached=False) for p in data.passages]
        avg_len = float(np.mean([len(t) for t in tokens])) if tokens else 0.0
        wanted = {point_id(p): i for i, p in enumerate(data.passages)}
        present = set(_point_ids(qc, config.passages))
        stale = list(present - set(wanted))
        for start in range(0, len(stale), BATCH * 4):
            qc.delete(config.passages, points_selector=models.PointIdsList(points=stale[start:start + BATCH * 4]))
        todo = [(pid, i) for pid, i in wanted.items() if pid not in present]
        seq = _sequence_numbers(data.passages)
        for start in range(0, len(todo), BATCH):
            points = []
            for pid, i in todo[start:start + BATCH]:
                p = data.passages[i]
                ids, values = _merge(document_weights(tokens[i], avg_len))
                document = data.documents.get(p.doc_id, {})
                points.append(models.PointStruct(
                    id=pid,
                    vector={DENSE: data.vectors[i].tolist(), SPARSE: models.SparseVector(indices=ids, values=values)},
                    payload={
                        "passage": p.to_dict(), "doc_id": p.doc_id, "doc_type": doc_type(document), "seq": seq[i],
                        "refs": sorted({normalise(r.number) for r in p.references}),
                    },
                ))
            qc.upsert(config.passages, points=points, wait=True)
        _sync_sentences(qc, config, data, models)
        _write_meta(qc, config, data, build, avg_len, models)
    log.info("Qdrant %s: %d points written, %d removed, %d kept", config.passages, len(todo), len(stale),
             len(wanted) - len(todo))
    return len(todo)


def sentence_id(text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"sentence\0{text}"))


def _sync_sentences(qc: Any, config: QdrantConfig, data: IndexData, models: Any) -> None:
    """One point per distinct sentence text with its vector; only new texts are written."""
    if data.sentence_vectors is None:
        return
    texts = sentence_texts(data.passages, sentence_table(data.passages))
    if len(texts) != len(data.sentence_vectors):
        return
    wanted = {sentence_id(t): i for i, t in enumerate(texts)}
    present = set(_point_ids(qc, config.sentences))
    stale = list(present - set(wanted))
    for start in range(0, len(stale), BATCH * 4):
        qc.delete(config.sentences, points_selector=models.PointIdsList(points=stale[start:start + BATCH * 4]))
    todo = [(sid, i) for sid, i in wanted.items() if sid not in present]
    for start in range(0, len(todo), BATCH):
        points = [models.PointStruct(id=sid, vector={DENSE: data.sentence_vectors[i].tolist()}, payload={})
                  for sid, i in todo[start:start + BATCH]]
        qc.upsert(config.sentences, points=points, wait=True)


def _read_sentence_vectors(qc: Any, config: QdrantConfig, passages: list[Passage]) -> np.ndarray | None:
    """The vectors of every sentence of ``passages`` (None when Qdrant lacks some)."""
    if not qc.collection_exists(config.sentences):
        return None
    found: dict[str, list[float]] = {}
    offset = None
    while True:
        points, offset = qc.scroll(config.sentences, limit=BATCH * 4, offset=offset, with_payload=False,
                                   with_vectors=[DENSE])
        found.update((str(p.id), p.vector[DENSE]) for p in points)
        if offset is None:
            break
    texts = sentence_texts(passages, sentence_table(passages))
    rows = [found.get(sentence_id(t)) for t in texts]
    if not rows or any(r is None for r in rows):
        return None
    return np.asarray(rows, dtype=np.float32)


def _sequence_numbers(passages: list[Passage]) -> list[int]:
    counts: Counter[str] = Counter()
    out = []
    for p in passages:
        out.append(counts[p.doc_id])
        counts[p.doc_id] += 1
    return out


def _ensure_collections(qc: Any, config: QdrantConfig, dim: int, models: Any) -> None:
    if not qc.collection_exists(config.passages):
        qc.create_collection(
            config.passages,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if config.is_server:  # embedded mode has no payload indexes
            for field in ("doc_id", "doc_type", "refs"):
                qc.create_payload_index(config.passages, field, field_schema=models.PayloadSchemaType.KEYWORD)
    if not qc.collection_exists(config.sentences):
        qc.create_collection(
            config.sentences, vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)}
        )
    if not qc.collection_exists(config.meta):
        qc.create_collection(config.meta, vectors_config={})


def _point_ids(qc: Any, collection: str) -> Iterator[str]:
    offset = None
    while True:
        points, offset = qc.scroll(collection, limit=BATCH * 4, offset=offset, with_payload=False,
                                   with_vectors=False)
        yield from (str(p.id) for p in points)
        if offset is None:
            return


def _write_meta(qc: Any, config: QdrantConfig, data: IndexData, build: str, avg_len: float, models: Any) -> None:
    order = list(dict.fromkeys(p.doc_id for p in data.passages))
    order += [d for d in data.documents if d not in set(order)]
    points = [
        models.PointStruct(id=str(uuid.uuid5(_NAMESPACE, f"doc\0{doc_id}")), vector={},
                           payload={"kind": "document", "order": n, "document": data.documents[doc_id]})
        for n, doc_id in enumerate(order) if doc_id in data.documents
    ]
    wanted = {str(p.id) for p in points} | {_MANIFEST_ID}
    stale = [pid for pid in _point_ids(qc, config.meta) if pid not in wanted]
    if stale:
        qc.delete(config.meta, points_selector=models.PointIdsList(points=stale))
    for start in range(0, len(points), BATCH):
        qc.upsert(config.meta, points=points[start:start + BATCH], wait=True)
    manifest = {"kind": "manifest", "model": data.model, "dim": data.dim, "parser": data.parser,
                "build": build, "passages": len(data.passages), "avg_len": avg_len}
    qc.upsert(config.meta, points=[models.PointStruct(id=_MANIFEST_ID, vector={}, payload=manifest)], wait=True)


def _manifest(qc: Any, config: QdrantConfig) -> dict[str, Any] | None:
    if not qc.collection_exists(config.meta):
        return None
    found = qc.retrieve(config.meta, ids=[_MANIFEST_ID], with_payload=True)
    return dict(found[0].payload) if found else None


def publish(store: Path, data: IndexData | None = None) -> None:
    """After an ingest: bring Qdrant (when configured) up to date with the live build."""
    config = config_from_env()
    if config is None:
        return
    from index import store as index_store

    build = index_store.current_build(store)
    if build is None:
        return
    sync(config, data if data is not None else index_store.load(store), build.name)


# --- reading ------------------------------------------------------------------------------


class _QdrantIdf(Mapping[str, float]):
    """token → IDF from the document frequencies of the hashed sparse vectors."""

    def __init__(self, df: dict[int, int], n_docs: int) -> None:
        self._df, self._n = df, n_docs

    def __getitem__(self, token: str) -> float:
        df = self._df.get(token_id(token), 0)
        if not df:
            raise KeyError(token)
        return idf(df, self._n)

    def __iter__(self) -> Iterator[str]:
        return iter(())  # tokens are stored hashed: there is no vocabulary to list

    def __len__(self) -> int:
        return len(self._df)


class QdrantLexical:
    """What the answer layer reads from ``retriever.bm25``: ``idf``, ``n_docs`` and ``scores``."""

    def __init__(self, retriever: QdrantRetriever, df: dict[int, int]) -> None:
        self._retriever = retriever
        self.n_docs = len(retriever.passages)
        self.idf: Mapping[str, float] = _QdrantIdf(df, self.n_docs)

    def scores(self, query: list[str]) -> np.ndarray:
        """Every passage's BM25 score (asks Qdrant for all of them: slow, for tools only)."""
        from qdrant_client import models

        r = self._retriever
        out = np.zeros(self.n_docs, dtype=np.float32)
        ids, values = _merge(dict(Counter(query)))
        if not ids:
            return out
        with _guard(r.config):
            found = r.qc.query_points(r.config.passages, query=models.SparseVector(indices=ids, values=values),
                                      using=SPARSE, limit=max(self.n_docs, 1), with_payload=["passage"])
        for p in found.points:
            out[r._position[p.payload["passage"]["id"]]] = p.score
        return out


class QdrantRetriever(Retriever):
    """The :class:`Retriever` calls, answered from a Qdrant collection."""

    def __init__(self, config: QdrantConfig, qc: Any, data: IndexData, df: dict[int, int]) -> None:
        self.config, self.qc = config, qc
        self.data = data
        self.passages = data.passages
        self.vectors = data.vectors
        self.documents = data.documents
        self._embedder = None
        self._index_passages()
        self.bm25 = QdrantLexical(self, df)

    @classmethod
    def connect(cls, config: QdrantConfig) -> QdrantRetriever:
        """Read documents and passages from Qdrant (the vectors stay there)."""
        from index.store import IndexMissingError

        qc = client(config)
        with _guard(config):
            manifest = _manifest(qc, config)
            if manifest is None or not qc.collection_exists(config.passages):
                raise IndexMissingError(
                    f"no index in Qdrant at {config.location} (collection {config.passages}). "
                    "Build it with: reformqa ingest corpus/"
                )
            documents = _read_documents(qc, config)
            passages, df = _read_passages(qc, config, documents)
            sentence_vectors = _read_sentence_vectors(qc, config, passages)
        data = IndexData(manifest["model"], passages, np.zeros((0, int(manifest["dim"])), np.float32),
                         {d: documents[d] for d in documents}, {}, manifest.get("parser", ""), sentence_vectors)
        log.info("Qdrant %s: %d passages of %d documents", config.passages, len(passages), len(documents))
        return cls(config, qc, data, df)

    def _search(
        self, question: str, k: int, doc_ids: set[str] | None, mode: Mode, weights: tuple[float, float],
        doc_types: set[str] | None,
    ) -> list[ScoredPassage]:
        """One Qdrant query; document and type filters run there."""
        from qdrant_client import models

        where = _filter(doc_ids, doc_types, models)
        if doc_ids is not None and not doc_ids:
            return []
        dense_q = embed_query(self.embedder, question) if mode != Mode.LEXICAL else None
        terms = query_weights(question)
        ids, values = _merge(terms)
        sparse_q = models.SparseVector(indices=ids, values=values)
        if mode == Mode.LEXICAL and not ids:
            return []
        numbers = asked_numbers(question) if mode == Mode.HYBRID and doc_ids is None else set()
        limit = max(k, CANDIDATES) if numbers else k
        with _guard(self.config):
            if mode == Mode.DENSE:
                found = self.qc.query_points(self.config.passages, query=dense_q.tolist(), using=DENSE,
                                             query_filter=where, limit=limit, with_payload=["passage"])
            elif mode == Mode.LEXICAL:
                found = self.qc.query_points(self.config.passages, query=sparse_q, using=SPARSE,
                                             query_filter=where, limit=limit, with_payload=["passage"])
            else:
                prefetch = [models.Prefetch(query=dense_q.tolist(), using=DENSE, filter=where, limit=CANDIDATES)]
                if ids:
                    prefetch.append(models.Prefetch(query=sparse_q, using=SPARSE, filter=where, limit=CANDIDATES))
                if weights[0] != weights[1]:
                    raise ValueError("Qdrant's distribution-based fusion weighs the dense and lexical lists alike")
                found = self.qc.query_points(self.config.passages, prefetch=prefetch,
                                             query=models.FusionQuery(fusion=models.Fusion.DBSF), limit=limit,
                                             with_payload=["passage"])
        ranked = [(str(p.id), self._position[p.payload["passage"]["id"]], float(p.score)) for p in found.points]
        if numbers:
            ranked = [(pid, row, score + (REFERENCE_BONUS if numbers & _refs(self.passages[row]) else 0.0))
                      for pid, row, score in ranked]
            ranked.sort(key=lambda x: -x[2])  # stable: ties keep Qdrant's order
        ranked = ranked[:k]
        return self._scored(ranked, dense_q, terms if mode != Mode.DENSE else {})

    def search(
        self, question: str, k: int = 5, k_sentences: int = 20, doc_ids: set[str] | None = None
    ) -> Retrieval:
        """As :meth:`Retriever.search`: passages from Qdrant, sentences searched in this process."""
        q = self.query_vector(question)
        hits = self._search(question, k, doc_ids, Mode.HYBRID, (DENSE_WEIGHT, LEXICAL_WEIGHT), None)
        s_dense, s_lexical, rows = self._sentence_search(question, q, k_sentences, doc_ids)
        seen = {h.passage.id for h in hits}
        extra = [(point_id(self.passages[r]), r, 0.0) for r in rows if self.passages[r].id not in seen]
        hits += self._scored(extra, q, query_weights(question))
        return Retrieval(hits, s_dense, s_lexical, q)

    def _scored(self, ranked: list[tuple[str, int, float]], dense_q: np.ndarray | None,
                terms: dict[str, float]) -> list[ScoredPassage]:
        """Attach each hit's own dense similarity and BM25 score (from its stored vectors)."""
        if not ranked:
            return []
        with _guard(self.config):
            points = self.qc.retrieve(self.config.passages, ids=[pid for pid, _, _ in ranked], with_vectors=True)
        vectors = {str(p.id): p.vector for p in points}
        hits = []
        for pid, row, score in ranked:
            stored = vectors.get(pid, {})
            dense = float(np.dot(np.asarray(stored[DENSE], np.float32), dense_q)) if dense_q is not None else 0.0
            hits.append(ScoredPassage(self.passages[row], score, dense, self._lexical(stored.get(SPARSE), terms)))
        return hits

    def _lexical(self, sparse: Any, terms: dict[str, float]) -> float:
        if sparse is None:
            return 0.0
        weights = dict(zip(sparse.indices, sparse.values))
        total = 0.0
        for token, qtf in terms.items():
            w = weights.get(token_id(token))
            if w:
                total += qtf * w * self.bm25.idf.get(token, 0.0)
        return total

def _refs(passage: Passage) -> set[str]:
    return {normalise(r.number) for r in passage.references}


def _filter(doc_ids: set[str] | None, doc_types: set[str] | None, models: Any) -> Any:
    must = []
    if doc_ids is not None:
        must.append(models.FieldCondition(key="doc_id", match=models.MatchAny(any=sorted(doc_ids))))
    if doc_types is not None:
        must.append(models.FieldCondition(key="doc_type", match=models.MatchAny(any=sorted(normalise(t) for t in doc_types))))
    return models.Filter(must=must) if must else None


def _read_documents(qc: Any, config: QdrantConfig) -> dict[str, dict[str, Any]]:
    found = []
    offset = None
    while True:
        points, offset = qc.scroll(config.meta, limit=BATCH * 4, offset=offset, with_payload=True)
        found += [p.payload for p in points if p.payload.get("kind") == "document"]
        if offset is None:
            break
    found.sort(key=lambda d: d["order"])
    return {d["document"]["id"]: d["document"] for d in found}


def _read_passages(qc: Any, config: QdrantConfig, documents: dict[str, Any]) -> tuple[list[Passage], dict[int, int]]:
    rows: list[tuple[int, int, Passage]] = []
    df: Counter[int] = Counter()
    order = {d: n for n, d in enumerate(documents)}
    offset = None
    while True:
        points, offset = qc.scroll(config.passages, limit=BATCH * 4, offset=offset, with_payload=True,
                                   with_vectors=[SPARSE])
        for p in points:
            payload = p.payload
            rows.append((order.get(payload["doc_id"], math.inf), payload["seq"], Passage.from_dict(payload["passage"])))
            sparse = p.vector.get(SPARSE) if isinstance(p.vector, dict) else None
            if sparse is not None:
                df.update(sparse.indices)
        if offset is None:
            break
    rows.sort(key=lambda r: (r[0], r[1]))
    return [p for _, _, p in rows], dict(df)
