"""The answer an official reads: the quoted units with [n], footnotes, and the asked span marked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from answer import lexicon as lx
from answer.analysis import AnswerKind, QuestionAnalysis
from answer.candidates import Candidate, Segment, Shape
from answer.citations import MARKER, Citation, cite
from ingest.models import Footnote, Passage
from ingest.vietnamese import to_superscript

MAX_FOOTNOTES = 4
_LINED = (Shape.LIST, Shape.ITEM, Shape.CLAUSES)


@dataclass
class Rendered:
    """Answer text, its citations, and the spans of the text to show in bold."""

    text: str
    citations: list[Citation]
    highlights: list[tuple[int, int]] = field(default_factory=list)


def render(q: QuestionAnalysis, units: list[Candidate], passages: list[Passage]) -> Rendered:
    """Quote ``units`` (each segment as written, "…" where cut), one [n] per passage run."""
    runs: list[tuple[int, list[Segment], bool]] = []  # (passage row, segments, lined)
    for unit in units:
        lined = unit.shape in _LINED
        for seg in unit.segments:
            if runs and runs[-1][0] == seg.row and runs[-1][2] == lined:
                runs[-1][1].append(seg)
            else:
                runs.append((seg.row, [seg], lined))
    citations: dict[int, Citation] = {}
    parts: list[str] = []
    for row, segs, lined in runs:
        passage = passages[row]
        start, end = min(s.start for s in segs), max(s.end for s in segs)
        c = citations.get(row)
        if c is None:
            c = citations[row] = cite(len(citations) + 1, passage, start, end, units[0].hit.score)
        elif start < c.quote_span[0] or end > c.quote_span[1]:
            wider = cite(c.n, passage, min(start, c.quote_span[0]), max(end, c.quote_span[1]), c.score)
            citations[row] = c = wider
        texts = [_display(passage.text, s) for s in segs]
        body = ("\n" if lined else " ").join(texts)
        if lined and any(u.skipped and u.segments[-1] in segs for u in units):
            body += "\n…"
        parts.append(f"{body} [{c.n}]")
    lined_any = any(u.shape in _LINED for u in units)
    answer = ("\n" if lined_any else " ").join(parts)
    notes = _footnotes(units)
    if notes:
        first = min(citations.values(), key=lambda c: c.n).n
        basis = "; ".join(f"{to_superscript(f.number)} {f.text}" for f in notes)
        if q.kind == AnswerKind.REFERENCE:
            answer = f"Căn cứ: {basis} [{first}].\n{answer}"
        else:
            answer = f"{answer}\n(Chú thích: {basis} [{first}])"
    ordered = sorted(citations.values(), key=lambda c: c.n)
    return Rendered(answer, ordered, highlights(q, answer))


def as_displayed(text: str) -> str:
    """Source text as a quote shows it: a source's own "[32]" is not a citation marker."""
    return MARKER.sub(lambda m: f"［{m.group(1)}］", text)


def _display(text: str, seg: Segment) -> str:
    piece = as_displayed(text[seg.start : seg.end])
    return ("… " if seg.cut_start else "") + piece + (" …" if seg.cut_end else "")


def _footnotes(units: list[Candidate]) -> list[Footnote]:
    """The footnotes the quoted sentences cite (the legal basis of what they say), shown with the answer."""
    notes: list[Footnote] = []
    for u in units:
        notes += [f for f in u.footnotes if f not in notes]
    return notes[:MAX_FOOTNOTES]


_ITEM_MARK = re.compile(r"(?m)^(?:\d+\.|[a-zđ]\))")


def highlights(q: QuestionAnalysis, answer: str) -> list[tuple[int, int]]:
    """Spans of ``answer`` that hold what was asked: the figure (with its unit), the date, the
    document number. Citation markers and list numbering are never marked."""
    if q.kind == AnswerKind.DATE:
        pattern = lx.DATE
    elif q.kind == AnswerKind.REFERENCE:
        pattern = lx.DOC_NUMBER
    elif q.kind == AnswerKind.FIGURE:
        pattern = lx.DURATION if q.unit == "thời gian" else (lx.PERCENT if q.unit == "%" else lx.NUMBER)
        pattern = lx.RANK if q.asks_rank else pattern
    else:
        return []
    lowered = answer.lower()  # same length: spans index the answer
    skip = [m.span() for m in MARKER.finditer(answer)] + [m.span() for m in _ITEM_MARK.finditer(answer)]
    given = {*q.years, *q.numbers}  # what the question already says is not what it asks
    if q.kind == AnswerKind.FIGURE and not q.asks_number:  # a date's or a document number's digits are no figure
        skip += [m.span() for m in lx.NOT_FIGURE.finditer(lowered)]
    spans = []
    for m in pattern.finditer(lowered):
        a, b = m.span()
        if any(x <= a < y for x, y in skip) or not answer[a:b].strip():
            continue
        if q.kind == AnswerKind.FIGURE and (answer[a:b].strip() in given or lx.YEAR.fullmatch(answer[a:b].strip())):
            continue
        if q.kind == AnswerKind.FIGURE and q.unit and q.unit not in ("thời gian", "%"):
            # "15 (mười lăm) ngày": a law writes the number in words between it and its unit
            unit = re.match(rf"\s*(?:\({lx.NUMBER_WORD}(?:\s+{lx.NUMBER_WORD})*\)\s*)?{re.escape(q.unit)}\b", lowered[b:])
            if not unit:
                continue
            b += unit.end()
        elif q.kind == AnswerKind.FIGURE and lowered[b : b + 1] == "%":
            b += 1
        spans.append((a, b))
    return spans[:6]
