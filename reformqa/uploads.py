"""Adding one uploaded file to a store, as a transaction: checked, copied, indexed, or rolled back.

The file is copied into ``<store>/uploads/`` and ingested under the ``uploads/`` namespace
(so an upload never replaces a document of the corpus with the same name), all under the
store's writer lock: uploads from several users, and a ``reformqa ingest`` run at the same
time, queue one behind the other. If the file cannot be indexed, the copy is removed (or the
previous upload of that name put back) and the index is left as it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from index.builder import UPLOADS, IngestReport, update_index
from index.lock import StoreBusyError, store_writer
from index.progress import Progress
from ingest.readers import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

#: How long an upload waits for another writer (an ingest of a whole folder) before giving up.
LOCK_TIMEOUT_SECONDS = 600.0


class UploadStatus(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    BUSY = "busy"


@dataclass
class UploadResult:
    """What became of one upload; ``detail`` is the reader's reason when it failed."""

    name: str
    status: UploadStatus
    doc_id: str | None = None
    size: int = 0
    limit: int = 0
    detail: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (UploadStatus.ADDED, UploadStatus.UPDATED, UploadStatus.UNCHANGED)

    @property
    def changed(self) -> bool:
        return self.status in (UploadStatus.ADDED, UploadStatus.UPDATED)


def safe_name(name: str) -> str:
    """A file name safe to store: no folders, no characters shells or Windows trip on."""
    name = Path(name).name.strip().replace("\x00", "")
    name = re.sub(r"[\\/:*?\"<>|\s]+", "-", name).strip(".-") or "tai-lieu"
    return name[:150]


def add_upload(
    store: Path,
    upload: Path,
    *,
    max_bytes: int,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> UploadResult:
    """Check, copy into ``uploads/`` and index one uploaded file (named by its file name)."""
    name = safe_name(upload.name)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return UploadResult(name, UploadStatus.UNSUPPORTED)
    size = upload.stat().st_size
    if size > max_bytes:
        return UploadResult(name, UploadStatus.TOO_LARGE, size=size, limit=max_bytes)
    if size == 0:
        return UploadResult(name, UploadStatus.EMPTY)
    try:
        with store_writer(store, timeout=LOCK_TIMEOUT_SECONDS, on_wait=on_wait):
            return _add_locked(store, upload, name, progress)
    except StoreBusyError as exc:
        return UploadResult(name, UploadStatus.BUSY, detail=str(exc))


def _add_locked(store: Path, upload: Path, name: str, progress: Progress | None) -> UploadResult:
    folder = store / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    backup = dest.with_name(f".{name}.previous") if dest.exists() else None
    if backup:
        os.replace(dest, backup)
    shutil.copyfile(upload, dest)
    try:
        report = update_index([dest], store, progress=progress, namespace=f"{UPLOADS}/")
    except BaseException:
        log.exception("ingest of %s failed", dest)
        _restore(dest, backup)
        raise
    if report.failed:
        _restore(dest, backup)
        reason = "; ".join(r for _, r in report.failed)
        log.warning("upload rejected: %s", reason)
        return UploadResult(name, UploadStatus.UNREADABLE, detail=reason)
    if backup:
        backup.unlink(missing_ok=True)
    return UploadResult(name, _status(report), doc_id=report.doc_ids.get(str(dest.resolve())),
                        warnings=[w for _, w in report.warnings])


def _status(report: IngestReport) -> UploadStatus:
    if report.updated:
        return UploadStatus.UPDATED
    if report.added:
        return UploadStatus.ADDED
    return UploadStatus.UNCHANGED


def _restore(dest: Path, backup: Path | None) -> None:
    dest.unlink(missing_ok=True)
    if backup and backup.exists():
        os.replace(backup, dest)
