"""Documents a question names ("Theo Nghị định 63/2010/NĐ-CP, …", "theo NĐ 170"), to search within them.

When a question names a document, the answer must come from that document, and the words
that name it should not pull towards passages that merely cite it (titles, preambles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from index.lexical import normalise
from ingest.references import DOC_TYPES, TYPE_ABBREVIATIONS

_TYPE = "|".join(t.lower() for t in DOC_TYPES)
_SHORT = {short.lower(): kind.lower() for short, kind in TYPE_ABBREVIATIONS.items()}
_MENTION = re.compile(
    rf"(?P<kind>{_TYPE}|\b(?:{'|'.join(_SHORT)})(?=\s+(?:số\s*)?\d))"
    rf"(?:\s+số)?\s*:?\s*(?P<num>\d+)(?P<rest>(?:/\d{{4}})?(?:[/-][\wđ&.]+)*)"
    rf"(?:\s+(?:ngày|năm)\s+[\d/]+(?:\s+tháng\s+\d+\s+năm\s+\d+)?)?"
)
_NAMED_LAW = re.compile(r"luật\s+(?P<name>[\wà-ỹđ ,]+?)(?=\s+(?:số|năm|\d)|[?.;:]|$)")


@dataclass(frozen=True)
class Scope:
    """Documents named by a question and the question without the naming words."""

    doc_ids: frozenset[str]
    question: str


def find_scope(question: str, documents: dict[str, dict[str, Any]]) -> Scope:
    """Documents of the index that ``question`` names, by number or by a law's name."""
    key = normalise(question)
    chosen: set[str] = set()
    spans: list[tuple[int, int]] = []
    for m in _MENTION.finditer(key):
        kind, num = _SHORT.get(m.group("kind"), m.group("kind")), m.group("num")
        rest = m.group("rest").rstrip(".,;:")
        for doc_id, doc in documents.items():
            number = normalise(str(doc.get("metadata", {}).get("number", "")))
            dtype = normalise(str(doc.get("metadata", {}).get("type", "")))
            if not number:
                continue
            same_number = number == f"{num}{rest}" or (not rest and number.split("/")[0] == num) or (
                rest and number.startswith(f"{num}{rest}")
            )
            if same_number and (dtype == kind or not dtype):
                chosen.add(doc_id)
                spans.append(m.span())
    for m in _NAMED_LAW.finditer(key):
        name = m.group("name").strip(" ,")
        for doc_id, doc in documents.items():
            dtype = normalise(str(doc.get("metadata", {}).get("type", "")))
            if dtype == "luật" and len(name) > 5 and name in normalise(doc.get("title", "")):
                chosen.add(doc_id)
                end = m.end()
                tail = re.match(r"\s+(?:số\s+[\w/]+|(?:năm\s+)?(?:19|20)\d{2}\b)", key[end:])
                spans.append((m.start(), end + (tail.end() if tail else 0)))
    if not chosen:
        return Scope(frozenset(), question)
    stripped = _remove_spans(question, key, spans)
    return Scope(frozenset(chosen), stripped)


def _remove_spans(question: str, key: str, spans: list[tuple[int, int]]) -> str:
    # ``normalise`` keeps lengths for NFC input, so spans of ``key`` index ``question`` too.
    if len(key) != len(question):
        return question
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        # "Theo / Căn cứ / Tại <document>" goes with the document's name
        lead = _LEAD.search(question[pos:a])
        out.append(question[pos : pos + lead.start()] if lead else question[pos:a])
        pos = b
    out.append(question[pos:])
    text = re.sub(r"\s+", " ", "".join(out))
    return text.strip(" ,") or question


_LEAD = re.compile(r"(?:^|\s)(?:theo|căn cứ|trong|tại)\s*[,:]?\s*$", re.IGNORECASE)
