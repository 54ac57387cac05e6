"""Thumbs up/down on answers, in ``<store>/feedback.sqlite3``; written by the app, exported by the CLI."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "feedback.sqlite3"
COLUMNS = ("ts", "question", "answer", "liked", "citations_json")


class FeedbackStore:
    """One row per vote: time, question, answer, liked (1/0) and the citations as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS feedback ("
                "ts TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, "
                "liked INTEGER NOT NULL, citations_json TEXT NOT NULL)"
            )

    @classmethod
    def in_store(cls, store: Path) -> FeedbackStore:
        return cls(Path(store) / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: str, liked: bool, citations: list[dict[str, Any]]) -> None:
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            question,
            answer,
            int(bool(liked)),
            json.dumps(citations, ensure_ascii=False),
        )
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)", row)
        log.info("feedback %s: %s", "👍" if liked else "👎", question[:80])

    def rows(self) -> list[dict[str, Any]]:
        with closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY rowid")]


def export(rows: list[dict[str, Any]], fmt: str = "jsonl") -> str:
    """Votes as JSON lines (citations as a list) or CSV (citations as their JSON text)."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in rows)
        return out.getvalue()
    lines = []
    for r in rows:
        record = {k: r[k] for k in COLUMNS if k != "citations_json"}
        record["liked"] = bool(record["liked"])
        record["citations"] = json.loads(r["citations_json"] or "[]")
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(f"{line}\n" for line in lines)
