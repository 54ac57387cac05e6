"""Candidate answers: units of text, built from the structure the parser knows, that can hold an answer.

A unit is a sentence; a run of clauses of a long sentence; a sentence with the next one; a
paragraph the sentence splitter cut at its semicolons, whole, and each of its parts with the
paragraph's opening; a list's lead-in with its items (across passages of the same article, or of
the same section of a text without articles; clauses also with the points nested under them;
paragraphs that lost their markers); points that open a section without a lead-in; a numbered
clause with the sentence that announces the clauses; a plan's task with one or all of its
labelled fields; a run of paragraphs that open alike (a legal text's "Căn cứ …" bases); an
article's numbered clauses; or a sentence found in a document's fixed place (its effect clause,
its date line, a labelled field). Each keeps the spans it quotes, so citations are exact and
checkable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import NamedTuple
from weakref import WeakKeyDictionary

from answer import lexicon as lx
from answer import rules
from answer.analysis import QuestionAnalysis
from index.cache import BoundedCache
from index.lexical import normalise
from index.retriever import Retriever, ScoredPassage
from index.sentences import SentenceIndex
from ingest.metadata import PLACE_DATE, annex_line, signature
from ingest.models import Footnote, Passage
from ingest.passages import footnote_numbers

K_PASSAGES = 5  # passages retrieved for a question
K_SENTENCES = 20  # sentences retrieved directly; their passages join the retrieved ones
LONG_SENTENCE = 450  # longer sentences are also offered as runs of their clauses
WINDOW_CHARS = 380  # at most this long, a run of clauses
MAX_UNIT = 600  # the longest unit quoted, lists apart
MAX_TITLE = 200  # an article's title line is shorter
MAX_LIST = 2000  # a list's lead-in and the items that fit
INLINE_LEAD = 200  # at most this much of a sentence before the colon that announces a list inside it
MAX_FIELDS = 6  # labelled lines looked at after an item
RUN_OPENING = 2  # words that paragraphs of a run open with alike
_CLAUSE_END = re.compile(r"[;,:]\s+")


class Shape(StrEnum):
    SENTENCE = "sentence"
    WINDOW = "window"  # clauses of a long sentence
    PAIR = "pair"  # a sentence and the next (flags "paragraph": all of a paragraph; "continued": a part with its opening)
    LIST = "list"  # a lead-in and its items, or a run of paragraphs that open alike (flag "run"; a pair if two)
    ITEM = "item"  # a lead-in and one item (a point, or a numbered clause)
    CLAUSES = "clauses"  # an article's title and the first sentence of each numbered clause


@dataclass(frozen=True)
class Segment:
    """A quoted span of one passage: a sentence, or part of one (``cut_*`` marks where)."""

    row: int  # passage row in the index
    sentence: int  # sentence row in the index
    start: int
    end: int
    cut_start: bool = False
    cut_end: bool = False


@dataclass
class Candidate:
    """A unit that may answer: its segments in document order and where it came from."""

    shape: Shape
    segments: tuple[Segment, ...]
    hit: ScoredPassage  # the retrieved passage it was built from
    rank: int  # that passage's retrieval rank (0 = best)
    text: str
    footnotes: tuple[Footnote, ...] = ()
    flags: frozenset[str] = frozenset()  # fixed places: "effect", "issue", "label"
    skipped: bool = False  # list items left out for length
    score: float = 0.0  # the selector's score, once scored
    context: int | None = None  # sentence row that frames an anchor: an item's lead-in, else the sentence before

    @cached_property  # segments, text and footnotes never change once built
    def key(self) -> tuple[tuple[int, int, int], ...]:
        return tuple((s.row, s.start, s.end) for s in self.segments)

    @cached_property
    def sentences(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(s.sentence for s in self.segments))

    @property
    def anchor(self) -> bool:
        """A unit of one sentence (or part of one): what the selector ranks; others expand it."""
        return self.shape in (Shape.SENTENCE, Shape.WINDOW)

    @cached_property
    def evidence(self) -> str:
        """What the unit shows a reader: its text and the footnotes it cites."""
        return "\n".join([self.text, *(f.text for f in self.footnotes)])


def is_title(c: Candidate) -> bool:
    """The unit is a title, not content: its article's or section's own title (also when the
    sentence splitter left it apart from "Điều 36.", also in an article an amending text quotes:
    "“Điều 35a. Kiểm tra …"), the bare "Điều 36." before it (alone or with the title), or a line
    of its document's title ("NÂNG CAO NĂNG LỰC CHO ĐỘI NGŨ …" in the preamble)."""
    text = c.text.strip()
    if lx.ARTICLE_LABEL.fullmatch(text):
        return True
    if len(text) < 8 or text.endswith((".", ";", ":", "!", "?")):
        return False  # a sentence: an article without a title opens with its first sentence
    p = c.hit.passage
    seg = c.segments[0]
    if c.shape == Shape.PAIR and lx.ARTICLE_LABEL.fullmatch(p.text[seg.start : seg.end].strip()):
        return len(text) <= MAX_TITLE  # "Điều 19." and its title
    if len(text) <= MAX_TITLE and p.text[seg.start : seg.end].strip() == text \
            and lx.LABEL_BEFORE.search(p.text[: seg.start]):
        return True  # right after "Điều 35a.", also in an article an amending text quotes
    titles = (p.section.split(" > ")[-1].strip(), (p.heading or "").strip())
    if any(t.endswith(text) for t in titles):
        return True
    return len(text) >= 20 and normalise(text) in normalise(p.document)


