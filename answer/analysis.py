"""A question, read once into a typed record: what it asks for and what it pins exactly.

No other part of the answering layer looks at the question's text: candidates, features,
checks and rendering all read :class:`QuestionAnalysis`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from answer import lexicon as lx
from index.lexical import normalise, tokenize
from index.scope import find_scope


class AnswerKind(StrEnum):
    """What the answer must hold."""

    FIGURE = "figure"
    DATE = "date"
    LIST = "list"
    REFERENCE = "reference"  # the document that is the legal basis
    AGENT = "agent"  # who (a person, body or level of government)
    DEFINITION = "definition"
    YESNO = "yesno"
    GENERAL = "general"


@dataclass(frozen=True)
class QuestionAnalysis:
    """Everything the answering layer needs to know about a question."""

    text: str  # the question as asked (after a follow-up was made self-contained)
    focus: str  # the question without the words that name a document it is about
    kind: AnswerKind
    unit: str | None = None  # the unit asked: "%", "ngày", "đồng", "thời gian" (bao lâu) …
    counted: tuple[str, ...] = ()  # words naming what is counted or measured
    aspect: tuple[str, ...] = ()  # "về <độ tuổi> như thế nào"
    years: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # document numbers, normalised
    articles: tuple[str, ...] = ()  # "điều 12"
    names: tuple[str, ...] = ()  # proper names and specific acronyms, normalised
    levels: tuple[str, ...] = ()  # cấp tỉnh / huyện / xã / trung ương
    documents: frozenset[str] = frozenset()  # ids of the documents the question names
    asks_effect: bool = False  # "… có hiệu lực từ ngày nào"
    asks_issue: bool = False  # "… ban hành ngày nào"
    asks_signer: bool = False  # "Ai ký …"
    asks_items: bool = False  # "theo những mức nào": a list's items are asked, whatever the kind
    asks_calendar: bool = False  # "trước ngày nào": a day, month or year is asked
    asks_number: bool = False  # "báo cáo … số mấy": a document's number is asked
    asks_rank: bool = False  # "xếp thứ mấy" (and nothing else): only a rank answers it
    tokens: tuple[str, ...] = ()  # lexical tokens of the focus
    content: frozenset[str] = field(default_factory=frozenset)  # tokens that are not asking words
    key: str = ""  # normalised focus
    # each part of a question that asks several things ("… ban hành ngày nào, có hiệu lực từ
    # ngày nào?"), analysed as a question of its own; empty for a question that asks one thing
    asks: tuple[QuestionAnalysis, ...] = ()

    @property
    def pinned(self) -> tuple[str, ...]:
        """Terms an answer's context must hold: years, numbers, articles and names."""
        return (*self.years, *self.numbers, *self.articles, *self.names)


def analyse(question: str, documents: dict[str, dict[str, Any]] | None = None, *,
            parts: bool = True) -> QuestionAnalysis:
    """Read ``question`` once; ``documents`` (the index's catalogue) lets it name documents.
    With ``parts``, each part of a question that asks several things is analysed too."""
    scope = find_scope(question, documents or {})
    focus = scope.question if scope.doc_ids else question
    key = normalise(question)
    focus_key = normalise(focus)
    kind = _kind(key)
    counted = _counted(key)
    unit = _unit(key)
    tokens = tuple(tokenize(focus))
    content = frozenset(t for t in tokens if not set(t.split("_")) & lx.ASKING_WORDS)
    return QuestionAnalysis(
        text=question,
        focus=focus,
        kind=kind,
        unit=unit,
        counted=tuple(w for w in counted if w not in lx.UNITS),
        aspect=_aspect(key),
        # a year that names the document ("Luật Cán bộ, công chức năm 2025") is not one asked about
        years=tuple(dict.fromkeys(m.group(1) for m in lx.YEAR.finditer(focus_key) if not _is_ratio(focus_key, m.start()))),
        numbers=tuple(dict.fromkeys(m.group().rstrip(".,;:") for m in lx.DOC_NUMBER.finditer(key))),
        articles=tuple(dict.fromkeys(f"điều {m}" for m in lx.ARTICLE.findall(key))),
        names=tuple(dict.fromkeys(_names(focus))),
        levels=tuple(dict.fromkeys(lx.LEVEL.findall(key))),
        documents=scope.doc_ids,
        asks_effect=bool(lx.ASKS_EFFECT.search(key)),
        asks_issue=bool(lx.ASKS_ISSUE.search(key)),
        asks_signer=bool(lx.ASKS_SIGNER.search(key)),
        asks_items=bool(lx.LIST_CUE.search(focus_key)),
        asks_calendar=kind == AnswerKind.DATE and bool(lx.CALENDAR_ASK.search(key)),
        asks_number=bool(lx.ASKS_NUMBER.search(key)),
        asks_rank=kind == AnswerKind.FIGURE and bool(lx.RANK_ASK.search(key)) and not _parts(focus),
        tokens=tokens,
        content=content,
        key=focus_key,
        asks=tuple(analyse(p, parts=False) for p in _parts(focus)) if parts else (),
    )


