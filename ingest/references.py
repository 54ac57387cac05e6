"""Legal references found in text and footnotes (``Quyết định số 1118/QĐ-UBND ngày 03/6/2020``)."""

from __future__ import annotations

import re

from ingest.models import LegalReference

DOC_TYPES = (
    "Thông tư liên tịch",
    "Quyết định",
    "Nghị định",
    "Nghị quyết",
    "Thông tư",
    "Thông báo",
    "Công văn",
    "Kế hoạch",
    "Chỉ thị",
    "Luật",
    "Báo cáo",
    "Hướng dẫn",
    "Đề án",
    "Chương trình",
    "Pháp lệnh",
    "Văn bản",
)

# How officials shorten a type before a number: "NĐ 170/2025", "QĐ 1378", "KH 141".
TYPE_ABBREVIATIONS = {
    "NĐ": "Nghị định",
    "QĐ": "Quyết định",
    "NQ": "Nghị quyết",
    "TTLT": "Thông tư liên tịch",
    "TT": "Thông tư",
    "TB": "Thông báo",
    "CV": "Công văn",
    "KH": "Kế hoạch",
    "CT": "Chỉ thị",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
}

# 1118/QĐ-UBND, 63/2010/NĐ-CP, 52-NQ/TW, 392/STP-XD&KTrVB, 80/2025/QH15, 012/CT-UBND
DOC_NUMBER = r"\d+(?:/\d{4})?[/-][A-ZĐ][A-Za-zĐđ0-9&.]*(?:[-/][A-ZĐa-z0-9&.]+)*"
_DATE = r"\d{1,2}/\d{1,2}/+\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
_TYPE = "|".join(DOC_TYPES)
REFERENCE = re.compile(
    rf"(?P<kind>{_TYPE})(?:\s+số)?\s*:?\s*(?P<number>{DOC_NUMBER})"
    rf"(?:\s+(?:ngày|ban hành ngày)\s+(?P<date>{_DATE}))?"
)
NUMBER_ONLY = re.compile(rf"(?<![\w/])(?P<number>{DOC_NUMBER})")

_KIND_BY_CODE = {
    "NĐ-CP": "Nghị định",
    "QĐ": "Quyết định",
    "NQ": "Nghị quyết",
    "TT": "Thông tư",
    "TB": "Thông báo",
    "KH": "Kế hoạch",
    "CT": "Chỉ thị",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
    "ĐA": "Đề án",
    "CTr": "Chương trình",
    "QH": "Luật",
}


def kind_from_number(number: str) -> str | None:
    """Guess the document type from its number's code (``63/2010/NĐ-CP`` -> ``Nghị định``)."""
    if re.search(r"/QH\d+$", number):
        return "Luật"
    for code, kind in _KIND_BY_CODE.items():
        if re.search(rf"(^|[/-]){re.escape(code)}($|[-/])", number):
            return kind
    return None


def _clean_number(number: str) -> str:
    return number.rstrip(".,;:-")


def find_references(text: str) -> list[LegalReference]:
    """All legal references in ``text``, in order, without duplicates (by number)."""
    found: dict[str, LegalReference] = {}
    covered: list[tuple[int, int]] = []
    for m in REFERENCE.finditer(text):
        number = _clean_number(m.group("number"))
        covered.append(m.span())
        if number not in found:
            date = m.group("date")
            found[number] = LegalReference(
                kind=m.group("kind"),
                number=number,
                date=re.sub(r"/+", "/", date) if date else None,
                text=re.sub(r"\s+", " ", text[m.start() : m.end()]).rstrip(".,;:"),
            )
    for m in NUMBER_ONLY.finditer(text):
        if any(a <= m.start() < b for a, b in covered):
            continue
        number = _clean_number(m.group("number"))
        kind = kind_from_number(number)
        if kind and number not in found and "/" in number:
            found[number] = LegalReference(kind=kind, number=number, date=None, text=number)
    return list(found.values())