class _Unit(NamedTuple):
    """A unit as a passage yields it, whatever the question: what a candidate is built from."""

    shape: Shape
    segments: tuple[Segment, ...]
    flags: frozenset[str]
    skipped: bool
    text: str
    footnotes: tuple[Footnote, ...]
    context: int | None


@dataclass
class _Builder:
    """Builds units over one index; remembers what it built so nothing is offered twice. With
    ``recorded``, it only lists the units it is given, in order (what a passage yields)."""

    retriever: Retriever
    out: dict[tuple, Candidate] = field(default_factory=dict)
    recorded: list[_Unit] | None = None

    @property
    def passages(self) -> list[Passage]:
        return self.retriever.passages

    def rows(self, passage_row: int) -> range:
        return self.retriever.sentences.table.rows(passage_row)

    def span(self, srow: int) -> tuple[int, int, int]:
        return self.retriever.sentences.table.span(srow)

    def text(self, srow: int) -> str:
        p, a, b = self.span(srow)
        return self.passages[p].text[a:b]

    def segment(self, srow: int) -> Segment:
        p, a, b = self.span(srow)
        return Segment(p, srow, a, b)

    def add(self, shape: Shape, segments: list[Segment], hit: ScoredPassage, rank: int,
            flags: frozenset[str] = frozenset(), skipped: bool = False) -> None:
        cand = _candidate(self.passages, shape, segments, hit, rank, flags, skipped)
        if cand.anchor:
            cand.context = self.context(segments[0].sentence)
        if self.recorded is not None:
            self.recorded.append(_Unit(shape, cand.segments, flags, skipped, cand.text, cand.footnotes, cand.context))
            return
        self.put(cand)

    def put(self, cand: Candidate) -> None:
        """Offer ``cand`` once: a unit offered again keeps its best rank and gains its flags."""
        flags, rank = cand.flags, cand.rank
        known = self.out.get(cand.key)
        if known is None:
            self.out[cand.key] = cand
        elif flags - known.flags or rank < known.rank:
            known.flags |= flags
            known.rank = min(known.rank, rank)

    def same_part(self, a: int, b: int) -> bool:
        """Two passages of one article, or of one section of a text without articles (a report's
        list may go on in the next passage of its section, as an article's does)."""
        pa, pb = self.passages[a], self.passages[b]
        if pa.doc_id != pb.doc_id:
            return False
        if pa.article is not None or pb.article is not None:
            return pa.article == pb.article
        return bool(pa.section) and pa.section == pb.section

    def same_section(self, a: int, b: int) -> bool:
        pa, pb = self.passages[a], self.passages[b]
        return pa.doc_id == pb.doc_id and pa.section == pb.section

    def following(self, srow: int) -> Iterator[int]:
        """Sentence rows after ``srow`` within its passage, then on into the same article (section)."""
        n = len(self.retriever.sentences)
        row = self.span(srow)[0]
        nxt = srow + 1
        while nxt < n:
            p = self.span(nxt)[0]
            if p != row and not self.same_part(row, p):
                return
            yield nxt
            nxt += 1

    def next_sentence(self, srow: int) -> int | None:
        """The sentence read after ``srow``: in its passage, or opening the next passage of its section."""
        if srow + 1 >= len(self.retriever.sentences):
            return None
        row, nxt = self.span(srow)[0], self.span(srow + 1)[0]
        return srow + 1 if nxt == row or self.same_section(row, nxt) else None

    def context(self, srow: int) -> int | None:
        """What frames a sentence: an item's lead-in, else the sentence before it in its passage."""
        if lx.ITEM.match(self.text(srow)):
            lead = self.lead_in(srow)
            if lead is not None:
                return lead
        if srow > 0 and self.span(srow - 1)[0] == self.span(srow)[0]:
            return srow - 1
        return None

    def preceding(self, srow: int) -> Iterator[int]:
        """Sentence rows before ``srow`` within its passage, then back into the same article (section)."""
        row = self.span(srow)[0]
        j = srow - 1
        while j >= 0:
            p = self.span(j)[0]
            if p != row and not self.same_part(row, p):
                return
            yield j
            j -= 1

    def lead_in(self, srow: int) -> int | None:
        """For an item, the sentence that announces its list (walking back over items)."""
        for j in self.preceding(srow):
            text = self.text(j).rstrip()
            if _announces(text):
                return j
            if not lx.ITEM.match(text):
                return None
        return None

    def clause_lead_in(self, srow: int) -> int | None:
        """For a numbered clause, the sentence of its article that announces the clauses ("… thuộc
        một trong các trường hợp sau đây:"), walking back over earlier clauses and their points."""
        for j in self.preceding(srow):
            text = self.text(j).rstrip()
            if not (lx.CLAUSE.match(text) or lx.ITEM.match(text)):
                return j if text.endswith(":") else None
        return None


