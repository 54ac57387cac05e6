"""Headings of reports (I., 1., a)) and of legal texts (Phần, Chương, Mục, Điều)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ROMAN = r"[IVXLC]+"
PART = re.compile(rf"^(?:PHẦN|Phần)\s+(?P<num>THỨ\s+[\wÀ-ỹ]+|[Tt]hứ\s+[\wÀ-ỹ]+|{ROMAN}|\d+)\b[.:]?\s*(?P<title>.*)$")
CHAPTER = re.compile(rf"^(?:Chương|CHƯƠNG)\s+(?P<num>{ROMAN}|\d+)\b\.?\s*(?P<title>.*)$")
SECTION = re.compile(r"^(?:Mục|MỤC)\s+(?P<num>\d+)\b\.?\s*(?P<title>.*)$")
ARTICLE = re.compile(r"^Điều\s+(?P<num>\d+[a-zđ]?)\s*[.:]\s*(?P<title>.*)$")
ARTICLE_BARE = re.compile(r"^Điều\s+(?P<num>\d+[a-zđ]?)\.?$")
REPORT_ROMAN = re.compile(rf"^(?P<num>{ROMAN})\s*[.-]\s*(?P<title>\S.*)$")
REPORT_NUMBER = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\s*[.)]\s*(?P<title>\S.*)$")
REPORT_LETTER = re.compile(r"^(?P<num>[a-zđ])\)\s*(?P<title>\S.*)$")
APPENDIX = re.compile(r"^(?:PHỤ LỤC|Phụ lục|MẪU SỐ|Mẫu số)\b")

# Levels: a heading closes every open heading of its level or deeper.
LEVEL = {"part": 0, "chapter": 1, "section": 2, "article": 3, "amended": 4, "roman": 1, "number": 2, "letter": 3}
# An amending text quotes the articles it writes: “Điều 35a. Kiểm tra … (inside its own Điều 1).
AMENDED = re.compile(r"^[“\"]Điều\s+(?P<num>\d+[a-zđ]?)\s*[.:]\s*(?P<title>[^”\"]*)[”\"]?$")


@dataclass(frozen=True)
class Heading:
    """A recognised heading: its kind, number, title and display label."""

    kind: str
    number: str
    title: str

    @property
    def level(self) -> int:
        return LEVEL[self.kind]

    @property
    def label(self) -> str:
        """Short label used in section paths: ``Chương IV``, ``Điều 36``, ``2. Cải cách …``."""
        if self.kind == "part":
            return f"Phần {self.number}"
        if self.kind == "chapter":
            return f"Chương {self.number}"
        if self.kind == "section":
            return f"Mục {self.number}"
        if self.kind == "article":
            return f"Điều {self.number}"
        if self.kind == "amended":
            return f"“Điều {self.number}”"
        sep = ")" if self.kind == "letter" else "."
        return f"{self.number}{sep} {self.title}".strip()

    @property
    def full(self) -> str:
        """Label with title: ``Điều 36. Hình thức kỷ luật đối với công chức``."""
        if self.kind in ("roman", "number", "letter"):
            return self.label
        if self.kind == "amended":
            return f"“Điều {self.number}. {self.title}”" if self.title else self.label
        return f"{self.label}. {self.title}" if self.title else self.label


def _short_heading_text(text: str, limit: int = 160) -> bool:
    return len(text) <= limit and not text.rstrip().endswith((".", ";", ",", ":"))


def classify(text: str, in_article: bool, legal: bool, bold: bool = False) -> Heading | None:
    """Return the heading ``text`` is, or None for body text.

    A paragraph set wholly in bold may be a longer heading (a procedure's full name).

    Inside an article, ``1.`` and ``a)`` are clauses and points (body), not headings.
    A quoted ``“Điều 5.`` (an amendment's new text) is body, not an article.
    """
    t = text.strip()
    if not t or t[0] in "“\"'‘":
        return None
    for kind, rx in (("part", PART), ("chapter", CHAPTER), ("section", SECTION)):
        m = rx.match(t)
        if m and len(t) <= 200 and (kind != "section" or legal):
            return Heading(kind, m.group("num").strip(), m.group("title").strip())
    m = ARTICLE.match(t) or ARTICLE_BARE.match(t)
    if m:
        title = m.groupdict().get("title") or ""
        return Heading("article", m.group("num"), title.strip())
    if in_article:
        return None
    m = REPORT_ROMAN.match(t)
    if m and _short_heading_text(t, 200):
        return Heading("roman", m.group("num"), m.group("title").strip())
    m = REPORT_NUMBER.match(t)
    if m and _short_heading_text(t, 400 if bold else 160) and "." not in m.group("num"):
        return Heading("number", m.group("num"), m.group("title").strip())
    m = REPORT_LETTER.match(t)
    if m and _short_heading_text(t, 120):
        return Heading("letter", m.group("num"), m.group("title").strip())
    return None


def amended_article(text: str) -> Heading | None:
    """The quoted heading of an article an amending text writes (“Điều 35a. Kiểm tra …)."""
    m = AMENDED.match(text.strip())
    if not m or len(text) > 300:
        return None
    return Heading("amended", m.group("num"), m.group("title").strip())


def is_appendix(text: str) -> bool:
    """True for the start of an appendix or form (``PHỤ LỤC``, ``Mẫu số 01``)."""
    return bool(APPENDIX.match(text.strip()))
