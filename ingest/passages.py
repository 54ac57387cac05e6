"""Blocks + headings -> passages: the units indexed and cited."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest import limits
from ingest.blocks import Block
from ingest.models import Footnote, LegalReference, Passage
from ingest.references import find_references
from ingest.structure import Heading, amended_article, classify, is_appendix
from ingest.vietnamese import SUPERSCRIPT_DIGITS, UPPER, from_superscript, strip_superscripts

MAX_CHARS = 900
MIN_CHARS = 200
_MARKER = re.compile(f"[{SUPERSCRIPT_DIGITS}]+")
_SENTENCE_END = re.compile(rf"(?<=[.!?;])\s+(?=[\"“(]?[{UPPER}0-9\-+])")
_CLAUSE = re.compile(r"^\d+\.\s")


@dataclass
class _Draft:
    blocks: list[Block] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(b.text) + 1 for b in self.blocks)


@dataclass
class Structured:
    """Blocks annotated with their heading path."""

    path: list[Heading]
    block: Block
    heading: Heading | None


def annotate(blocks: list[Block], legal: bool) -> list[Structured]:
    """Walk the blocks keeping a stack of open headings."""
    stack: list[Heading] = []
    out: list[Structured] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        in_article = any(h.kind == "article" for h in stack)
        if is_appendix(block.text) and in_article:
            stack = [h for h in stack if h.level < 1]
        heading = None if block.is_table else classify(block.text, in_article, legal, block.bold)
        if heading is None and in_article and not block.is_table:
            heading = amended_article(block.text)
        if heading is None and block.md_heading and len(block.text) < 200 and not legal:
            heading = Heading("roman", "", block.text) if block.md_heading <= 2 else None
        if heading is not None:
            if heading.kind in ("chapter", "section", "part") and not heading.title:
                nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                if nxt and len(nxt.text) < 200 and nxt.text.upper() == nxt.text and not classify(
                    nxt.text, False, legal
                ):
                    heading = Heading(heading.kind, heading.number, nxt.text.strip())
                    block = Block(
                        f"{block.text} {nxt.text}", block.start, nxt.end, pieces=block.pieces + nxt.pieces
                    )
                    i += 1
            stack = [h for h in stack if h.level < heading.level]
            stack.append(heading)
        out.append(Structured(list(stack), block, heading))
        if stack and stack[-1].kind == "amended" and block.text.rstrip().endswith(("”.", "”;", "”", '".')):
            stack.pop()  # the quoted article ends here; the amending article goes on
        i += 1
    return out


def section_path(path: list[Heading]) -> str:
    """``II. KẾT QUẢ … > 2. Cải cách thủ tục …`` or ``Chương IV > Điều 36. …``."""
    if not path:
        return "Mở đầu"
    parts = []
    for h in path:
        if h.kind in ("roman", "number", "letter"):
            parts.append(h.label)
        elif h.kind in ("article", "amended"):
            parts.append(h.full)
        else:
            parts.append(h.label)
    return " > ".join(parts)


def _find(source: str, start: int, end: int, words: list[str]) -> re.Match[str] | None:
    """First place in ``source[start:end]`` where ``words`` occur (markdown marks and wraps allowed)."""
    if not words or not source:
        return None
    pattern = r"[\s*_|\\]*".join(re.escape(w) for w in words)
    return re.compile(pattern).search(source, start, end)


def _wrap(sentence: str, limit: int) -> list[str]:
    """A sentence longer than ``limit`` in pieces at spaces (or anywhere, when there is none)."""
    pieces = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(sentence[:cut])
        sentence = sentence[cut:].lstrip(" ")
    return [*pieces, sentence] if sentence else pieces


def _split_long(block: Block, source: str = "") -> list[Block]:
    """Split a paragraph longer than MAX_CHARS at sentence ends, locating each piece in the source.

    A run of text with no sentence end past ``limits.MAX_SENTENCE_CHARS`` is cut at spaces.
    """
    if len(block.text) <= MAX_CHARS:
        return [block]
    sentences = [
        piece for s in _SENTENCE_END.split(block.text) for piece in _wrap(s, limits.MAX_SENTENCE_CHARS)
    ]
    chunks: list[str] = []
    for s in sentences:
        if chunks and len(chunks[-1]) + len(s) + 1 <= MAX_CHARS:
            chunks[-1] = f"{chunks[-1]} {s}"
        else:
            chunks.append(s)
    out: list[Block] = []
    pos, total, offset = block.start, max(len(block.text), 1), 0
    for chunk in chunks:
        # proportional estimate, replaced by the exact place when the words are found
        a = block.start + (block.end - block.start) * offset // total
        offset += len(chunk) + 1
        b = block.start + (block.end - block.start) * min(offset, total) // total
        words = strip_superscripts(chunk).split()
        first = _find(source, pos, block.end, words[:4])
        last = _find(source, first.start(), block.end, words[-3:]) if first else None
        if first and last:
            a, b = first.start(), last.end()
            pos = b
        out.append(Block(chunk, a, b, pieces=block.pieces))
    return out


def footnote_numbers(text: str, defined: dict[int, Footnote]) -> list[int]:
    """Footnote numbers whose markers occur in ``text`` (only numbers with a definition)."""
    found: list[int] = []
    for m in _MARKER.finditer(text):
        n = from_superscript(m.group())
        candidates = [n] if n in defined else [from_superscript(c) for c in m.group()]
        for c in candidates:
            if c in defined and c not in found:
                found.append(c)
    return found


def build_passages(
    structured: list[Structured],
    *,
    doc_id: str,
    document: str,
    source: str,
    footnotes: list[Footnote],
    source_text: str = "",
) -> list[Passage]:
    """Group annotated blocks into passages along structure and size."""
    defined = {f.number: f for f in footnotes}
    groups: list[tuple[list[Heading], list[Block]]] = []
    current_path: list[Heading] | None = None
    draft = _Draft()

    def close() -> None:
        nonlocal draft
        if draft.blocks and current_path is not None:
            groups.append((current_path, draft.blocks))
        draft = _Draft()

    for item in structured:
        if item.heading is not None:
            close()
            current_path = item.path
            if item.heading.kind in ("article", "amended"):
                draft.blocks.append(item.block)
            continue
        if current_path is None:
            current_path = item.path
        for piece in _split_long(item.block, source_text):
            starts_clause = bool(_CLAUSE.match(piece.text))
            too_big = draft.size + len(piece.text) > MAX_CHARS
            if draft.blocks and too_big and (draft.size >= MIN_CHARS or not starts_clause):
                close()
                current_path = item.path
            draft.blocks.append(piece)
    close()

    passages: list[Passage] = []
    for idx, (path, blocks) in enumerate(groups):
        text = "\n".join(b.text for b in blocks)
        if not text.strip():
            continue
        article = next((h for h in reversed(path) if h.kind == "article"), None)
        numbers = footnote_numbers(text, defined)
        notes = [defined[n] for n in numbers]
        refs = _references(text, notes)
        heading = article.full if article and not text.startswith("Điều") else ""
        passages.append(
            Passage(
                id=f"{doc_id}#{idx:04d}",
                doc_id=doc_id,
                document=document,
                source=source,
                section=section_path(path),
                article=article.label if article else None,
                text=text,
                span=(blocks[0].start, blocks[-1].end),
                footnotes=notes,
                references=refs,
                heading=heading,
            )
        )
    return passages


def _references(text: str, notes: list[Footnote]) -> list[LegalReference]:
    refs = find_references(text)
    seen = {r.number for r in refs}
    for note in notes:
        for r in find_references(note.text):
            if r.number not in seen:
                refs.append(r)
                seen.add(r.number)
    return refs