def _announces(text: str) -> bool:
    """A list's lead-in: "… sau đây:" or a clause title "5. Các trường hợp không …" without a full stop."""
    text = text.rstrip()
    return text.endswith(":") or (bool(lx.CLAUSE.match(text)) and not text.endswith((".", ";", "!", "?", "…")))


def _candidate(passages: list[Passage], shape: Shape, segments: list[Segment], hit: ScoredPassage, rank: int,
               flags: frozenset[str], skipped: bool) -> Candidate:
    parts = [passages[s.row].text[s.start : s.end] for s in segments]
    joiner = "\n" if shape in (Shape.LIST, Shape.ITEM, Shape.CLAUSES) else " "
    text = joiner.join(parts)
    notes: list[Footnote] = []
    for s, part in zip(segments, parts):
        footnotes = passages[s.row].footnotes
        if footnotes:
            defined = {f.number: f for f in footnotes}
            notes += [defined[n] for n in _cited(part, tuple(defined)) if defined[n] not in notes]
    return Candidate(shape, tuple(segments), hit, rank, text, tuple(notes), flags, skipped)


@lru_cache(maxsize=8192)
def _cited(text: str, defined: tuple[int, ...]) -> tuple[int, ...]:
    """The footnote numbers ``text`` cites among those ``defined``."""
    return tuple(footnote_numbers(text, dict.fromkeys(defined)))


# the units each passage yields, per index (and rules switched off): the same for every question
_YIELDS: WeakKeyDictionary[SentenceIndex, BoundedCache[tuple[int, frozenset[str]], tuple[_Unit, ...]]] = \
    WeakKeyDictionary()
YIELDS_CACHED = 1_000  # passages (about 7 kB of unit text each on corpus/)


