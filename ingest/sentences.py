"""Sentences of a passage, with offsets, for quoting."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.vietnamese import UPPER

_BOUNDARY = re.compile(rf"(?<=[.!?;])\s+(?=[\"“(]?[{UPPER}0-9\-+•])|\n+")
_LIST_MARKER = re.compile(r"^(?:\d+(?:\.\d+)*|[a-zđ]|[IVXLC]+)\.$")
_ABBREV_END = re.compile(r"(?:\b[A-ZĐ]{1,3}|TP|Tp|ThS|TS|v\.v)\.$")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its text as written and its span in the passage text."""

    text: str
    start: int
    end: int
    cut_start: bool = False
    cut_end: bool = False

    @property
    def display(self) -> str:
        """The text with "…" where a long sentence was cut to its best clauses."""
        return ("… " if self.cut_start else "") + self.text + (" …" if self.cut_end else "")


def split_sentences(text: str) -> list[Sentence]:
    """Split at sentence ends and line breaks (list items, clauses stay separate)."""
    out: list[Sentence] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        head = text[pos : m.start()].strip()
        if m.group().strip() == "" and (_ABBREV_END.search(head) or _LIST_MARKER.match(head)):
            continue
        _append(out, text, pos, m.start())
        pos = m.end()
    _append(out, text, pos, len(text))
    return out


def _append(out: list[Sentence], text: str, a: int, b: int) -> None:
    piece = text[a:b]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    out.append(Sentence(stripped, a + lead, a + lead + len(stripped)))
