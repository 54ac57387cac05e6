"""One writer per store across processes: concurrent ingests and uploads queue, nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import store as index_store
from index.lock import StoreBusyError, holder, store_writer
from tests.conftest import ROOT

NOTE = "BÁO CÁO\n\nI. KẾT QUẢ\n\nNăm 2024, xã {name} tiếp nhận {count} hồ sơ trực tuyến.\n"


def _note(folder: Path, name: str, count: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(NOTE.format(name=name, count=count), encoding="utf-8")
    return path


def _wait_for(predicate, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_two_cli_ingests_at_once_both_land(tmp_path: Path) -> None:
    """The issue's case: two `reformqa ingest` on one store both said "1 added", one was lost."""
    store = tmp_path / "store"
    files = [_note(tmp_path / "a", "tan-dinh", "111"), _note(tmp_path / "b", "dinh-tri", "222")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = [tmp_path / f"ingest{i}.log" for i in range(2)]
    with store_writer(store):  # both start while a writer holds the store, then race for it
        procs = [
            subprocess.Popen([sys.executable, "-m", "reformqa.cli", "ingest", str(f), "--store", str(store)],
                             env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"))
            for f, log in zip(files, logs)
        ]
        try:
            both_wait = _wait_for(lambda: all("waiting" in log.read_text() for log in logs))
        except BaseException:
            for p in procs:
                p.kill()
            raise
    codes = [p.wait(timeout=600) for p in procs]
    assert both_wait, [log.read_text() for log in logs]
    assert codes == [0, 0], [log.read_text() for log in logs]
    assert set(index_store.load(store).documents) == {"tan-dinh.md", "dinh-tri.md"}


def test_an_upload_waits_for_a_cli_ingest_and_then_lands(tmp_path: Path) -> None:
    from reformqa.uploads import UploadStatus, add_upload

    store = tmp_path / "store"
    upload = _note(tmp_path / "tai-len", "tan-yen", "333")
    waited: list[str] = []
    results = []
    with store_writer(store):
        worker = threading.Thread(
            target=lambda: results.append(add_upload(store, upload, max_bytes=10**6, on_wait=waited.append))
        )
        worker.start()
        assert _wait_for(lambda: bool(waited), 30)
        assert f"pid {os.getpid()}" in waited[0]  # says who holds the store
        assert not results  # still waiting
    worker.join(timeout=600)
    assert results and results[0].status == UploadStatus.ADDED
    assert set(index_store.load(store).documents) == {"uploads/tan-yen.md"}


def test_a_writer_that_cannot_wait_fails_clearly(tmp_path: Path) -> None:
    from index.builder import ingest

    store = tmp_path / "store"
    with store_writer(store):
        with pytest.raises(StoreBusyError, match="another ingest is still writing"):
            ingest([_note(tmp_path / "a", "xa", "1")], store, lock_timeout=0.3, on_wait=lambda _: None)
    assert not index_store.exists(store)


def test_the_lock_says_who_holds_it_and_is_released(tmp_path: Path) -> None:
    with store_writer(tmp_path):
        assert f"pid {os.getpid()}" in holder(tmp_path)
    with store_writer(tmp_path, timeout=0):  # released: taken again at once
        pass
    assert holder(tmp_path) == "another process"  # nothing left behind about the last holder