def gather(q: QuestionAnalysis, hits: list[ScoredPassage], retriever: Retriever) -> list[Candidate]:
    """Every unit of the retrieved passages, and the fixed places the question asks about."""
    b = _Builder(retriever)
    for rank, hit in enumerate(hits):
        row = retriever.position(hit.passage.id)
        if row is None:
            continue
        for u in _yields(retriever, row, hit):
            b.put(Candidate(u.shape, u.segments, hit, rank, u.text, u.footnotes, u.flags, u.skipped,
                            context=u.context))
    if rules.on("fixed-places"):
        _fixed_places(q, hits, b)
    return list(b.out.values())


def _yields(retriever: Retriever, row: int, hit: ScoredPassage) -> tuple[_Unit, ...]:
    """The units passage ``row`` (``hit``'s) yields, in the order they are built (cached per index)."""
    index = retriever.sentences
    cache = _YIELDS.get(index)
    if cache is None:
        cache = _YIELDS.setdefault(index, BoundedCache(YIELDS_CACHED))

    def build() -> tuple[_Unit, ...]:
        b = _Builder(retriever, recorded=[])
        _build(b, row, hit)
        return tuple(b.recorded or ())

    return cache.get((row, rules.off()), build)


def _build(b: _Builder, row: int, hit: ScoredPassage) -> None:
    """Every unit of passage ``row`` (``hit``'s), its article's clauses among them."""
    rank = 0  # recorded units take the question's rank when gathered
    clauses_added = False  # the passage's article's clauses, once
    for srow in b.rows(row):
        text = b.text(srow)
        seg = b.segment(srow)
        if len(text) <= LONG_SENTENCE:
            b.add(Shape.SENTENCE, [seg], hit, rank)
        else:
            cuts = _clause_cuts(text)
            for window in _windows(seg, text, cuts):
                b.add(Shape.WINDOW, [window], hit, rank)
            if len(text) <= MAX_UNIT:
                b.add(Shape.SENTENCE, [seg], hit, rank)
            if rules.on("list"):  # a unit already there (the sentence, a run of clauses) takes the flag
                for inline in _inline_lists(seg, text, cuts):
                    b.add(Shape.LIST, [inline], hit, rank, frozenset({"inline"}))
        nxt_row = b.next_sentence(srow)
        if nxt_row is not None:
            nxt = b.text(nxt_row)
            if len(text) + len(nxt) <= MAX_UNIT and not lx.ITEM.match(nxt):
                b.add(Shape.PAIR, [seg, b.segment(nxt_row)], hit, rank)
        if rules.on("list"):
            _add_paragraph(b, srow, hit, rank)
        if rules.on("item-lead"):
            _add_opening(b, srow, hit, rank)
        if _announces(text):
            _add_list(b, srow, hit, rank)
        elif lx.ITEM.match(text):
            lead = b.lead_in(srow)
            if lead is None and rules.on("list") and srow == b.rows(row)[0]:
                _add_points(b, srow, hit, rank)
            if lead is not None:
                b.add(Shape.ITEM, [b.segment(lead), seg], hit, rank)
                _add_list(b, lead, hit, rank)
                top = b.clause_lead_in(lead) if lx.CLAUSE.match(b.text(lead)) and rules.on("item-lead") else None
                if top is not None:  # "Hình thức kỷ luật cảnh cáo áp dụng … sau đây:" > "3. … sau đây:" > "b) …"
                    b.add(Shape.ITEM, [b.segment(top), b.segment(lead), seg], hit, rank)
            _add_fields(b, srow, seg, hit, rank)
        else:
            _add_run(b, srow, hit, rank)
        if lx.CLAUSE.match(text) and rules.on("item-lead"):
            lead = b.clause_lead_in(srow)
            if lead is not None:
                b.add(Shape.ITEM, [b.segment(lead), seg], hit, rank)
        if lx.CLAUSE.match(text) and hit.passage.article and not clauses_added:
            clauses_added = True
            _add_clauses(b, hit, rank)


def _windows(seg: Segment, text: str, cuts: list[int]) -> list[Segment]:
    """Runs of whole clauses of a long sentence (``cuts``: its :func:`_clause_cuts`), each at most
    WINDOW_CHARS (never cut in quotes)."""
    out: list[Segment] = []
    for i, a in enumerate(cuts[:-1]):
        end = None
        for bcut in cuts[i + 1 :]:
            if bcut - a > WINDOW_CHARS and end is not None:
                break
            end = bcut
        piece = text[a:end]
        lead = len(piece) - len(piece.lstrip())
        body = piece.rstrip(" ,;:").strip()
        if len(body) < 20:
            continue
        start = seg.start + a + lead
        out.append(Segment(seg.row, seg.sentence, start, start + len(body), a > 0, end < len(text)))
    return out


