"""The hard checks: what a question pins exactly must be where the answer comes from.

A year, a document number, an article or a proper name the question names must appear in
the answering passage's context (its text, footnotes, section and document), names and
acronyms also nearby. Everything softer is a feature the selector weighs.
"""

from __future__ import annotations

import re

from answer import lexicon as lx
from answer.analysis import QuestionAnalysis, strip_accents
from index.lexical import normalise


def missing_pinned(q: QuestionAnalysis, context: str, nearby: str = "") -> list[str]:
    """The pinned terms of ``q`` absent from ``context`` (names and acronyms may be ``nearby``)."""
    if not q.pinned:
        return []
    ctx = normalise(context)
    plain = strip_accents(ctx).replace("-", " ")
    near = strip_accents(normalise(nearby)).replace("-", " ") if nearby else ""
    missing = []
    for term in q.pinned:
        if term in ctx:
            continue
        if not re.search(r"\d", term):
            bare = strip_accents(term)
            if bare in plain or (near and bare in near):
                continue
            if " " not in term and _spelled_out(bare, plain):
                continue  # THCS written out: "trung học cơ sở"
        missing.append(term)
    return missing


def _spelled_out(acronym: str, plain_context: str) -> bool:
    """True if words of ``plain_context`` spell ``acronym`` by their initials."""
    if not 4 <= len(acronym) <= 8:
        return False
    initials = "".join(w[0] for w in re.findall(r"\w+", plain_context))
    return acronym in initials


def other_year(q: QuestionAnalysis, text: str) -> bool:
    """The text speaks of a year, and not of any year the question asks about."""
    if not q.years:
        return False
    named = {m.group(1) for m in lx.YEAR.finditer(normalise(text))}
    return bool(named) and not (named & set(q.years))


def other_level(q: QuestionAnalysis, text: str) -> bool:
    """The text speaks of another level of government than the one asked about."""
    if not q.levels:
        return False
    named = set(lx.LEVEL.findall(normalise(text)))
    return bool(named) and not (named & set(q.levels))
