"""Incremental ingest: parse what changed, reuse what did not, switch builds atomically.

A document's id is its path relative to the folder it was ingested from (``2020/bao-cao.md``),
with uploads in their own namespace (``uploads/bao-cao.md``); a file keeps its id for as long
as it is in the index, and a new file whose id is taken gets a longer one (``b/bao-cao.md``),
so one file never replaces another. The whole read-modify-write holds the store's writer
lock (:mod:`index.lock`), so concurrent writers queue instead of losing each other's work.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import qdrant
from index import store as index_store
from index.embeddings import embed_in_batches, embed_passages, load_embedder, model_spec
from index.lock import store_writer
from index.progress import SENTENCES, EmbeddingMeter, IngestStep, Progress, Stage
from index.sentences import sentence_table, sentence_texts
from index.store import FileEntry, IndexData
from ingest import limits
from ingest.discovery import Discovery, FoundFile, discover
from ingest.models import Document, Passage
from ingest.pipeline import PARSER_VERSION, parse_file
from ingest.source import IngestError

log = logging.getLogger(__name__)

UPLOADS = "uploads"
#: Texts embedded per progress report (a multiple of the embedders' batch of 16).
EMBED_CHUNK = 64


@dataclass
class IngestReport:
    """What an ingest did, file by file (keys are absolute paths), and what it left out and why."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    doc_ids: dict[str, str] = field(default_factory=dict)
    passages: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Work:
    """A file to (re-)parse: where it is, the id it will have, what the index held for it."""

    path: Path
    doc_id: str
    digest: str
    previous: FileEntry | None


