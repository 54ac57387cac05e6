"""Questions a document answers in a fixed place, looked up there rather than ranked.

"Nghị định … có hiệu lực từ ngày nào?" is answered by the document's own effect clause
("Nghị định này có hiệu lực thi hành kể từ ngày …"), wherever retrieval ranked it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from answer.sentences import Sentence, split_sentences
from index.lexical import normalise
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


def effect_clauses(passages: Iterable[Passage]) -> list[tuple[Passage, Sentence, int]]:
    """The sentences that say when their own document takes effect ("1. Nghị định này có hiệu lực …")."""
    found = []
    for passage in passages:
        for i, sent in enumerate(split_sentences(passage.text)):
            if _EFFECT_CLAUSE.search(normalise(sent.text)):
                found.append((passage, sent, i))
    return found
