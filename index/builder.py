"""Incremental ingest: parse what changed, reuse what did not, switch builds atomically."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import qdrant
from index import store as index_store
from index.embeddings import embed_in_batches, load_embedder, model_spec
from index.store import FileEntry, IndexData
from ingest.models import Document, Passage
from ingest.pipeline import PARSER_VERSION, parse_file
from ingest.source import IngestError

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    """What an ingest did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest under ``paths`` (folders recursively), and paths that do not exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append((str(path), f"{path}: no such file or folder"))
    return [f.resolve() for f in files], missing


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(
    paths: Iterable[Path | str],
    store: Path,
    *,
    progress: Progress | None = None,
    model: str | None = None,
) -> IngestReport:
    """Bring the index in ``store`` up to date with the files under ``paths``.

    Unchanged files (same content hash, embedding model and parser version) are skipped; changed files
    replace their passages; files gone from a folder being ingested leave the index (files
    ingested from elsewhere stay). A file that fails
    keeps its previous passages, if any, and is reported in ``failed``.
    """
    report = IngestReport()
    spec = model or model_spec()
    paths = [Path(p) for p in paths]
    files, missing = discover(paths)
    report.failed += missing
    old = index_store.load(store) if index_store.exists(store) else None
    if old is not None and old.model != spec:
        log.info("embedding model changed (%s -> %s): re-embedding everything", old.model, spec)
        old = None
    reparse = old is not None and old.parser != PARSER_VERSION
    if reparse:
        log.info("parser changed (%s -> %s): re-parsing every file", old.parser or "1", PARSER_VERSION)

    old_files = old.files if old else {}
    keep: dict[str, FileEntry] = {}
    new_docs: list[tuple[Path, str, Document]] = []
    total = len(files)
    for i, path in enumerate(files, 1):
        key = str(path)
        if progress:
            progress(path.name, i, total)
        try:
            digest = file_hash(path)
        except OSError as exc:
            report.failed.append((key, f"{path.name}: cannot read ({exc.strerror})"))
            continue
        previous = old_files.get(key)
        if previous and previous.sha256 == digest and not reparse:
            keep[key] = previous
            report.unchanged.append(key)
            continue
        try:
            doc = parse_file(path)
        except IngestError as exc:
            report.failed.append((key, str(exc)))
            if previous:
                keep[key] = previous
            continue
        new_docs.append((path, digest, doc))
        (report.updated if previous else report.added).append(key)

    seen = {str(p) for p, _, _ in new_docs} | set(keep)
    folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    for key, entry in old_files.items():
        if key in seen:
            continue
        scanned = any(Path(key).is_relative_to(folder) for folder in folders)
        if scanned and not Path(key).exists():
            report.removed.append(key)  # gone from a folder we just read: it leaves the index
        else:
            keep[key] = entry  # ingested earlier from elsewhere: still valid

    if not report.changed and old is not None and not reparse:
        report.passages = len(old.passages)
        qdrant.publish(store, old)  # when configured, Qdrant catches up with the live build
        return report

    data = _assemble(old, keep, new_docs, spec, progress)
    report.passages = len(data.passages)
    index_store.save(store, data)
    qdrant.publish(store, data)
    return report


def _assemble(
    old: IndexData | None,
    keep: dict[str, FileEntry],
    new_docs: list[tuple[Path, str, Document]],
    spec: str,
    progress: Progress | None,
) -> IndexData:
    kept_ids = {e.doc_id for e in keep.values()}
    new_ids = {d.id for _, _, d in new_docs}
    passages: list[Passage] = []
    rows: list[np.ndarray] = []
    documents: dict[str, dict] = {}
    if old is not None:
        mask = [p.doc_id in kept_ids and p.doc_id not in new_ids for p in old.passages]
        passages += [p for p, m in zip(old.passages, mask) if m]
        if any(mask):
            rows.append(old.vectors[np.array(mask)])
        documents.update({k: v for k, v in old.documents.items() if k in kept_ids - new_ids})

    # a passage whose embedded text is already known keeps its vector: unchanged passages
    # (re-parse, small edits) and identical text in other documents are embedded once
    known: dict[str, np.ndarray] = {}
    if old is not None:
        known = {embed_text(p): v for p, v in zip(old.passages, old.vectors)}
    wanted = [embed_text(p) for _, _, doc in new_docs for p in doc.passages]
    todo = [t for t in dict.fromkeys(wanted) if t not in known]
    log.info("%d passages to index: %d embedded before or repeated, %d to embed",
             len(wanted), len(wanted) - len(todo), len(todo))
    if todo:
        embedder = load_embedder(spec)

        def batch_done(done: int, total: int) -> None:
            if progress:
                progress("embedding passages", done, total)

        batch_done(0, len(todo))
        known.update(zip(todo, embed_in_batches(embedder, todo, on_batch=batch_done)))
    files = dict(keep)
    for path, digest, doc in new_docs:
        texts = [embed_text(p) for p in doc.passages]
        if texts:
            rows.append(np.vstack([known[t] for t in texts]).astype(np.float32))
        passages += doc.passages
        documents[doc.id] = {
            "id": doc.id,
            "title": doc.title,
            "source": doc.source,
            "metadata": doc.metadata,
            "footnotes": [f.to_dict() for f in doc.footnotes],
            "articles": doc.articles,
            "passages": len(doc.passages),
        }
        files[str(path)] = FileEntry(str(path), digest, doc.id, len(doc.passages))
    vectors = np.vstack(rows) if rows else np.zeros((0, 0), np.float32)
    return IndexData(spec, passages, vectors, documents, files, PARSER_VERSION)


def embed_text(passage: Passage) -> str:
    """What the dense model sees: the article heading (if the chunk lacks it) and the text."""
    return f"{passage.heading}\n{passage.plain}" if passage.heading else passage.plain