def file_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def ingest(
    paths: Iterable[Path | str],
    store: Path,
    *,
    progress: Progress | None = None,
    model: str | None = None,
    namespace: str = "",
    lock_timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the index in ``store`` up to date with the files under ``paths``, holding the
    store's writer lock (waiting up to ``lock_timeout`` seconds for it; ``on_wait`` is told who
    holds it). See :func:`update_index`."""
    store = Path(store)
    with store_writer(store, timeout=lock_timeout, on_wait=on_wait):
        return update_index(paths, store, progress=progress, model=model, namespace=namespace)


def update_index(
    paths: Iterable[Path | str],
    store: Path,
    *,
    progress: Progress | None = None,
    model: str | None = None,
    namespace: str = "",
) -> IngestReport:
    """:func:`ingest` for a caller that already holds the store's writer lock.

    Unchanged files (same content hash, embedding model and parser version) are skipped; changed
    files replace their passages; files gone from a folder being ingested leave the index (files
    ingested from elsewhere stay). A file that fails keeps its previous passages, if any, and is
    reported in ``failed``; entries that are not documents are reported in ``skipped``; a
    document with the same content or title as another, an id made longer to stay unique and
    what the reader changed are reported in ``warnings``. ``namespace`` prefixes the ids
    (``uploads/`` for the app's uploads).
    """
    found = discover(Path(p) for p in paths)
    return _ingest(found, Path(store), progress, model or model_spec(), namespace)


def _ingest(found: Discovery, store: Path, progress: Progress | None, spec: str, namespace: str) -> IngestReport:
    report = IngestReport(failed=list(found.failed), skipped=list(found.skipped))
    old = index_store.load(store) if index_store.exists(store) else None
    if old is not None and old.model != spec:
        log.info("embedding model changed (%s -> %s): re-embedding everything", old.model, spec)
        old = None
    reparse = old is not None and old.parser != PARSER_VERSION
    if reparse:
        log.info("parser changed (%s -> %s): re-parsing every file", old.parser or "1", PARSER_VERSION)
    old_files = old.files if old else {}

    files = [FoundFile(f.path, f"{namespace}{f.name}") for f in found.files]
    if reparse:  # ids and passages of every file still on disk are made anew
        files += _migrating(old_files, {str(f.path) for f in files}, found, store)
    keep, work = _plan(files, old_files, found, reparse, report)
    _assign_ids(work, keep, reparse, report)

    new_docs: list[tuple[_Work, Document]] = []
    for i, item in enumerate(work, 1):
        key = str(item.path)
        if progress:
            progress(IngestStep(Stage.READ, i, len(work), name=item.doc_id))
        try:
            doc = parse_file(item.path, item.doc_id)
        except IngestError as exc:
            report.failed.append((key, f"{item.doc_id}: {exc.reason}"))
            if item.previous:
                keep[key] = item.previous
            continue
        new_docs.append((item, doc))
        report.doc_ids[key] = doc.id
        (report.updated if item.previous else report.added).append(key)
        report.warnings += [(key, f"{doc.id}: {notice}") for notice in doc.notices]
    _report_duplicates(new_docs, keep, old, report)

    if not report.changed and old is not None and not reparse and old.sentence_vectors is not None:
        report.passages = len(old.passages)
        qdrant.publish(store, old)  # when configured, Qdrant catches up with the live build
        return report
    data = _assemble(old, keep, new_docs, spec, progress)
    report.passages = len(data.passages)
    index_store.save(store, data)
    qdrant.publish(store, data)
    return report


def _migrating(old_files: dict[str, FileEntry], listed: set[str], found: Discovery, store: Path) -> list[FoundFile]:
    """Files indexed by an older parser and not named in this ingest, to re-parse under new ids."""
    uploads = (store / UPLOADS).resolve()
    out = []
    for key in old_files:
        path = Path(key)
        if key in listed or found.under_unreadable(path) or not _readable_file(path):
            continue
        name = f"{UPLOADS}/{path.name}" if path.is_relative_to(uploads) else path.name
        out.append(FoundFile(path, name))
    return out


def _readable_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _plan(
    files: list[FoundFile],
    old_files: dict[str, FileEntry],
    found: Discovery,
    reparse: bool,
    report: IngestReport,
) -> tuple[dict[str, FileEntry], list[_Work]]:
    """Split the files into unchanged (kept) and to parse; decide what leaves the index."""
    keep: dict[str, FileEntry] = {}
    work: list[_Work] = []
    for f in files:
        key = str(f.path)
        previous = old_files.get(key)
        try:
            digest = file_hash(f.path)
        except PermissionError:
            report.failed.append((key, f"{f.name}: permission denied: this account may not read the file; "
                                  "ask its owner for read access (không có quyền đọc tệp)"))
            if previous:
                keep[key] = previous
            continue
        except OSError as exc:
            report.failed.append((key, f"{f.name}: cannot read ({exc.strerror or exc}) (không đọc được tệp)"))
            if previous:
                keep[key] = previous
            continue
        if previous and previous.sha256 == digest and not reparse:
            keep[key] = previous
            report.unchanged.append(key)
            report.doc_ids[key] = previous.doc_id
        else:
            work.append(_Work(f.path, f.name, digest, previous))
    listed = {str(f.path) for f in files}
    for key, entry in old_files.items():
        if key in listed or key in keep:
            continue
        path = Path(key)
        walked = any(path.is_relative_to(root) for root in found.roots)
        if walked and not found.under_unreadable(path) and not _exists(path):
            report.removed.append(key)  # gone from a folder we just read: it leaves the index
        else:
            keep[key] = entry  # ingested earlier from elsewhere, or in a folder we could not read
    return keep, work


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # there, but not for us to see: not a reason to drop it
    return True


def _assign_ids(work: list[_Work], keep: dict[str, FileEntry], reparse: bool, report: IngestReport) -> None:
    """A file already indexed keeps its id; a new one gets its relative path, made longer if taken."""
    taken = {entry.doc_id: key for key, entry in keep.items()}
    fresh = []
    for item in work:
        if item.previous and not reparse:
            item.doc_id = item.previous.doc_id
            taken[item.doc_id] = str(item.path)
        else:
            fresh.append(item)
    for item in fresh:
        wanted = item.doc_id
        holder = taken.get(wanted)
        if holder is not None and holder in keep and not _exists(Path(holder)):
            # the file that had this id is gone from disk (moved or deleted): its entry goes
            report.removed.append(holder)
            report.warnings.append((holder, f"{wanted}: the file is gone; {item.path} now has this id"))
            del keep[holder]
            holder = None
        if holder is not None:
            item.doc_id = _longer_id(item.path, wanted, taken)
            report.warnings.append(
                (str(item.path), f"{item.doc_id}: another document already has the id {wanted} "
                 f"({holder}); this one is indexed as {item.doc_id} (trùng tên, tài liệu này có mã {item.doc_id})")
            )
        taken[item.doc_id] = str(item.path)


def _longer_id(path: Path, wanted: str, taken: dict[str, str]) -> str:
    """``wanted`` with more of the file's folders in front, until no other document has it."""
    namespace = f"{UPLOADS}/" if wanted.startswith(f"{UPLOADS}/") else ""
    parts = path.parts
    for n in range(2, len(parts) + 1):
        candidate = namespace + "/".join(parts[-n:]).lstrip("/")
        if candidate not in taken and candidate != wanted:
            return candidate
    return f"{wanted}~{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def _report_duplicates(
    new_docs: list[tuple[_Work, Document]], keep: dict[str, FileEntry], old: IndexData | None,
    report: IngestReport,
) -> None:
    """A new document with the same content hash or title as another is indexed and reported."""
    hashes = {entry.sha256: entry.doc_id for entry in keep.values()}
    titles: dict[str, str] = {}
    if old is not None:
        kept_ids = {entry.doc_id for entry in keep.values()}
        for doc_id, d in old.documents.items():
            if doc_id in kept_ids and (title := _title_key(d.get("title", ""))) is not None:
                titles.setdefault(title, doc_id)
    for item, doc in new_docs:
        key = str(item.path)
        same = hashes.get(item.digest)
        if same is not None and same != doc.id:
            report.warnings.append((key, f"{doc.id}: same content as {same}; both are indexed (trùng nội dung với {same})"))
        elif (title := _title_key(doc.title)) is not None:
            twin = titles.get(title)
            if twin is not None and twin != doc.id:
                report.warnings.append(
                    (key, f"{doc.id}: same title as {twin} («{doc.title}»); both are indexed (trùng tiêu đề với {twin})")
                )
        hashes.setdefault(item.digest, doc.id)
        if (title := _title_key(doc.title)) is not None:
            titles.setdefault(title, doc.id)


