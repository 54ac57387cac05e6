"""The hard checks: what a question pins exactly must be where the answer comes from.

A year, a document number, an article or a proper name the question names must appear in
the answering passage's context (its text, footnotes, section and document), names and
acronyms also nearby. Everything softer is a feature the selector weighs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from answer import lexicon as lx
from answer import rules
from answer.analysis import AnswerKind, QuestionAnalysis, strip_accents
from answer.candidates import Candidate
from answer.render import as_displayed, highlights
from index.lexical import normalise
from index.retriever import Retriever


def admissible(q: QuestionAnalysis, unit: Candidate, retriever: Retriever) -> bool:
    """A unit may answer only if what the question pins exactly (a year, a number, a name) is in
    its context, and it does not speak of another year than the one asked ("PAPI năm 2018?" is
    not answered by "PAPI năm 2019 … đạt 46,04 điểm")."""
    if not q.pinned:
        return True
    if rules.on("other-year") and other_year(q, normalise(unit.evidence)):
        return False
    if not rules.on("pinned"):
        return True
    return any(pinned_share(q, retriever, row) == 1.0 for row in {s.row for s in unit.segments})


def pinned_share(q: QuestionAnalysis, retriever: Retriever, row: int) -> float:
    """The share of what ``q`` pins that passage ``row``'s context holds: its text, footnotes,
    section, document and metadata, or (names) the passages around it."""
    if not q.pinned:
        return 1.0
    context, near = _context(retriever, row)
    return 1.0 - len(_missing(q, context, near)) / len(q.pinned)


def pinned_here(q: QuestionAnalysis, key: str) -> float:
    """The share of what ``q`` pins that the (normalised) text itself holds."""
    if not q.pinned:
        return 0.0
    return 1.0 - len(_missing(q, _plain(key), None)) / len(q.pinned)


@lru_cache(maxsize=8192)
def _context(retriever: Retriever, row: int) -> tuple[_Keys, _Keys]:
    p = retriever.passages[row]
    meta = retriever.documents.get(p.doc_id, {}).get("metadata", {})
    context = "\n".join([p.text, p.section, p.document, p.source.replace("-", " "), p.heading,
                         *(f.text for f in p.footnotes), *(str(v) for v in meta.values())])
    near = "\n".join(x.text for x in retriever.passages[max(0, row - 1) : row + 2] if x.doc_id == p.doc_id)
    return _Keys.of(context), _Keys.of(near)


@dataclass(frozen=True)
class _Keys:
    """Text prepared for pinned-term matching: normalised, and without accents."""

    key: str
    plain: str

    @classmethod
    def of(cls, text: str) -> _Keys:
        return cls.of_key(normalise(text))

    @classmethod
    def of_key(cls, key: str) -> _Keys:
        """An already normalised text prepared for matching."""
        return cls(key, strip_accents(key).replace("-", " "))


@lru_cache(maxsize=8192)  # a corpus's sentences come back question after question
def _plain(key: str) -> _Keys:
    return _Keys.of_key(key)


def missing_pinned(q: QuestionAnalysis, context: str, nearby: str = "") -> list[str]:
    """The pinned terms of ``q`` absent from ``context`` (names and acronyms may be ``nearby``)."""
    if not q.pinned:
        return []
    return _missing(q, _Keys.of(context), _Keys.of(nearby) if nearby else None)


def _missing(q: QuestionAnalysis, ctx: _Keys, near: _Keys | None) -> list[str]:
    return list(_absent(q.pinned, ctx, near))


@lru_cache(maxsize=8192)  # the same passages' contexts are checked unit after unit
def _absent(pinned: tuple[str, ...], ctx: _Keys, near: _Keys | None) -> tuple[str, ...]:
    missing = []
    for term in pinned:
        if term in ctx.key:
            continue
        if not re.search(r"\d", term):
            bare = strip_accents(term)
            if bare in ctx.plain or (near and bare in near.plain):
                continue
            if " " not in term and _spelled_out(bare, ctx.plain):
                continue  # THCS written out: "trung học cơ sở"
        missing.append(term)
    return tuple(missing)


def _spelled_out(acronym: str, plain_context: str) -> bool:
    """True if words of ``plain_context`` spell ``acronym`` by their initials."""
    if not 4 <= len(acronym) <= 8:
        return False
    initials = "".join(w[0] for w in re.findall(r"\w+", plain_context))
    return acronym in initials


def other_year(q: QuestionAnalysis, key: str) -> bool:
    """The (normalised) text speaks of a year, and not of any year the question asks about. A year
    inside a day's date ("ngày 18/02/2020") says when something was done, not what period the text
    is about: it counts only when the text names no year otherwise ("… năm 2019, kết quả …")."""
    if not q.years:
        return False
    named = _years(key)
    return bool(named) and not (named & set(q.years))


@lru_cache(maxsize=50_000)
def _years(key: str) -> frozenset[str]:
    """The years a text speaks of (those of its days' dates only when it names no other)."""
    named = {m.group(1) for m in lx.YEAR.finditer(lx.DAY_DATE.sub(" ", key))}
    return frozenset(named or {m.group(1) for m in lx.YEAR.finditer(key)})


def other_level(q: QuestionAnalysis, key: str) -> bool:
    """The text speaks of another level of government than the one asked about."""
    if not q.levels:
        return False
    named = set(lx.LEVEL.findall(key))
    return bool(named) and not (named & set(q.levels))


def shows_figure(q: QuestionAnalysis, text: str, notes: str = "") -> bool:
    """A question asking a figure ("bao nhiêu", "mấy") is answered only by a quote that shows one: a
    number (with the asked unit), a number in words before the asked unit (before a unit of time
    for "bao lâu": "chậm nhất một tháng"), or before any unit or the thing counted when none is
    asked ("quá hai lần", "mấy cố vấn": "có một cố vấn"), or a fraction for a share ("trên 2/3 số phiếu"). A
    question that asks for the items of a list ("theo những mức nào") is not held to it. A question
    asking which day, month or year is answered only by a quote (or the footnotes it cites,
    ``notes``) that holds one: a date, or a number the question does not already give."""
    if q.asks_calendar and rules.on("date-shown"):
        return shows_time(q, f"{text}\n{notes}")
    if not rules.on("figure-shown") or q.kind != AnswerKind.FIGURE or q.asks_items:
        return True
    if highlights(q, as_displayed(text)):  # a source's own "[32]" is a figure, as the quote shows it
        return True
    key = normalise(text)
    if q.unit == "%":  # a share may be written as a fraction: "trên 2/3 số phiếu"
        return bool(_FRACTION.search(key))
    # a number in words before the asked unit (a unit of time for "bao lâu"), or before any unit or
    # the thing counted ("mấy cố vấn": "một cố vấn") if no unit is asked
    if q.unit == "thời gian":
        units = "|".join(sorted(lx.TIME_UNITS, key=len, reverse=True))
    elif q.unit:
        units = re.escape(q.unit)
    else:
        units = "|".join([*sorted(lx.UNITS - {"%"}, key=len, reverse=True), *([re.escape(" ".join(q.counted))]
                                                                            if q.counted else [])])
    return bool(re.search(rf"(?<!\w){lx.NUMBER_WORD}(?:\s+{lx.NUMBER_WORD})*\s+(?:{units})(?!\w)", key))


def quote_shows_figure(q: QuestionAnalysis, quoted: Sequence[Candidate]) -> bool:
    """:func:`shows_figure` over what quoting ``quoted`` shows: their texts and the footnotes they cite."""
    return shows_figure(q, "\n".join(u.text for u in quoted), "\n".join(f.text for u in quoted for f in u.footnotes))


_FRACTION = re.compile(r"(?<![\w/])\d+/\d+(?![\w/])")


def shows_time(q: QuestionAnalysis, text: str) -> bool:
    """The text holds a date ("ngày 30/6", "ngày ký"), or a number the question does not give."""
    key = _ITEM_NUMBER.sub(" ", normalise(as_displayed(text)))
    if lx.DATE.search(key):
        return True
    given = set(re.findall(r"\d+", q.text))
    return any(n not in given for n in re.findall(r"\d+", key))


_ITEM_NUMBER = re.compile(r"(?m)^\s*(?:\d+\.|[a-zđ]\))\s")