def _inline_lists(seg: Segment, text: str, cuts: list[int]) -> list[Segment]:
    """A long sentence's lists announced inside it ("… xếp hạng thấp như: A; B; C."): from the
    clauses before the colon (at most INLINE_LEAD characters of them) to the sentence's end, at
    most MAX_LIST in all (``cuts``: the sentence's :func:`_clause_cuts`)."""
    out: list[Segment] = []
    for i, colon in enumerate(cuts[1:-1], 1):
        if not text[:colon].rstrip().endswith(":") or len(re.findall(r"\w\w", text[colon:])) < 4:
            continue
        starts = [c for c in cuts[:i] if colon - c <= INLINE_LEAD] or [cuts[i - 1]]
        a = starts[0]
        piece = text[a:].rstrip()
        if len(piece) > MAX_LIST:
            continue
        lead = len(piece) - len(piece.lstrip())
        start = seg.start + a + lead
        out.append(Segment(seg.row, seg.sentence, start, seg.start + len(text.rstrip()), a > 0, False))
    return out


def _clause_cuts(text: str) -> list[int]:
    """Where a sentence may be cut: after , ; : outside quotes and parentheses, and its ends."""
    depth, inside = 0, []
    for ch in text:
        if ch in "“(":
            depth += 1
        elif ch in "”)":
            depth = max(0, depth - 1)
        inside.append(depth > 0)
    return [0] + [m.end() for m in _CLAUSE_END.finditer(text) if not inside[m.start()]] + [len(text)]


def _add_list(b: _Builder, lead: int, hit: ScoredPassage, rank: int) -> None:
    """The lead-in and its items (points, or the numbered clauses of an article's opening). A
    point's further sentences, in its own paragraph, are part of it. Clauses with points of their
    own are also offered with them (flag "nested"); a lead-in ending with a colon and followed by
    unmarked paragraphs (a converted file that lost its bullets) takes those paragraphs."""
    lead_text = b.text(lead)
    nested_in_clause = bool(lx.CLAUSE.match(lead_text))
    items: list[Segment] = []
    every: list[Segment] = []  # the items with the points nested under them
    item_kind: str | None = None
    for srow in b.following(lead):
        text = b.text(srow)
        kind = "point" if lx.ITEM.match(text) else ("clause" if lx.CLAUSE.match(text) else None)
        if kind is None:
            if item_kind == "clause" and not _announces(text) and items:
                if every[-1] is not items[-1] and _continues(b, every[-1], srow):
                    every[-1] = _grown(b, every[-1], srow)  # a nested point's second sentence
                continue  # a clause's second sentence: not an item of its own
            if item_kind == "point" and items and _continues(b, items[-1], srow):
                items[-1] = every[-1] = _grown(b, items[-1], srow)
                continue
            break
        if kind == "clause" and (nested_in_clause or item_kind == "point"):
            break  # the next clause of the article ends this clause's points
        if item_kind is None:
            item_kind = kind
        if kind != item_kind:
            every.append(b.segment(srow))  # points nested under a clause item
            continue
        items.append(b.segment(srow))
        every.append(items[-1])
    if not items and lead_text.rstrip().endswith(":") and rules.on("list"):
        items = every = _unmarked(b, lead)
    if not items:
        return
    _add_items(b, [b.segment(lead)], items, hit, rank)
    if len(every) > len(items) and rules.on("list"):
        _add_items(b, [b.segment(lead)], every, hit, rank, frozenset({"nested"}))


