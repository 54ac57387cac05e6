"""The command line, run as a user would run it."""

from __future__ import annotations

import json
import os
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
