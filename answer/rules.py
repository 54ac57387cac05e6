"""The hand-written rules that remain, by name, so each can be switched off and measured.

Everything else the answering layer decides is learned (:mod:`answer.selector`). A rule stays
only if it pays on questions it was not written for; ``docs/results.md`` lists each with its
measured effect. ``REFORMQA_RULES_OFF=pinned,next-holds`` switches rules off (for measuring).
"""

from __future__ import annotations

import os
from functools import cache

RULES: dict[str, str] = {
    "pinned": "a unit whose context lacks what the question pins (year, document number, article, name) is not an answer",
    "other-year": "a unit that names another year than the one asked is not an answer",
    "scope": "a question that names a document is searched within that document",
    "fixed-places": "a document's effect clause, date line and labelled fields are offered as candidates; a question "
                    "(or a part of one) asking when a document it names was issued or took effect is quoted from them",
    "list": "a lead-in brings its items (for a list question, also the points nested under its clauses; "
            "the paragraphs after it when they lost their markers); points opening a section without a lead-in "
            "are a list; a list question answered by an item brings the whole list, and one "
            "whose best sentence brings no list takes the best sentence within the two-asks margin that does; "
            "a question asking several of a kind takes the run of paragraphs that open alike (\"Căn cứ …\"), or "
            "the whole paragraph when the sentence splitter cut it at its semicolons",
    "item-lead": "an item (a point, or a numbered clause) is quoted with the lead-in that announces it, and a "
                 "part of a paragraph cut at a semicolon with the paragraph's opening",
    "heading": "an article's or section's title never stands alone: it takes the article's list (or its "
               "clauses), unless the sentence that follows adds much of what is asked: then that sentence "
               "(or the list it announces)",
    "next-holds": "a sentence without what the question's kind needs (a date, a figure, a number) takes the next "
                  "sentence that has it, or a plan's task the labelled field after it that has it (all its fields, "
                  "if they cover more of the question); a plan's task asked anything else (but a list) is quoted "
                  "with all its fields (who leads, who takes part, when)",
    "complete": "a question the sentence answers only in part takes the next sentence when it adds enough, "
                "and a point its whole list when the other points add enough",
    "signer": "a question asking who signed a document is answered by its signature block (a part of a "
              "question asking it, by a second quote); who may sign is not asked by \"ai có thẩm quyền ký\"",
    "figure-shown": "a question asking a figure is answered only by a quote that shows one (in digits, in words "
                    "before a unit, a share also as a fraction; the digits of a date or of a document's number are no figure, and a "
                    "question asking a rank takes only a rank)",
    "date-shown": "a question asking which day, month or year is answered only by a quote (or its footnotes) that "
                  "holds a date or a number the question does not give",
    "two-asks": "a question asking two things quotes a second sentence of the same document for a part the "
                "first leaves open",
}


def off() -> frozenset[str]:
    """The rules switched off by ``REFORMQA_RULES_OFF`` (unknown names are an error)."""
    return _parse(os.environ.get("REFORMQA_RULES_OFF", ""))


@cache
def _parse(value: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in value.split(",") if n.strip())
    unknown = names - RULES.keys()
    if unknown:
        raise ValueError(f"REFORMQA_RULES_OFF: unknown rule(s) {', '.join(sorted(unknown))}; known: {', '.join(RULES)}")
    return names


def on(name: str) -> bool:
    """Whether rule ``name`` applies."""
    assert name in RULES, name
    return name not in off()