def _add_items(b: _Builder, head: list[Segment], items: list[Segment], hit: ScoredPassage, rank: int,
               flags: frozenset[str] = frozenset()) -> None:
    """A list unit: ``head`` and as many of ``items`` as fit in MAX_LIST."""
    budget = MAX_LIST - sum(s.end - s.start for s in head)
    picked = []
    for seg in items:
        size = seg.end - seg.start + 1
        if size > budget:
            break
        picked.append(seg)
        budget -= size
    if picked and (head or len(picked) >= 2):
        b.add(Shape.LIST, [*head, *picked], hit, rank, flags, skipped=len(picked) < len(items))


def _unmarked(b: _Builder, lead: int) -> list[Segment]:
    """The paragraphs after a lead-in when no item marker follows it: each paragraph an item, up
    to the next point or clause (or the passage's end)."""
    row = b.span(lead)[0]
    items: list[Segment] = []
    for srow in b.following(lead):
        text = b.text(srow)
        if b.span(srow)[0] != row or lx.ITEM.match(text) or lx.CLAUSE.match(text):
            break
        if items and _continues(b, items[-1], srow):
            items[-1] = _grown(b, items[-1], srow)
        else:
            items.append(b.segment(srow))
    return items if len(items) >= 2 else []


def _add_points(b: _Builder, first: int, hit: ScoredPassage, rank: int) -> None:
    """Points that open a passage with no lead-in before them: the section's heading announces
    them ("4. Văn phòng UBND tỉnh" > "a) …", "b) …"). A section cut into several passages is read
    from the first of them that opens with a point, on through the passages of that section."""
    row = b.span(first)[0]
    start = row
    while start > 0 and b.same_section(start - 1, row) and _opens_with_point(b, start - 1):
        start -= 1
    items: list[Segment] = []
    srow: int | None = b.rows(start)[0]
    while srow is not None:
        text = b.text(srow)
        if lx.ITEM.match(text):
            items.append(b.segment(srow))
        elif items and _continues(b, items[-1], srow):
            items[-1] = _grown(b, items[-1], srow)
        else:
            break
        srow = b.next_sentence(srow)
    _add_items(b, [], items, hit, rank, frozenset({"headed"}))


def _opens_with_point(b: _Builder, passage_row: int) -> bool:
    rows = b.rows(passage_row)
    return len(rows) > 0 and bool(lx.ITEM.match(b.text(rows[0])))


def _grown(b: _Builder, item: Segment, srow: int) -> Segment:
    """``item`` reaching on to the end of sentence ``srow`` (a further sentence of its paragraph)."""
    return replace(item, end=b.span(srow)[2])


def _continues(b: _Builder, item: Segment, srow: int) -> bool:
    """``srow`` goes on in ``item``'s paragraph: same passage, no line break between them."""
    row, start, _ = b.span(srow)
    return row == item.row and start >= item.end and "\n" not in b.passages[row].text[item.end : start]


def _opening(b: _Builder, srow: int) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", b.retriever.sentences.key(srow)[:80])[:RUN_OPENING])


def _add_run(b: _Builder, srow: int, hit: ScoredPassage, rank: int) -> None:
    """Paragraphs of one passage that open with the same words as ``srow``, from it on, when it
    starts them: a list without a lead-in, such as a legal text's bases ("Căn cứ Luật …; Căn cứ
    Nghị định …")."""
    row = b.span(srow)[0]
    opening = _opening(b, srow)
    if len(opening) < RUN_OPENING or lx.CLAUSE.match(b.text(srow)):
        return
    if srow > 0 and b.span(srow - 1)[0] == row and _opening(b, srow - 1) == opening:
        return  # not the run's first paragraph
    run, budget = [srow], MAX_LIST - len(b.text(srow))
    nxt = srow + 1
    while nxt < len(b.retriever.sentences) and b.span(nxt)[0] == row and _opening(b, nxt) == opening \
            and not lx.ITEM.match(b.text(nxt)):
        budget -= len(b.text(nxt)) + 1
        if budget < 0:
            break
        run.append(nxt)
        nxt += 1
    if len(run) >= 2:
        b.add(Shape.LIST, [b.segment(s) for s in run], hit, rank, frozenset({"run"}))


