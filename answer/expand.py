"""From the chosen sentence to the unit quoted: its list, its lead-in, or its neighbour.

The selector ranks single sentences (and runs of clauses of long ones), which labelled data
teaches well. How far the quote reaches beyond that sentence follows the document's
structure: a lead-in announces items, a list question wants the whole list, an item reads
with its lead-in, a plan's task with its fields, and a question the sentence answers only in
part may be completed by the sentence next to it (a point, by its whole list). A paragraph the sentence splitter cut at its
semicolons reads as one: a part of it with its opening, all of it for a question asking several
things. A question that asks for several things of one kind ("căn cứ những văn bản nào") takes
the run of paragraphs that open alike around the sentence.
"""

from __future__ import annotations

from collections.abc import Callable

from answer import lexicon as lx
from answer import rules
from answer.analysis import AnswerKind, QuestionAnalysis
from answer.candidates import Candidate, Shape, is_title
from index.lexical import normalise

# What an answer of each kind must show; a sentence without it may borrow it from the next one.
NEEDS = {AnswerKind.DATE: lx.DATE, AnswerKind.FIGURE: lx.NUMBER, AnswerKind.REFERENCE: lx.DOC_NUMBER}
# The share of the question's weight a neighbour must add (and the sentence must lack) to be quoted too.
COMPLETION_GAIN = 0.2


def expand(q: QuestionAnalysis, anchor: Candidate, units: list[Candidate], cover: Callable[[Candidate], float]) -> Candidate:
    """The unit to quote for the chosen ``anchor`` (``cover``: a unit's share of the question's weight)."""
    if "signer" in anchor.flags:  # a signature block is quoted as it is
        return anchor
    row = anchor.segments[0].sentence
    around = [u for u in units if not u.anchor and row in u.sentences]
    pairs = [u for u in around if u.shape == Shape.PAIR and not u.flags & {"paragraph", "continued"}]
    need = NEEDS.get(q.kind)
    lists = [u for u in around if u.shape == Shape.LIST and not u.flags & {"run", "inline"}]
    listing = rules.on("list")
    if rules.on("next-holds") and need is not None and not need.search(normalise(anchor.evidence)):
        # a plan's task, then "Thời gian thực hiện: Tháng 12/2025": the asked thing follows
        after = [u for u in pairs if u.segments[0].sentence == row and need.search(normalise(u.evidence))]
        if after:
            return max(after, key=cover)  # the one covering most: a task's fields together if they add
    if listing and not lists and (q.kind == AnswerKind.LIST or q.asks_items):
        paragraph = [u for u in around if "paragraph" in u.flags]
        if paragraph:  # a question asking several things, answered by part of a long paragraph: all of it
            return paragraph[0]
    opened = [u for u in around if "continued" in u.flags and u.segments[-1].sentence == row]
    if opened and rules.on("item-lead"):  # a part of a paragraph cut at its semicolons reads with its opening
        return opened[0]
    if rules.on("next-holds"):
        records = [u for u in pairs if "fields" in u.flags]
        if records and q.kind != AnswerKind.LIST:  # else a plan's task is read with all its fields
            return max(records, key=lambda u: len(u.segments))
    # a list announced inside a long sentence (a run of clauses or the sentence may be that list)
    inline = [u for u in units if "inline" in u.flags and row in u.sentences]
    runs = [u for u in around if "run" in u.flags]  # a run of two is also a pair
    text = anchor.text.rstrip()
    if listing and (text.endswith(":") or (lx.CLAUSE.match(text) and q.kind == AnswerKind.LIST)):
        led = [u for u in lists if u.segments[0].sentence == row]
        if led and q.kind == AnswerKind.LIST:
            return max(led, key=lambda u: len(u.segments))  # the clauses with their points
        if led:
            return led[0]
    if listing and inline and q.kind == AnswerKind.LIST:  # "… xếp hạng thấp như: A; B; C."
        return max(inline, key=cover)
    if lx.ITEM.match(text):
        if listing and q.kind == AnswerKind.LIST and lists:
            return max(lists, key=lambda u: len(u.segments))
        items = [u for u in around if u.shape == Shape.ITEM]
        if items and rules.on("item-lead"):  # the point with every lead-in above it
            item = max(items, key=lambda u: len(u.segments))
            whole = max(lists, key=cover, default=None)
            if rules.on("complete") and whole is not None and cover(whole) - cover(item) >= COMPLETION_GAIN:
                return whole  # the other points hold much of what is asked: the whole list
            return item
    if listing and runs and q.asks_items and q.kind in (AnswerKind.LIST, AnswerKind.REFERENCE):
        return max(runs, key=lambda u: len(u.segments))  # "căn cứ những văn bản nào": all the bases
    if lx.CLAUSE.match(text) and rules.on("item-lead"):
        led = [u for u in around if u.shape == Shape.ITEM and u.segments[-1].sentence == row]
        if led:  # "3. Sử dụng giấy tờ …" reads with "… cách chức … thuộc một trong các trường hợp sau đây:"
            return led[0]
    if rules.on("heading") and is_title(anchor):
        same = [u for u in units if u.shape in (Shape.LIST, Shape.CLAUSES) and _same_part(u, anchor)]
        headed = [u for u in same if u.shape == Shape.LIST]
        whole = max(headed, key=cover) if headed else same[0] if same else None
        if whole is not None and q.kind == AnswerKind.LIST:
            return whole
        content = [u for u in pairs if not is_title(u)]  # "Điều 19." with its title is still a title
        if content:
            pair = max(content, key=cover)
            if whole is not None and cover(pair) - cover(anchor) < COMPLETION_GAIN:
                return whole  # the title is what was asked ("Nguyên tắc tuyển dụng công chức là gì?"): all it heads
            led = [u for u in units if u.shape == Shape.LIST and not u.flags & {"run", "inline"}
                   and u.segments[0].sentence == pair.segments[-1].sentence]
            return led[0] if led and pair.text.rstrip().endswith(":") else pair
        if whole is not None:  # a title alone answers nothing: what it heads ("Điều kiện đăng ký dự tuyển …?")
            return whole
        if pairs:
            return max(pairs, key=cover)
    best = max(pairs, key=cover, default=None)
    if rules.on("complete") and best is not None and cover(best) - cover(anchor) >= COMPLETION_GAIN:
        return best
    return anchor


def _same_part(unit: Candidate, anchor: Candidate) -> bool:
    a, b = unit.hit.passage, anchor.hit.passage
    return a.doc_id == b.doc_id and (a.article or a.section) == (b.article or b.section)
