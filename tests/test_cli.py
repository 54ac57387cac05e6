"""The command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPORT, ROOT


def run(*args: str, store: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if store is not None:
        env["REFORMQA_STORE"] = str(store)
    return subprocess.run(
        [sys.executable, "-m", "reformqa.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


def test_ask_json(corpus_store: Path):
    out = run("ask", "Cấp tỉnh tiếp nhận bao nhiêu hồ sơ?", "--json", store=corpus_store)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "34.881" in data["answer"] and data["abstained"] is False
    assert data["citations"][0]["n"] == 1


def test_ask_within_a_document(corpus_store: Path):
    out = run("ask", "thời hạn giải quyết là bao nhiêu ngày?", "--json", "--doc", "1378/QĐ-BNV", store=corpus_store)
    data = json.loads(out.stdout)
    assert {c["source"] for c in data["citations"]} == {"quyet-dinh-1378-qd-bnv-tthc-noi-bo.md"}


def test_inspect_json():
    out = run("inspect", str(REPORT), "--json")
    data = json.loads(out.stdout)
    assert len(data["footnotes"]) == 58
    assert data["source"] == REPORT.name


def test_user_errors_are_clear_not_tracebacks(tmp_path: Path):
    bad = tmp_path / "hong.docx"
    bad.write_bytes(b"not a zip")
    out = run("inspect", str(bad))
    assert out.returncode != 0 and "hong.docx" in out.stderr and "Traceback" not in out.stderr
    out = run("ask", "Chỉ số CCHC?", store=tmp_path / "empty")
    assert out.returncode != 0 and "no index" in out.stderr and "Traceback" not in out.stderr
    out = run("ask", "  ", store=tmp_path / "empty")
    assert out.returncode != 0 and "Traceback" not in out.stderr


def test_ingest_shows_embedding_progress_with_speed_and_reports_skips(tmp_path: Path, small_corpus: Path):
    (small_corpus / ".nhap.md").write_text("# Bản nháp\n\nChưa xong.\n", encoding="utf-8")
    out = run("ingest", str(small_corpus), store=tmp_path / "store")
    assert out.returncode == 0, out.stderr
    assert re.search(r"embedding (\d+)/\1 passages, [\d.]+ passages/s", out.stderr), out.stderr
    assert "skipped: " in out.stderr and ".nhap.md: hidden" in out.stderr
    assert "2 added" in out.stderr and "1 skipped" in out.stderr


def test_feedback_export(tmp_path: Path):
    from reformqa.feedback import FeedbackStore

    out = run("feedback", "export", store=tmp_path)
    assert out.returncode == 2 and "no feedback" in out.stderr and "Traceback" not in out.stderr
    votes = FeedbackStore.in_store(tmp_path)
    votes.add("Chỉ số CCHC?", "Đạt 81,84% [1].", True, [{"n": 1, "quote": "đạt 81,84%"}])
    votes.add("Câu khác?", "Không tìm thấy.", False, [])
    out = run("feedback", "export", store=tmp_path)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["question"], r["liked"]) for r in rows] == [("Chỉ số CCHC?", True), ("Câu khác?", False)]
    assert rows[0]["citations"] == [{"n": 1, "quote": "đạt 81,84%"}]
    csv_file = tmp_path / "phan-hoi.csv"
    out = run("feedback", "export", "--format", "csv", "--out", str(csv_file), store=tmp_path)
    assert out.returncode == 0
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ts,question,answer,liked,citations_json" and len(lines) == 3