def _add_paragraph(b: _Builder, srow: int, hit: ScoredPassage, rank: int) -> None:
    """A paragraph of three or more sentences, from its first (a long item the splitter cut at its
    semicolons: "- … quán triệt Nghị quyết số 27 …; Nghị quyết số 66 …; Quy định số 178 …;"): what a
    question asking several things quotes of it (flag "paragraph")."""
    if srow > 0 and _continues(b, b.segment(srow - 1), srow):
        return  # not the paragraph's first sentence
    start = b.span(srow)[1]
    rows = [srow]
    while rows[-1] + 1 < len(b.retriever.sentences) and _continues(b, b.segment(rows[-1]), rows[-1] + 1):
        if b.span(rows[-1] + 1)[2] - start > MAX_LIST:
            return
        rows.append(rows[-1] + 1)
    if len(rows) >= 3:
        b.add(Shape.PAIR, [b.segment(r) for r in rows], hit, rank, frozenset({"paragraph"}))


def _add_opening(b: _Builder, srow: int, hit: ScoredPassage, rank: int) -> None:
    """A sentence the splitter cut from its paragraph at a semicolon ("Chủ tịch Ủy ban nhân dân cấp
    xã;" after "b) xếp ngạch chuyên viên chính … đối với …: Phó Vụ trưởng …;"), with the paragraph's
    opening it reads with: every sentence between when they fit, else the first one (flag "continued")."""
    first = srow
    while first > 0 and _continues(b, b.segment(first - 1), first) and b.text(first - 1).rstrip().endswith(";"):
        first -= 1
    if first == srow:
        return
    rows = list(range(first, srow + 1))
    if b.span(srow)[2] - b.span(first)[1] > MAX_UNIT:
        rows = [first, srow]
        if sum(len(b.text(r)) for r in rows) > MAX_UNIT:
            return
    b.add(Shape.PAIR, [b.segment(r) for r in rows], hit, rank, frozenset({"continued"}))


def _add_fields(b: _Builder, srow: int, seg: Segment, hit: ScoredPassage, rank: int) -> None:
    """An item with each labelled line that follows it before the next item ("- Ra mắt …" then
    "Đơn vị chủ trì: …", "Thời gian thực hiện: Tháng 12/2025"): a plan's task and its fields, one
    at a time and all together (on into the next passage of its article)."""
    fields: list[Segment] = []
    for n, nxt in enumerate(b.following(srow)):
        text = b.text(nxt)
        if n >= MAX_FIELDS or lx.ITEM.match(text) or lx.CLAUSE.match(text):
            break
        if lx.LABELLED_LINE.match(b.retriever.sentences.key(nxt)) and len(b.text(srow)) + len(text) <= MAX_UNIT:
            fields.append(replace(b.segment(nxt), cut_start=bool(n)))
            if n:  # the line right after the item is its pair already
                b.add(Shape.PAIR, [seg, fields[-1]], hit, rank)
    if len(fields) >= 2 and \
            sum(s.end - s.start + 1 for s in fields) + seg.end - seg.start <= MAX_UNIT:
        b.add(Shape.PAIR, [seg, *fields], hit, rank, frozenset({"fields"}))


def _add_clauses(b: _Builder, hit: ScoredPassage, rank: int) -> None:
    """An article's title and the first sentence of each of its numbered clauses, in order."""
    p = hit.passage
    article = [b.retriever.position(q.id) for q in b.retriever.document_passages({p.doc_id}) if q.article == p.article]
    rows = [r for r in article if r is not None]
    if not rows:
        return
    segs: list[Segment] = []
    first = list(b.rows(rows[0]))
    if first and b.text(first[0]).startswith("Điều"):
        segs.append(b.segment(first[0]))
    clauses = [s for r in rows for s in b.rows(r) if lx.CLAUSE.match(b.text(s))]
    if len(clauses) < 2:
        return
    budget = MAX_LIST - sum(len(b.text(s.sentence)) for s in segs)
    skipped = False
    for s in clauses:
        size = len(b.text(s)) + 1
        if size > budget:
            skipped = True
            break
        segs.append(b.segment(s))
        budget -= size
    if len(segs) >= 2:
        b.add(Shape.CLAUSES, segs, hit, rank, skipped=skipped)


