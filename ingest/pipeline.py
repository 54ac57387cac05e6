"""One file in, one :class:`Document` out: the ingest pipeline's single entry point."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from ingest.blocks import split_body
from ingest.metadata import extract_metadata
from ingest.models import Document
from ingest.passages import annotate, build_passages
from ingest.source import IngestError, SourceText

log = logging.getLogger(__name__)

# Bump when parsing changes what a file yields: stores built by another version re-parse
# every file on the next ingest (unchanged passages keep their vectors).
PARSER_VERSION = "4"

_LEGAL_TYPES = {"Nghị định", "Luật", "Thông tư", "Nghị quyết", "Quyết định", "Pháp lệnh"}


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: lower-case stem, safe characters only."""
    stem = re.sub(r"[^\w\-]+", "-", path.stem.lower()).strip("-")
    return stem or hashlib.sha1(path.name.encode()).hexdigest()[:12]


def parse_source(source: SourceText) -> Document:
    """Parse already-read text into a :class:`Document`."""
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
    doc_id = doc_id_for(source.path)
    passages = build_passages(
        structured,
        doc_id=doc_id,
        document=title,
        source=source.path.name,
        footnotes=body.footnotes,
        source_text=source.text,
    )
    if not passages:
        raise IngestError(source.path, "no passages could be built from the text")
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
        source=source.path.name,
        metadata=metadata,
        footnotes=body.footnotes,
        passages=passages,
        articles=articles,
    )


def parse_file(path: Path | str) -> Document:
    """Read and parse one file; raises :class:`IngestError` with a clear message on failure."""
    from ingest.readers import read_source

    return parse_source(read_source(Path(path)))
