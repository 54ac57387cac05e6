"""Which files an ingest reads: a walk of the given paths that accounts for every entry it passes.

Nothing is skipped without a word. Hidden entries (a name starting with a dot), Office lock
files (``~$…``), named pipes, sockets, devices, broken links and symbolic-link loops are
*skipped* (reported, not an error); a path that does not exist or a folder this account may
not open is *failed* (reported, and the ingest exits non-zero). A folder that cannot be read
is remembered, so that the files indexed from it earlier are kept rather than removed.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.source import file_kind

log = logging.getLogger(__name__)

_NO_ACCESS = (
    "permission denied: this account may not open the folder; ask its owner for access "
    "(không có quyền mở thư mục; hãy xin quyền truy cập)"
)


@dataclass(frozen=True)
class FoundFile:
    """A file to ingest: its resolved path and its path relative to the folder it was found in."""

    path: Path
    name: str


@dataclass
class Discovery:
    """The outcome of a walk: files to read, and every entry left out with the reason."""

    files: list[FoundFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)

    def under_unreadable(self, path: Path) -> bool:
        """Whether ``path`` lies in a folder the walk could not open."""
        return any(path.is_relative_to(folder) for folder in self.unreadable)


def discover(paths: Iterable[Path]) -> Discovery:
    """Files under ``paths`` (folders recursively, links followed once), in a stable order."""
    found = Discovery()
    seen: set[Path] = set()
    for given in paths:
        given = Path(given)
        try:
            info = given.stat()
        except FileNotFoundError:
            reason = "broken symbolic link" if given.is_symlink() else "no such file or folder; check the path"
            found.failed.append((str(given), f"{given}: {reason} (không tìm thấy tệp hoặc thư mục)"))
            continue
        except PermissionError:
            found.failed.append((str(given), f"{given}: {_NO_ACCESS}"))
            found.unreadable.append(given.absolute())
            continue
        except OSError as exc:
            found.failed.append((str(given), f"{given}: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(info.st_mode):
            root = given.resolve()
            found.roots.append(root)
            _walk(root, root, found, seen, {(info.st_dev, info.st_ino)})
        elif stat.S_ISREG(info.st_mode):
            _add(given.resolve(), given.name, found, seen)
        else:  # named explicitly, yet never read: a pipe or a device would never end
            found.failed.append((str(given), f"{given}: {file_kind(info.st_mode)}, not a document file"))
    return found


def _add(path: Path, name: str, found: Discovery, seen: set[Path]) -> None:
    if path in seen:
        return
    seen.add(path)
    found.files.append(FoundFile(path, name))


def _walk(root: Path, folder: Path, found: Discovery, seen: set[Path], open_dirs: set[tuple[int, int]]) -> None:
    """Depth-first, entries sorted by name; ``open_dirs`` holds the folders on the current path."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except PermissionError:
        found.failed.append((str(folder), f"{folder}: {_NO_ACCESS}; its files already indexed are kept"))
        found.unreadable.append(folder)
        return
    except OSError as exc:
        found.failed.append((str(folder), f"{folder}: cannot list the folder ({exc.strerror or exc})"))
        found.unreadable.append(folder)
        return
    for entry in entries:
        path = Path(entry.path)
        reason = _hidden(entry.name)
        if reason:
            found.skipped.append((str(path), f"{path}: {reason}"))
            continue
        try:
            info = entry.stat()  # follows symbolic links
        except FileNotFoundError:
            found.skipped.append((str(path), f"{path}: broken symbolic link (liên kết hỏng)"))
            continue
        except PermissionError:
            found.failed.append((str(path), f"{path}: {_NO_ACCESS}"))
            found.unreadable.append(path)
            continue
        except OSError as exc:  # ELOOP: a link that points to itself
            found.skipped.append((str(path), f"{path}: cannot follow ({exc.strerror or exc})"))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in open_dirs:
                found.skipped.append(
                    (str(path), f"{path}: symbolic link loop (points back to a folder above it) (liên kết vòng)")
                )
                continue
            _walk(root, path, found, seen, open_dirs | {key})
        elif stat.S_ISREG(info.st_mode):
            _add(path.resolve(), path.relative_to(root).as_posix(), found, seen)
        else:
            found.skipped.append((str(path), f"{path}: {file_kind(info.st_mode)}, not a document"))


def _hidden(name: str) -> str:
    if name.startswith("."):
        return "hidden (the name starts with a dot) (tệp ẩn, bỏ qua)"
    if name.startswith("~$"):
        return "an Office lock file (~$), not a document (tệp khoá của Office, bỏ qua)"
    return ""

