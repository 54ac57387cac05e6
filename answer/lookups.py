"""Questions a document answers in a fixed place, looked up there rather than ranked.

"Nghị định … có hiệu lực từ ngày nào?" is answered by the document's own effect clause
("Nghị định này có hiệu lực thi hành kể từ ngày …"), wherever retrieval ranked it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from answer.sentences import Sentence, split_sentences
from index.lexical import normalise
from ingest.metadata import PLACE_DATE
from ingest.models import Passage

_ASKS_EFFECT = re.compile(
    r"(có|bắt đầu có|phát sinh) hiệu lực.*(ngày nào|khi nào|bao giờ|thời điểm nào|từ ngày|kể từ)"
)
_EFFECT_CLAUSE = re.compile(
    r"^(?:điều \d+[a-zđ]?\.\s*)?(?:\d+\.\s*)?(luật|nghị định|quyết định|thông tư|chỉ thị|nghị quyết|kế hoạch|pháp lệnh|văn bản) này có hiệu lực"
)


def asks_effect_date(question: str) -> bool:
    """True for "… có hiệu lực (thi hành) từ ngày nào / khi nào?"."""
    return bool(_ASKS_EFFECT.search(normalise(question)))


_ASKS_ISSUE = re.compile(
    r"((ban hành|được ký|ký|thông qua)( ban hành)?( vào)? (ngày nào|ngày bao nhiêu|khi nào|bao giờ|hôm nào)|"
    r"ngày (ban hành|ký)( là)? (ngày )?(nào|bao nhiêu|khi nào))"
)


def asks_issue_date(question: str) -> bool:
    """True for "… ban hành ngày nào / ký ngày bao nhiêu?"."""
    return bool(_ASKS_ISSUE.search(normalise(question)))


_ADOPTED = re.compile(r"này (đã )?được .{0,160}thông qua ngày \d")


def issue_date_line(passages: Iterable[Passage]) -> tuple[Passage, Sentence] | None:
    """When a document was adopted or signed.

    A law's own "Luật này được Quốc hội … thông qua ngày …", else the header line
    "Hà Nội, ngày 30 tháng 6 năm 2025", if the document has one.
    """
    passages = list(passages)
    for passage in passages:
        for sent in split_sentences(passage.text):
            if _ADOPTED.search(normalise(sent.text)):
                return passage, sent
    for passage in passages[:2]:
        m = PLACE_DATE.search(passage.text)
        if m:
            text = m.group().strip()
            start = m.start() + m.group().index(text)
            return passage, Sentence(text, start, start + len(text))
    return None


def effect_clauses(passages: Iterable[Passage]) -> list[tuple[Passage, Sentence, int]]:
    """The sentences that say when their own document takes effect ("1. Nghị định này có hiệu lực …")."""
    found = []
    for passage in passages:
        for i, sent in enumerate(split_sentences(passage.text)):
            if _EFFECT_CLAUSE.search(normalise(sent.text)):
                found.append((passage, sent, i))
    return found


_LABELLED_LINE = re.compile(r"^(?:[a-zđ]\)|[-+]|\d+\.)?\s*(?P<label>[^:;.]{3,60}):")
_POINT_PREFIX = re.compile(r"^(?:[a-zđ]\)|\d+\.)\s*")
_FIELD_HEADING = re.compile(r"^[a-zđ]\)\s")


def labelled_sentences(question: str, passages: Iterable[Passage]) -> list[tuple[Passage, int]]:
    """Fields the question names by their label: "Thời hạn giải quyết: …", "l) Căn cứ pháp lý …".

    Procedures and plans are written as labelled fields; a question that uses a field's label
    ("thời hạn giải quyết … là bao lâu?") is answered by that field: the labelled line, or the
    first sentence under a heading with that label. Labels of one or two words are too
    common to count.
    """
    key = normalise(question)
    found: list[tuple[Passage, int]] = []
    for passage in passages:
        last = passage.section.split(" > ")[-1]
        sentences = split_sentences(passage.text)
        # a field heading is lettered ("l) Căn cứ pháp lý …"); a topic title is not a field
        if _FIELD_HEADING.match(last) and _names_label(key, _POINT_PREFIX.sub("", last)) and sentences:
            found.append((passage, 0))
            continue
        for i, sent in enumerate(sentences):
            m = _LABELLED_LINE.match(sent.text)
            if m and _names_label(key, m.group("label")):
                found.append((passage, i))
    return found


def _names_label(question_key: str, label: str) -> bool:
    """The question names the label: its first three words in a row, and most of the rest."""
    words = re.findall(r"\w+", normalise(label))
    if len(words) < 3 or " ".join(words[:3]) not in question_key:
        return False
    asked = set(re.findall(r"\w+", question_key))
    return sum(w in asked for w in words) >= 0.8 * len(words)