_GENERIC_TITLES = {"", "văn bản"}


def _title_key(title: str) -> str | None:
    """Titles compared case- and space-insensitively; a generic title ("Văn bản") is no one's."""
    key = " ".join(title.lower().split())
    return None if key in _GENERIC_TITLES else key


def _assemble(
    old: IndexData | None,
    keep: dict[str, FileEntry],
    new_docs: list[tuple[_Work, Document]],
    spec: str,
    progress: Progress | None,
) -> IndexData:
    kept_ids = {e.doc_id for e in keep.values()}
    new_ids = {d.id for _, d in new_docs}
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
    _embed_new(new_docs, known, spec, progress)
    files = dict(keep)
    for item, doc in new_docs:
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
        files[str(item.path)] = FileEntry(str(item.path), item.digest, doc.id, len(doc.passages))
    vectors = np.vstack(rows) if rows else np.zeros((0, 0), np.float32)
    sentences = embed_sentences(passages, old, spec, progress)
    return IndexData(spec, passages, vectors, documents, files, PARSER_VERSION, sentences)


def embed_sentences(
    passages: list[Passage], old: IndexData | None, spec: str, progress: Progress | None = None
) -> np.ndarray:
    """Vectors of every sentence of ``passages``; sentences already embedded keep their vector."""
    texts = sentence_texts(passages, sentence_table(passages))
    known: dict[str, np.ndarray] = {}
    if old is not None and old.sentence_vectors is not None:
        old_texts = sentence_texts(old.passages, sentence_table(old.passages))
        if len(old_texts) == len(old.sentence_vectors):
            known = dict(zip(old_texts, old.sentence_vectors))
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    if todo:
        embedder = load_embedder(spec)
        meter = EmbeddingMeter(len(todo), what=SENTENCES)
        for start in range(0, len(todo), EMBED_CHUNK):
            batch = todo[start : start + EMBED_CHUNK]
            known.update(zip(batch, embed_passages(embedder, batch)))
            if progress:
                progress(meter.advance(len(batch)))
    if not texts:
        return np.zeros((0, 0), np.float32)
    return np.vstack([known[t] for t in texts]).astype(np.float32)


def _embed_new(
    new_docs: list[tuple[_Work, Document]], known: dict[str, np.ndarray], spec: str, progress: Progress | None
) -> None:
    """Embed, in one pass of fixed-size batches, every passage text not yet in ``known`` (text
    already embedded, in this run or an earlier build, is embedded once), reporting progress."""
    wanted = [embed_text(p) for _, doc in new_docs for p in doc.passages]
    todo = [t for t in dict.fromkeys(wanted) if t not in known]
    log.info("%d passages to index: %d embedded before or repeated, %d to embed",
             len(wanted), len(wanted) - len(todo), len(todo))
    if not todo:
        return
    embedder = load_embedder(spec)
    meter = EmbeddingMeter(len(todo))

    def batch_done(done: int, total: int) -> None:
        step = meter.advance(done - meter.done)
        if progress:
            progress(step)

    known.update(zip(todo, embed_in_batches(embedder, todo, on_batch=batch_done)))


def embed_text(passage: Passage) -> str:
    """What the dense model sees: the article heading (if the chunk lacks it) and the text, cut
    to what the model reads (``limits.MAX_EMBED_CHARS``)."""
    text = f"{passage.heading}\n{passage.plain}" if passage.heading else passage.plain
    return text[: limits.MAX_EMBED_CHARS]
