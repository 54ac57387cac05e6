"""Progress of an ingest, as plain data: which file is read, how far embedding is, how fast, ETA."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

SENTENCES = "sentences"


class Stage(StrEnum):
    READ = "read"
    EMBED = "embed"


@dataclass(frozen=True)
class IngestStep:
    """One progress report: ``done`` of ``total`` files read, or passages embedded."""

    stage: Stage
    done: int
    total: int
    name: str = ""
    rate: float | None = None  # texts per second, while embedding
    eta_seconds: float | None = None
    what: str = "passages"  # what is embedded: passages, or sentences

    def describe(self) -> str:
        """English, for the log of ``reformqa ingest``."""
        if self.stage == Stage.READ:
            return f"[{self.done}/{self.total}] reading {self.name}"
        return f"embedding {self.done:,}/{self.total:,} {self.what}{self._speed(f' {self.what}/s', 'ETA')}"

    def describe_vi(self) -> str:
        """Vietnamese, for the app's progress bar."""
        if self.stage == Stage.READ:
            return f"Đang đọc {self.name} ({self.done}/{self.total})"
        unit = "câu" if self.what == SENTENCES else "đoạn"
        return f"Đang tạo chỉ mục: {self.done:,}/{self.total:,} {unit}{self._speed(f' {unit}/giây', 'còn khoảng')}"

    def _speed(self, unit: str, eta: str) -> str:
        if self.rate is None:
            return ""
        text = f", {self.rate:.1f}{unit}"
        if self.eta_seconds is not None:
            text += f", {eta} {format_duration(self.eta_seconds)}"
        return text


Progress = Callable[[IngestStep], None]


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class EmbeddingMeter:
    """Counts embedded passages and turns the count into steps with a rate and an ETA."""

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic, what: str = "passages") -> None:
        self.total, self.done, self.what = total, 0, what
        self._clock = clock
        self._start = clock()

    def advance(self, count: int) -> IngestStep:
        self.done += count
        elapsed = self._clock() - self._start
        rate = self.done / elapsed if elapsed > 0 and self.done else None
        eta = (self.total - self.done) / rate if rate else None
        return IngestStep(Stage.EMBED, self.done, self.total, rate=rate, eta_seconds=eta, what=self.what)