def _parts(question: str) -> list[str]:
    """The question's parts, cut at commas and "và" where each side has its own asking word
    (a "và" inside a name stays); empty unless there are at least two."""
    parts: list[str] = []
    current = ""
    for piece in lx.ASK_SEPARATOR.split(question):
        if lx.ASK_SEPARATOR.fullmatch(piece):
            if lx.INTERROGATIVE.search(current):
                parts.append(current)
                current = ""
            else:
                current += piece
            continue
        current += piece
    if current.strip():
        if lx.INTERROGATIVE.search(current) or not parts:
            parts.append(current)
        else:
            parts[-1] += " " + current
    parts = [p.strip() for p in parts if p.strip()]
    return parts if len(parts) >= 2 else []


def _kind(key: str) -> AnswerKind:
    for name, cue in lx.KIND_CUES:
        if cue.search(key):
            return AnswerKind(name)
    return AnswerKind.GENERAL


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def _counted(key: str) -> list[str]:
    """The words after "bao nhiêu / mấy", else the measure named before it ("mức phạt … bao nhiêu")."""
    m = lx.COUNT_ASK.search(key)
    if not m:
        return []
    after: list[str] = []
    for word in _words(key[m.end() :]):
        if not word[0].isalnum() or word in lx.PHRASE_END or len(after) >= 4:
            break
        after.append(word)
    if [w for w in after if w not in lx.UNITS]:
        return after
    heads = list(lx.MEASURE_HEADS.finditer(key[: m.start()]))
    if not heads:
        return after
    words = heads[-1].group().split()
    for word in _words(key[heads[-1].end() : m.start()]):
        if not word[0].isalnum() or word in lx.PHRASE_END or len(words) >= 4:
            break
        words.append(word)
    return words + after


def _unit(key: str) -> str | None:
    """The unit an answer's figure should carry, if the question names one."""
    m = lx.COUNT_ASK.search(key)
    after = _words(key[m.end() :])[:2] if m else []
    if after and after[0] in lx.UNITS:
        return "%" if after[0] == "phần" else ("đồng" if after[:2] == ["tỷ", "đồng"] else after[0])
    if re.search(r"\bbao lâu\b", key):
        return "thời gian"
    if re.search(r"\b(?:tỷ lệ|tỉ lệ|phần trăm)\b", key):
        return "%"
    return None


def _aspect(key: str) -> tuple[str, ...]:
    m = lx.ASPECT.search(key)
    return tuple(w for w in m.group("aspect").split() if w not in lx.PHRASE_END) if m else ()


def _is_ratio(key: str, start: int) -> bool:
    """"503/2003 TTHC" is a ratio, not the year 2003."""
    over = re.search(r"(\d+)/$", key[:start])
    return bool(over and int(over.group(1)) > 12)


_COMBINING = re.compile("[\u0300-\u036f]")


def strip_accents(text: str) -> str:
    """``Quyết định`` -> ``Quyet dinh`` (for matching names typed without accents)."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")))


def _names(question: str) -> list[str]:
    """Proper names (runs of capitalised words past a sentence's start) and specific acronyms."""
    out: list[str] = []
    words = _words(question)
    run: list[str] = []
    for i, word in enumerate([*words, "."]):
        first = i == 0 or words[i - 1] in ".?!:;"
        if word[:1].isupper() and word.isalpha() and not first and (len(word) == 1 or not word.isupper()):
            run.append(word)
            continue
        if len(run) >= 2:
            name = normalise(" ".join(run))
            generic = any(g in name or name in g for g in lx.GENERIC_NAMES)
            if not generic and not lx.DOC_TYPE_START.match(name):  # "Luật Cán bộ …" names a document
                out.append(name)
        run = []
    for word in re.findall(r"\b[A-ZĐ]{3,}\b", question):
        if word not in lx.GENERIC_ACRONYMS:
            out.append(word.lower())
    return out
