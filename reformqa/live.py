"""The engine over a store's live build, reloaded when any writer switches the build.

An upload in the app, or ``reformqa ingest`` run beside the app, writes a new build and
names it in ``CURRENT``; the next question (or document-list refresh) sees the change and
loads it. Questions keep being answered by the loaded engine while the new one loads. An
engine is warmed up (one question answered) before it serves, so nobody's question pays for
its first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from answer.engine import Engine
from index import store as index_store

log = logging.getLogger(__name__)


class LiveEngine:
    """Holds an :class:`Engine` and the name of the build it was loaded from."""

    def __init__(self, store: Path, load: Callable[[Path], Engine] = Engine.from_store) -> None:
        self.store = Path(store)
        self._load = load
        self._reload_lock = threading.Lock()
        self.build = self._current()
        self._engine = self._ready()

    def _current(self) -> str:
        build = index_store.current_build(self.store)
        return build.name if build else ""

    @property
    def engine(self) -> Engine:
        """The engine of the live build (loading it first if a writer switched builds)."""
        self.refresh()
        return self._engine

    def refresh(self) -> str:
        """Load the live build if a writer switched builds (one thread loads, the others go on
        with the engine they had); the name of the build now served."""
        if self._current() != self.build and self._reload_lock.acquire(blocking=False):
            try:
                self.reload()
            finally:
                self._reload_lock.release()
        return self.build

    def _ready(self) -> Engine:
        """The store's engine, loaded and warmed up."""
        engine = self._load(self.store)
        engine.warm()
        return engine

    def reload(self) -> None:
        build = self._current()
        if build == self.build:
            return
        log.info("index changed (%s -> %s): loading it", self.build or "none", build)
        engine = self._ready()
        self._engine, self.build = engine, build

    def documents(self) -> list[dict[str, Any]]:
        return self.engine.documents()

    def document_choices(self) -> list[tuple[str, str]]:
        """(label, id) pairs for a document filter; the id shows where two titles are the same."""
        docs = self.documents()
        titles = [d["title"] or d["id"] for d in docs]
        return [
            (f"{t} ({d['id']})" if titles.count(t) > 1 else t, d["id"]) for t, d in zip(titles, docs)
        ]
