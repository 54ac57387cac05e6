"""One writer at a time per store, across processes: an exclusive lock on ``<store>/LOCK``.

Every writer (``reformqa ingest``, an upload in the app, any later service) holds the lock
for its whole read-modify-write of the index, so two ingests never both start from the same
build and one of them lost. A second writer waits, saying who holds the lock, or gives up
after ``timeout`` seconds with :class:`StoreBusyError`. The lock is an ``flock``: the kernel
releases it when the holder exits, even after ``kill -9``, so it is never left stale.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_NAME = "LOCK"
POLL_SECONDS = 0.2


class StoreBusyError(Exception):
    """Another writer held the store for longer than the caller would wait."""


def holder(store: Path) -> str:
    """Who holds (or last held) the lock, for messages: pid, command and since when."""
    try:
        info = json.loads((store / LOCK_NAME).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not info:
        return "another process"
    return f"pid {info.get('pid')} on {info.get('host')} ({info.get('command')}), since {info.get('since')}"


@contextmanager
def store_writer(
    store: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the store's writer lock for the ``with`` block; wait for it if another writer has it.

    ``on_wait`` is called once, with who holds the lock, when this writer has to wait.
    """
    store.mkdir(parents=True, exist_ok=True)
    fd = os.open(store / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, store, timeout, on_wait)
        _describe_self(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, store: Path, timeout: float | None, on_wait: Callable[[str], None] | None) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    who = holder(store)
    (on_wait or _log_wait)(who)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"{store}: another ingest is still writing this index ({who}); try again when it "
                    "has finished (một tiến trình khác đang cập nhật chỉ mục; hãy thử lại sau)"
                ) from None
            time.sleep(POLL_SECONDS)


def _log_wait(who: str) -> None:
    log.warning("another ingest is writing this index (%s): waiting for it to finish…", who)


def _describe_self(fd: int) -> None:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