def _fixed_places(q: QuestionAnalysis, hits: list[ScoredPassage], b: _Builder) -> None:
    """A document's effect clause, its date line, its labelled fields and its signature block, when the
    question asks for them."""
    doc_ids = set(q.documents) or {hits[0].passage.doc_id}
    passages = b.retriever.document_passages(doc_ids)
    ranks = {h.passage.id: r for r, h in enumerate(hits)}
    rows = [(b.retriever.position(p.id), p) for p in passages]
    top = hits[0]

    def hit_for(p: Passage) -> tuple[ScoredPassage, int]:
        r = ranks.get(p.id)
        return (hits[r], r) if r is not None else (ScoredPassage(p, top.score, top.dense, 0.0), len(hits))

    for row, p in rows:
        if row is None:
            continue
        last = normalise(p.section.split(" > ")[-1])
        field_heading = re.match(r"^[a-zđ]\)\s*(.+)$", last)
        for j, srow in enumerate(b.rows(row)):
            effect, adopted, label = _place(b.retriever.sentences.key(srow))
            flags: set[str] = set()
            if q.asks_effect and effect:
                flags.add("effect")
            if q.asks_issue and adopted:
                flags.add("issue")
            if label is not None and names_label(q.key, label):
                flags.add("label")
            if j == 0 and field_heading and names_label(q.key, field_heading.group(1)):
                flags.add("label")
            if flags:
                hit, rank = hit_for(p)
                b.add(Shape.SENTENCE, [b.segment(srow)], hit, rank, frozenset(flags))
    if q.asks_issue:
        for row, p in rows[:2]:
            m = PLACE_DATE.search(p.text) if row is not None else None
            if m:
                text = m.group().strip()
                start = m.start() + m.group().index(text)
                srow = next((s for s in b.rows(row) if b.span(s)[1] <= start < b.span(s)[2]), None)
                if srow is not None:
                    hit, rank = hit_for(p)
                    b.add(Shape.SENTENCE, [Segment(row, srow, start, start + len(text))], hit, rank,
                          frozenset({"issue"}))
                break
        else:  # no date line: an annex heading that names the document dates it
            for row, p in rows:
                number = b.retriever.documents.get(p.doc_id, {}).get("metadata", {}).get("number")
                m = annex_line(p.text, number) if row is not None and number else None
                if m:
                    hit, rank = hit_for(p)
                    b.add(Shape.SENTENCE, _spans(b, row, m.start(), m.end()), hit, rank, frozenset({"issue"}))
                    break
    if q.asks_signer:
        for row, p in rows:
            m = signature(p.text) if row is not None else None
            if m:
                hit, rank = hit_for(p)
                b.add(Shape.SENTENCE, _spans(b, row, m.start("role"), m.end("name")), hit, rank, frozenset({"signer"}))
                break


@lru_cache(maxsize=50_000)  # a document's sentences are read for every question about it
def _place(key: str) -> tuple[bool, bool, str | None]:
    """What a (normalised) sentence may be of a document's fixed places: its effect clause, the
    clause that says it was adopted, and the label of a labelled line."""
    label = lx.LABELLED_LINE.match(key)
    return (bool(lx.EFFECT_CLAUSE.search(key)), bool(lx.ADOPTED.search(key)),
            label.group("label") if label else None)


def _spans(b: _Builder, row: int, start: int, end: int) -> list[Segment]:
    """The parts of the passage's ``start``–``end`` in each of its sentences, without the spaces and
    markdown marks around them."""
    text = b.passages[row].text
    out = []
    for srow in b.rows(row):
        _, a, z = b.span(srow)
        a, z = max(a, start), min(z, end)
        while a < z and text[a] in " \t\n*_|":
            a += 1
        while z > a and text[z - 1] in " \t\n*_|":
            z -= 1
        if a < z:
            out.append(Segment(row, srow, a, z))
    return out


def names_label(question_key: str, label: str) -> bool:
    """The question names a field's label: its first three words in a row, and most of the rest."""
    words = re.findall(r"\w+", normalise(label))
    if len(words) < 3 or " ".join(words[:3]) not in question_key:
        return False
    asked = set(re.findall(r"\w+", question_key))
    return sum(w in asked for w in words) >= 0.8 * len(words)
