"""Citations [n]: one builder, and the check that every marker points to a real source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.models import Footnote, Passage
from ingest.passages import footnote_numbers
from ingest.vietnamese import contains

MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Citation:
    """One source used by an answer: the passage, the quoted text, its footnotes."""

    n: int
    document: str
    source: str
    section: str
    article: str | None
    quote: str
    footnotes: list[Footnote]
    score: float
    passage_id: str = ""
    passage_text: str = ""
    quote_span: tuple[int, int] = (0, 0)
    references: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The citation object of ``ask --json`` (field names are an interface)."""
        return {
            "n": self.n,
            "document": self.document,
            "source": self.source,
            "section": self.section,
            "article": self.article,
            "quote": self.quote,
            "footnotes": [f.to_dict() for f in self.footnotes],
            "score": round(float(self.score), 6),
        }


def cite(n: int, passage: Passage, start: int, end: int, score: float) -> Citation:
    """Citation ``n``: ``passage.text[start:end]`` quoted, with the footnotes its markers name."""
    quote = passage.text[start:end]
    defined = {f.number: f for f in passage.footnotes}
    return Citation(
        n=n,
        document=passage.document,
        source=passage.source,
        section=passage.section,
        article=passage.article,
        quote=quote,
        footnotes=[defined[k] for k in footnote_numbers(quote, defined)],
        score=score,
        passage_id=passage.id,
        passage_text=passage.text,
        quote_span=(start, end),
        references=[r.number for r in passage.references],
    )


def check_citations(answer: str, citations: list[Citation]) -> list[str]:
    """Problems with the [n] markers of ``answer``; an empty list means all is well.

    Every marker must name a citation; every citation must be used; each quote must occur
    in its passage.
    """
    problems: list[str] = []
    by_n = {c.n: c for c in citations}
    used = {int(m) for m in MARKER.findall(answer)}
    for n in sorted(used - by_n.keys()):
        problems.append(f"marker [{n}] has no source")
    for n in sorted(by_n.keys() - used):
        problems.append(f"citation [{n}] is not used in the answer")
    for c in citations:
        if c.passage_text and not contains(c.passage_text, c.quote):
            problems.append(f"citation [{c.n}] quote is not in its passage")
    return problems
