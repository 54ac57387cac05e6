"""Raw text read from a file, before any structure is recognised."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, for a user's message ("a named pipe (FIFO)")."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


class IngestError(Exception):
    """A file that cannot be ingested; the message names the file and says why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass
class SourceText:
    """Decoded text of one file.

    ``text`` is the body as the reader found it (NFC, ``\\n`` line ends). Readers of formats
    with real footnotes (.docx) put a Unicode superscript marker (``¹``, ``²³``) where each
    footnote reference stood and return the definitions in ``footnotes`` (number -> text);
    plain-text formats leave ``footnotes`` empty and keep their definitions in ``text``.
    ``notices`` says what the reader changed that a user should know (a legacy encoding
    converted, over-long runs of characters cut), one sentence each.
    """

    path: Path
    text: str
    format: str
    footnotes: dict[int, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    notices: list[str] = field(default_factory=list)
