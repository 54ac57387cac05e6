"""Ingest: files become parsed documents (structure, footnotes, legal references) and passages."""

from ingest.models import Document, Footnote, LegalReference, Passage
from ingest.source import IngestError, SourceText

__all__ = ["Document", "Footnote", "IngestError", "LegalReference", "Passage", "SourceText"]
