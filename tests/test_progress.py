"""Ingest progress: rate and ETA from a clock, described in English (CLI) and Vietnamese (app)."""

from __future__ import annotations

from index.progress import EmbeddingMeter, IngestStep, Stage, format_duration


def test_meter_gives_rate_and_eta() -> None:
    now = [100.0]
    meter = EmbeddingMeter(1_000, clock=lambda: now[0])
    now[0] += 10.0
    step = meter.advance(200)
    assert (step.done, step.total) == (200, 1_000)
    assert step.rate == 20.0 and step.eta_seconds == 40.0
    assert step.describe() == "embedding 200/1,000 passages, 20.0 passages/s, ETA 40 s"
    assert step.describe_vi() == "Đang tạo chỉ mục: 200/1,000 đoạn, 20.0 đoạn/giây, còn khoảng 40 s"
    now[0] += 40.0
    last = meter.advance(800)
    assert last.eta_seconds == 0.0 and last.done == last.total


def test_durations_and_reading_steps() -> None:
    assert [format_duration(s) for s in (0.4, 59, 185, 3_725)] == ["0 s", "59 s", "3 min 05 s", "1 h 02 min"]
    step = IngestStep(Stage.READ, 2, 10, name="2020/bao-cao.md")
    assert step.describe() == "[2/10] reading 2020/bao-cao.md"
    assert step.describe_vi() == "Đang đọc 2020/bao-cao.md (2/10)"
