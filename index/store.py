"""The on-disk index: one immutable folder per build, switched atomically.

Layout of the store directory (``storage/`` by default, ``--store`` or ``REFORMQA_STORE``)::

    CURRENT                 name of the live build folder (replaced atomically)
    builds/<name>/
        manifest.json       embedding model, parser version, files with content hashes, counts
        documents.json      per-document title, metadata, footnotes, articles
        passages.jsonl      one passage a line (``Passage.to_dict``), in row order
        vectors.faiss       FAISS flat inner-product index, row i = passage ids[i] (exact vectors)
        ann.faiss           approximate FAISS index over the same rows, only for large indexes
        lexical/            the BM25 index (``bm25s`` sparse matrices and vocabulary)
        ids.json            passage ids in FAISS row order
        sentences.npy       float16 sentence vectors, in the order of index.sentences.sentence_table

Builds of format 1 kept passages in a llama-index ``docstore.json``; they still load (their
BM25 index is rebuilt in memory) and the next ingest writes format 2.

A build is written to a fresh folder and only then named in CURRENT, so a crash or a bad
file mid-ingest leaves the previous build live and intact.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.dense import VectorIndex
from index.lexical import BM25
from ingest.models import Passage

log = logging.getLogger(__name__)

ENV_STORE = "REFORMQA_STORE"
DEFAULT_STORE = "storage"
FORMAT_VERSION = 2
PASSAGES_FILE = "passages.jsonl"
LEXICAL_DIR = "lexical"


class IndexMissingError(Exception):
    """No index has been built in the store yet."""


def store_dir(explicit: str | Path | None = None) -> Path:
    """The store directory: explicit argument, else ``REFORMQA_STORE``, else ``storage/``."""
    return Path(explicit or os.environ.get(ENV_STORE) or DEFAULT_STORE).expanduser()


@dataclass
class FileEntry:
    """One ingested file: where it was, its content hash and its document id."""

    path: str
    sha256: str
    doc_id: str
    passages: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IndexData:
    """Everything a build holds, in memory."""

    model: str
    passages: list[Passage]
    vectors: np.ndarray
    documents: dict[str, dict[str, Any]]
    files: dict[str, FileEntry] = field(default_factory=dict)
    parser: str = ""
    sentence_vectors: np.ndarray | None = None  # None: built before sentences were embedded
    # search structures over ``passages``/``vectors``; built by :func:`save` when missing
    lexical: BM25 | None = field(default=None, repr=False)
    vector_index: VectorIndex | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.size else 0

    def lexical_index(self) -> BM25:
        """The BM25 index of the passages (built now if this data has none)."""
        if self.lexical is None or self.lexical.n_docs != len(self.passages):
            self.lexical = build_lexical(self.passages)
        return self.lexical

    def dense_index(self) -> VectorIndex:
        """The vector index (exact or approximate by size; built now if this data has none)."""
        if self.vector_index is None or not self.vector_index.matches(self.vectors):
            self.vector_index = VectorIndex.build(self.vectors)
        return self.vector_index


def build_lexical(passages: list[Passage]) -> BM25:
    """BM25 over what the lexical search sees of each passage."""
    t0 = time.perf_counter()
    bm25 = BM25.from_texts(p.search_text for p in passages)
    log.info("BM25 over %d passages built in %.1f s", len(passages), time.perf_counter() - t0)
    return bm25


def current_build(store: Path) -> Path | None:
    """The live build folder, or None."""
    marker = store / "CURRENT"
    if not marker.is_file():
        return None
    build = store / "builds" / marker.read_text(encoding="utf-8").strip()
    return build if (build / "manifest.json").is_file() else None


def exists(store: Path) -> bool:
    return current_build(store) is not None


def save(store: Path, data: IndexData) -> Path:
    """Write ``data`` as a new build, then switch CURRENT to it and drop older builds."""
    builds = store / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    name = f"b{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    tmp = builds / f".{name}.tmp"
    tmp.mkdir()
    try:
        with (tmp / PASSAGES_FILE).open("w", encoding="utf-8") as out:
            for p in data.passages:
                out.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        ids = [p.id for p in data.passages]
        _write_json(tmp / "ids.json", ids)
        dim = data.dim or 1
        index = faiss.IndexFlatIP(dim)
        if data.vectors.size:
            index.add(np.ascontiguousarray(data.vectors, dtype=np.float32))
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        if data.sentence_vectors is not None:
            np.save(tmp / "sentences.npy", data.sentence_vectors.astype(np.float16))
        data.dense_index().save(tmp)
        data.lexical_index().save(tmp / LEXICAL_DIR)
        _write_json(tmp / "documents.json", data.documents)
        _write_json(
            tmp / "manifest.json",
            {
                "format": FORMAT_VERSION,
                "model": data.model,
                "parser": data.parser,
                "dim": data.dim,
                "passages": len(data.passages),
                "files": {k: v.to_dict() for k, v in data.files.items()},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            },
        )
        final = builds / name
        os.replace(tmp, final)
        _replace_text(store / "CURRENT", name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in builds.iterdir():
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    log.info("index saved: %d passages in %s", len(data.passages), final)
    return final


def load(store: Path) -> IndexData:
    """Load the live build; raises :class:`IndexMissingError` when there is none."""
    build = current_build(store)
    if build is None:
        raise IndexMissingError(
            f"no index in {store}. Build it with: reformqa ingest corpus/ (or make run)"
        )
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    passages = _load_passages(build)
    index = faiss.read_index(str(build / "vectors.faiss"))
    vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, 0), np.float32)
    vectors = np.asarray(vectors, np.float32)
    documents = json.loads((build / "documents.json").read_text(encoding="utf-8"))
    files = {k: FileEntry(**v) for k, v in manifest.get("files", {}).items()}
    sentences = build / "sentences.npy"
    sentence_vectors = np.load(sentences).astype(np.float32) if sentences.is_file() else None
    lexical = BM25.load(build / LEXICAL_DIR) if (build / LEXICAL_DIR).is_dir() else None
    return IndexData(
        manifest["model"], passages, vectors, documents, files, manifest.get("parser", ""), sentence_vectors,
        lexical=lexical, vector_index=VectorIndex.load(build, vectors),
    )


def _load_passages(build: Path) -> list[Passage]:
    path = build / PASSAGES_FILE
    if path.is_file():
        with path.open(encoding="utf-8") as lines:
            return [Passage.from_dict(json.loads(line)) for line in lines]
    # format 1: a llama-index docstore, in the order of ids.json
    from llama_index.core.storage.docstore import SimpleDocumentStore

    ids = json.loads((build / "ids.json").read_text(encoding="utf-8"))
    docstore = SimpleDocumentStore.from_persist_path(str(build / "docstore.json"))
    return [Passage.from_dict(docstore.get_node(i).metadata) for i in ids]


def size_on_disk(store: Path) -> int:
    """Bytes used by the live build."""
    build = current_build(store)
    return sum(f.stat().st_size for f in build.rglob("*") if f.is_file()) if build else 0


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
