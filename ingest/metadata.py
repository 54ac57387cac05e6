"""Title and metadata of a document: type, number, issuing body, date."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ingest.blocks import Block
from ingest.references import DOC_NUMBER, kind_from_number
from ingest.vietnamese import LOWER, UPPER

TYPE_WORDS = {
    "NGHỊ ĐỊNH": "Nghị định",
    "LUẬT": "Luật",
    "QUYẾT ĐỊNH": "Quyết định",
    "CHỈ THỊ": "Chỉ thị",
    "KẾ HOẠCH": "Kế hoạch",
    "BÁO CÁO": "Báo cáo",
    "THÔNG TƯ": "Thông tư",
    "NGHỊ QUYẾT": "Nghị quyết",
    "CÔNG VĂN": "Công văn",
    "THÔNG BÁO": "Thông báo",
    "HƯỚNG DẪN": "Hướng dẫn",
}
ISSUERS = (
    ("QUỐC HỘI", "Quốc hội"),
    ("CHÍNH PHỦ", "Chính phủ"),
    ("BỘ NỘI VỤ", "Bộ Nội vụ"),
    ("BỘ TƯ PHÁP", "Bộ Tư pháp"),
)
_NUMBER = re.compile(rf"(?:Số|SỐ|Luật số)\s*:\s*(?P<number>{DOC_NUMBER})")
_TITLE_NUMBER = re.compile(rf"\bsố\s+(?P<number>{DOC_NUMBER})")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
# "Hà Nội, ngày 30 tháng 6 năm 2025": a place of capitalised words (so the motto "… Hạnh phúc" the
# line may follow is not taken for part of it), then the date.
PLACE_DATE = re.compile(
    rf"[{UPPER}][{LOWER}]*(?:[ \t]+[{UPPER}][{LOWER}]*){{0,4}},\s*ngày\s+(\d{{1,2}})\s+tháng\s+(\d{{1,2}})\s+năm\s+(\d{{4}})"
)
# A signature block: the signing authority in capitals ("TM. ỦY BAN NHÂN DÂN", "KT. BỘ TRƯỞNG",
# "THỨ TRƯỞNG"), then the signer's name on its own ("(Đã ký)" and markdown may stand between).
SIGNATURE = re.compile(
    rf"(?P<role>(?:(?:KT|TM|TL|TUQ|Q)\.\s*)?[{UPPER}]+(?:[\s*_]+(?:(?:KT|TM|TL|TUQ|Q)\.\s*)?[{UPPER}]+)+)"
    rf"(?:[\s*_]|\((?:Đã ký|đã ký)\))+"
    rf"(?P<name>[{UPPER}][{LOWER}]+(?:[ \t]+[{UPPER}][{LOWER}]+){{1,4}})(?=[\s*_|]*(?:$|\n))"
)
# An annex's heading names the document it belongs to, with that document's date: "(Kèm theo Nghị
# định số 170/2025/NĐ-CP ngày 30 tháng 6 năm 2025 của Chính phủ)". A text whose head has no date
# line is dated by the annex line that names its own number.
ANNEX_OF = re.compile(
    rf"[Kk]èm theo\s+[^()\n]{{0,60}}?số\s+(?P<number>{DOC_NUMBER})\s+"
    rf"ngày\s+(?P<date>(\d{{1,2}})\s+tháng\s+(\d{{1,2}})\s+năm\s+(\d{{4}}))"
)
_SIGNING_ROLE = re.compile(r"TRƯỞNG|CHỦ TỊCH|THỦ TƯỚNG|GIÁM ĐỐC|CHÁNH|BÍ THƯ|TỔNG")
_PROVINCE = re.compile(rf"(?:TỈNH|THÀNH PHỐ)\s+([{UPPER}][{UPPER} ]+?)(?=\s*(?:-{{2,}}|\||$|\n|CỘNG))")
_HEAD_SCAN = 40
_ISSUER_SCAN = 6


def extract_metadata(blocks: list[Block], path: Path) -> tuple[str, dict[str, Any]]:
    """Return ``(title, metadata)`` from the head of the document."""
    head = blocks[:_HEAD_SCAN]
    head_text = "\n".join(b.text for b in head)
    meta: dict[str, Any] = {"file": path.name}

    md_title = next((b.text for b in head if b.md_heading == 1), None)
    number_match = _NUMBER.search(head_text)
    if number_match is None and md_title:
        number_match = _TITLE_NUMBER.search(md_title)
    number = number_match.group("number").rstrip(".,;") if number_match else None
    doc_type, subject = _type_and_subject(head)
    if doc_type is None and number:
        doc_type = kind_from_number(number)
    if doc_type is None and md_title:
        doc_type = next((v for k, v in TYPE_WORDS.items() if md_title.upper().startswith(k)), None)

    # a bare date heads a line; a date after "Căn cứ Luật …" is another document's
    date = PLACE_DATE.search(head_text) or next(
        (m for b in head if (m := _DATE_WORDS.match(b.text.strip(" |*_")))), None
    ) or (own_annex(blocks, number) if number else None)
    header = [b.text for b in blocks[:_ISSUER_SCAN] if len(b.text) < 160 and not b.md_heading]
    issuer = _issuer("\n".join(header), number)
    if doc_type:
        meta["type"] = doc_type
    if number:
        meta["number"] = number
    if issuer:
        meta["issuer"] = issuer
    if date:
        d, m, y = date.groups()[-3:]  # day, month, year end every date pattern's groups
        meta["date"] = f"{int(d):02d}/{int(m):02d}/{y}"

    if md_title and number and number in md_title:
        title = md_title
    else:
        parts = [doc_type or "Văn bản"]
        if number:
            parts.append(f"số {number}")
        title = " ".join(parts)
        if subject:
            title = f"{title}: {subject}" if number else f"{doc_type or ''} {subject}".strip()
        elif md_title:
            title = md_title
    meta["title"] = title
    return title, meta


def _type_and_subject(head: list[Block]) -> tuple[str | None, str | None]:
    """Find the all-caps type word (``NGHỊ ĐỊNH``) and the subject line(s) after it."""
    for i, block in enumerate(head):
        text = block.text.strip().rstrip(":")
        for word, kind in TYPE_WORDS.items():
            if text == word or (text.startswith(word) and text[len(word):].isupper()):
                rest = text[len(word):].strip()
                subject = rest or (head[i + 1].text.strip() if i + 1 < len(head) else "")
                if subject.startswith(("Căn cứ", "CHÍNH PHỦ", "BỘ TRƯỞNG", "Thực hiện")):
                    subject = ""
                return kind, _tidy_subject(subject) or None
    return None, None


def _tidy_subject(subject: str) -> str:
    subject = re.sub(r"\s+", " ", subject).strip(" .*")
    return subject[:220]


def _issuer(head_text: str, number: str | None) -> str | None:
    upper = head_text.upper()
    for key, name in ISSUERS:
        if key in upper:
            return name
    if "ỦY BAN NHÂN DÂN" in upper or "UỶ BAN NHÂN DÂN" in upper:
        prov = _PROVINCE.search(head_text)
        return f"Ủy ban nhân dân tỉnh {prov.group(1).strip().title()}" if prov else "Ủy ban nhân dân"
    if number:
        if number.endswith("NĐ-CP"):
            return "Chính phủ"
        if re.search(r"QH\d+$", number):
            return "Quốc hội"
    return None


def own_annex(blocks: list[Block], number: str) -> re.Match[str] | None:
    """The first annex line (:data:`ANNEX_OF`) naming the document's own ``number``."""
    return next((m for b in blocks if (m := annex_line(b.text, number))), None)


def annex_line(text: str, number: str) -> re.Match[str] | None:
    """An annex line in ``text`` naming ``number`` (its own document's number), with its date."""
    if "èm theo" not in text:  # cheap test before the pattern
        return None
    return next((m for m in ANNEX_OF.finditer(text) if m.group("number").rstrip(".,;") == number), None)


def signature(text: str) -> re.Match[str] | None:
    """The first signature block in ``text``: groups ``role`` (the signing title) and ``name``."""
    for m in SIGNATURE.finditer(text):
        if _SIGNING_ROLE.search(m.group("role")):
            return m
    return None
