"""One file in, one :class:`Document` out: the ingest pipeline's single entry point."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ingest import limits
from ingest.blocks import split_body
from ingest.metadata import extract_metadata
from ingest.models import Document, Passage
from ingest.passages import annotate, build_passages
from ingest.source import IngestError, SourceText

log = logging.getLogger(__name__)

# Bump when parsing changes what a file yields: stores built by another version re-parse
# every file on the next ingest (unchanged passages keep their vectors). Version 5: document
# ids are paths relative to the ingested folder (were file stems), passage limits.
PARSER_VERSION = "6"

_LEGAL_TYPES = {"Nghị định", "Luật", "Thông tư", "Nghị quyết", "Quyết định", "Pháp lệnh"}


def parse_source(source: SourceText, doc_id: str | None = None) -> Document:
    """Parse already-read text into a :class:`Document` named ``doc_id`` (default: the file name)."""
    markdown = source.format in ("md",)
    body = split_body(source.text, markdown=markdown, footnotes=source.footnotes)
    if not body.blocks:
        raise IngestError(source.path, "no text found in the file")
    title, metadata = extract_metadata(body.blocks, source.path)
    metadata["encoding"] = source.encoding
    metadata["format"] = source.format
    legal = metadata.get("type") in _LEGAL_TYPES or bool(
        re.search(r"(?m)^\**Điều\s+1\s*[.:]", source.text)
    )
    structured = annotate(body.blocks, legal=legal)
    doc_id = doc_id or source.path.name
    passages = build_passages(
        structured,
        doc_id=doc_id,
        document=title,
        source=doc_id,
        footnotes=body.footnotes,
        source_text=source.text,
    )
    if not passages:
        raise IngestError(source.path, "no passages could be built from the text")
    notices = list(source.notices)
    passages = _drop_repeats(passages, notices)
    passages = _cap(passages, notices)
    articles: list[str] = []
    for item in structured:
        if item.heading is not None and item.heading.kind == "article":
            label = item.heading.label
            if label not in articles:
                articles.append(label)
    log.debug("%s: %d passages, %d footnotes", source.path.name, len(passages), len(body.footnotes))
    return Document(
        id=doc_id,
        title=title,
        source=doc_id,
        metadata=metadata,
        footnotes=body.footnotes,
        passages=passages,
        articles=articles,
        notices=notices,
    )


def _vi(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _drop_repeats(passages: list[Passage], notices: list[str]) -> list[Passage]:
    """Keep one of passages repeated word for word under the same heading (a pasted paragraph
    repeated thousands of times must not outweigh every other document)."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for p in passages:
        key = (p.section, p.heading, " ".join(p.plain.split()))
        if key not in seen:
            seen.add(key)
            kept.append(p)
    if len(kept) < len(passages):
        dropped = len(passages) - len(kept)
        notices.append(
            f"{dropped:,} repeated passage(s) indexed once (đã bỏ {_vi(dropped)} đoạn lặp lại nguyên văn)"
        )
    return kept


def _cap(passages: list[Passage], notices: list[str]) -> list[Passage]:
    """At most ``limits.MAX_PASSAGES_PER_DOCUMENT`` passages; the rest is left out and reported."""
    cap = limits.MAX_PASSAGES_PER_DOCUMENT
    if len(passages) <= cap:
        return passages
    notices.append(
        f"only the first {cap:,} of {len(passages):,} passages are indexed; split the file to index all of it "
        f"(chỉ {_vi(cap)} trên {_vi(len(passages))} đoạn đầu được đưa vào chỉ mục; hãy chia nhỏ tệp)"
    )
    return passages[:cap]


def parse_file(path: Path | str, doc_id: str | None = None) -> Document:
    """Read and parse one file; raises :class:`IngestError` with a clear message on failure."""
    from ingest.readers import read_source

    return parse_source(read_source(Path(path)), doc_id)
