"""Source text -> paragraphs ("blocks"), with footnote definitions taken out.

Handles the mess of real documents: footnote blocks at page ends that cut a sentence in two,
hard-wrapped lines of crawled markdown, table pipes, bold/italic markers. Every block keeps
the character span it came from, so a passage can point back into the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.models import Footnote
from ingest.vietnamese import SUPERSCRIPT_DIGITS, from_superscript, to_superscript

_SUPER = f"[{SUPERSCRIPT_DIGITS}]+"
FOOTNOTE_DEF_TEXT = re.compile(rf"^\s*(?P<mark>{_SUPER})\s*(?P<text>\S.*)$")
FOOTNOTE_DEF_MD = re.compile(r"^\s*\[\^(?P<mark>\d+)\]:\s*(?P<text>.*)$")
MD_MARKER = re.compile(r"\[\^(\d+)\]")
LIST_START = re.compile(r"^\s*(?:[-+•–]\s+|[a-zđ]\)\s+|\d+(?:\.\d+)*[.)]\s+|\*\*\d+|\(\d+\)\s)")
HEADING_START = re.compile(
    r"^\s*(?:\*\*)?\s*(?:Điều\s+\d+[a-zđ]?\s*[.:]|Chương\s+(?:[IVXLC]+|\d+)\b|CHƯƠNG\s|"
    r"Mục\s+\d+\b|PHẦN\s|Phần\s+thứ|[IVXLC]+\.\s)"
)
PIPE_ONLY = re.compile(r"^\s*\|[\s|]*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
TERMINAL = tuple(".:;!?…”\")»")


@dataclass
class Block:
    """A paragraph of the body: display text (markdown cleaned) and its source span."""

    text: str
    start: int
    end: int
    is_table: bool = False
    after_footnotes: bool = False
    md_heading: int = 0
    bold: bool = False
    pieces: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Body:
    """The body of a document as blocks, plus the footnote definitions found."""

    blocks: list[Block]
    footnotes: list[Footnote]


def _lines(text: str) -> list[tuple[str, int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((line, pos, pos + len(line)))
        pos += len(line) + 1
    return out


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_MD_EMPH = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)|(?<=\S)_(?![\w_]))")


def clean_markdown(text: str) -> str:
    """Drop emphasis markers, links and escapes; keep the words as written."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_EMPH.sub("", text)
    text = text.replace("\\", "")
    return re.sub(r"[ \t]+", " ", text).strip()


def _table_row_text(line: str) -> str:
    cells = [clean_markdown(c) for c in line.strip().strip("|").split("|")]
    return " | ".join(c for c in cells if c)


def split_body(text: str, markdown: bool, footnotes: dict[int, str] | None = None) -> Body:
    """Split ``text`` into blocks; footnote definitions become :class:`Footnote` records."""
    defs: dict[int, str] = dict(footnotes or {})
    blocks: list[Block] = []
    current: list[tuple[str, int, int]] = []
    pending_gap = False

    def flush() -> None:
        nonlocal current, pending_gap
        if not current:
            return
        raw = " ".join(line.strip() for line, _, _ in current)
        heading = 0
        m = re.match(r"^(#{1,6})\s+(.*)$", raw) if markdown else None
        if m:
            heading, raw = len(m.group(1)), m.group(2)
        bold = markdown and raw.startswith("**") and raw.rstrip().endswith("**") and raw.count("**") == 2
        display = clean_markdown(raw) if markdown else re.sub(r"[ \t]+", " ", raw).strip()
        display = MD_MARKER.sub(lambda mm: to_superscript(int(mm.group(1))), display)
        if display:
            blocks.append(
                Block(
                    text=display,
                    start=current[0][1],
                    end=current[-1][2],
                    after_footnotes=pending_gap,
                    md_heading=heading,
                    bold=bold,
                    pieces=[(s, e) for _, s, e in current],
                )
            )
            pending_gap = False
        current = []

    for line, start, end in _lines(text):
        m = FOOTNOTE_DEF_TEXT.match(line) or (FOOTNOTE_DEF_MD.match(line) if markdown else None)
        if m and not current:
            mark = m.group("mark")
            number = int(mark) if mark.isascii() else from_superscript(mark)
            defs.setdefault(number, m.group("text").strip())
            pending_gap = True
            continue
        if not line.strip():
            flush()
            continue
        if markdown and (PIPE_ONLY.match(line) or TABLE_RULE.match(line)):
            flush()
            continue
        if markdown and line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            flush()
            row = _table_row_text(line)
            if row:
                blocks.append(Block(row, start, end, is_table=True, pieces=[(start, end)]))
            continue
        if current and (HEADING_START.match(line) or (LIST_START.match(line) and _item_may_start(current, markdown))):
            flush()
        current.append((line, start, end))
    flush()

    blocks = _rejoin_broken(blocks)
    notes = [Footnote(n, defs[n]) for n in sorted(defs)]
    return Body(blocks=blocks, footnotes=notes)


def _item_may_start(current: list[tuple[str, int, int]], markdown: bool) -> bool:
    """In hard-wrapped markdown, "- 2030 phấn đấu…" after "giai đoạn 2026" continues the line;
    a list item starts only after a line that closes (``.;:!?)``)."""
    if not markdown:
        return True
    return current[-1][0].rstrip().rstrip("*_").endswith((".", ";", ":", "!", "?", ")", "…"))


def _ends_open(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and not stripped.endswith(TERMINAL)


def _starts_lower(text: str) -> bool:
    first = text.lstrip()[:1]
    return first.islower()


def _rejoin_broken(blocks: list[Block]) -> list[Block]:
    """Join a paragraph cut by a page break (and the footnote block printed there)."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.is_table
            and not block.is_table
            and not prev.md_heading
            and _ends_open(prev.text)
            and len(prev.text) > 80
            and (block.after_footnotes or _starts_lower(block.text))
            and not LIST_START.match(block.text)
        ):
            prev.text = f"{prev.text} {block.text}"
            prev.end = block.end
            prev.pieces.extend(block.pieces)
            continue
        out.append(block)
    return out
