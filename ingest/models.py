"""The domain records that flow from ingest to the index and the answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.vietnamese import strip_superscripts


@dataclass(frozen=True)
class Footnote:
    """A footnote definition: its number and text as the source wrote it."""

    number: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text}


@dataclass(frozen=True)
class LegalReference:
    """A reference to a legal document, e.g. ``Quyết định số 1118/QĐ-UBND ngày 03/6/2020``."""

    kind: str
    number: str
    date: str | None
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Passage:
    """The unit that is indexed, retrieved and cited."""

    id: str
    doc_id: str
    document: str
    source: str
    section: str
    article: str | None
    text: str
    span: tuple[int, int]
    footnotes: list[Footnote] = field(default_factory=list)
    references: list[LegalReference] = field(default_factory=list)
    heading: str = ""

    @property
    def plain(self) -> str:
        """The text without footnote markers, as embedded and matched."""
        return strip_superscripts(self.text)

    @property
    def search_text(self) -> str:
        """What the lexical index sees: heading, text and the texts of its footnotes."""
        parts = [self.heading, self.plain, *(f.text for f in self.footnotes)]
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span)
        data["references"] = [asdict(r) for r in self.references]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        data = dict(data)
        data["span"] = tuple(data["span"])
        data["footnotes"] = [Footnote(**f) for f in data.get("footnotes", [])]
        data["references"] = [LegalReference(**r) for r in data.get("references", [])]
        return cls(**data)


@dataclass
class Document:
    """A parsed file: metadata, footnotes, articles and passages.

    ``id`` is the file's path relative to the folder it was ingested from (``2020/bao-cao.md``,
    ``uploads/bao-cao.md`` for an upload); ``source`` is the same path, shown in citations.
    ``notices`` are what a user should know about the reading (encoding converted, text cut).
    """

    id: str
    title: str
    source: str
    metadata: dict[str, Any]
    footnotes: list[Footnote]
    passages: list[Passage]
    articles: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def footnote(self, number: int) -> Footnote | None:
        return next((f for f in self.footnotes if f.number == number), None)

    def to_inspect_json(self) -> dict[str, Any]:
        """The shape printed by ``reformqa inspect FILE --json`` (field names are an interface)."""
        return {
            "document": self.title,
            "source": self.source,
            "metadata": self.metadata,
            "footnotes": [f.to_dict() for f in self.footnotes],
            "passages": [
                {
                    "id": p.id,
                    "section": p.section,
                    "article": p.article,
                    "text": p.text,
                    "footnotes": [f.number for f in p.footnotes],
                    "references": [str(r) for r in p.references],
                }
                for p in self.passages
            ],
        }
