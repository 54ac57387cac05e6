"""The persisted hybrid index: round trip, incremental ingest, atomicity, exact matching."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from index import store as index_store
from index.builder import ingest
from index.lexical import tokenize
from index.retriever import Mode, Retriever
from tests.conftest import CORPUS, ROOT


def test_round_trip_keeps_passages_vectors_and_metadata(corpus_store: Path):
    data = index_store.load(corpus_store)
    again = Retriever.load(corpus_store)
    assert len(data.passages) == len(again.passages) > 500
    assert data.vectors.shape == (len(data.passages), 384)
    p = next(p for p in again.passages if p.footnotes)
    assert p.footnotes[0].text and p.section and p.document


def test_exact_reference_retrieves_the_passage_whose_footnote_holds_it(corpus_store: Path):
    r = Retriever.load(corpus_store)
    top = r.retrieve("1118/QĐ-UBND", k=1)[0].passage
    assert "Tổ công tác²" in top.text
    assert any("1118/QĐ-UBND" in f.text for f in top.footnotes)
    lexical = r.retrieve("Điều 36 Luật cán bộ công chức", k=3, mode=Mode.LEXICAL)
    assert any(h.passage.article == "Điều 36" for h in lexical)


def test_tokens_keep_numbers_and_fold_vietnamese():
    tokens = tokenize("Theo Quyết định số 1118/QĐ-UBND, Điều 12 và 34.881 hồ sơ; hòa")
    assert "1118/qđ-ubnd" in tokens and "điều_12" in tokens and "34.881" in tokens
    assert tokenize("hòa") == tokenize("hoà") == tokenize("Ho\u0300a".lower())


def test_retrieval_can_be_limited_to_documents(corpus_store: Path):
    r = Retriever.load(corpus_store)
    hits = r.retrieve("thời hạn giải quyết", k=5, doc_ids=r.resolve_documents(["1378/QĐ-BNV"]))
    assert hits and {h.passage.doc_id for h in hits} == {"quyet-dinh-1378-qd-bnv-tthc-noi-bo"}


def test_incremental_add_change_remove(tmp_path: Path, small_corpus: Path):
    store = tmp_path / "store"
    first = ingest([small_corpus], store)
    assert first.ok and len(first.added) == 2
    again = ingest([small_corpus], store)
    assert not again.changed and len(again.unchanged) == 2

    note = small_corpus / "ghi-chu.txt"
    note.write_text(note.read_text(encoding="utf-8").replace("1.234", "5.678"), encoding="utf-8")
    changed = ingest([small_corpus], store)
    assert [Path(p).name for p in changed.updated] == ["ghi-chu.txt"]
    texts = " ".join(p.text for p in index_store.load(store).passages)
    assert "5.678" in texts and "1.234" not in texts

    (small_corpus / "tin-bo-noi-vu-ket-qua-cchc-2024.md").unlink()
    removed = ingest([small_corpus], store)
    assert len(removed.removed) == 1
    docs = {p.doc_id for p in index_store.load(store).passages}
    assert docs == {"ghi-chu"}


def test_bad_file_is_reported_and_keeps_what_was_there(tmp_path: Path, small_corpus: Path):
    store = tmp_path / "store"
    ingest([small_corpus], store)
    before = len(index_store.load(store).passages)
    (small_corpus / "hong.pdf").write_bytes(b"%PDF-1.4 truncated \x00\x01")
    (small_corpus / "bang.xlsx").write_bytes(b"PK\x03\x04 not really")
    report = ingest([small_corpus], store)
    failed = {Path(p).name: msg for p, msg in report.failed}
    assert set(failed) == {"hong.pdf", "bang.xlsx"}
    assert all(msg.startswith(name) for name, msg in failed.items())
    assert len(index_store.load(store).passages) == before


def test_a_crash_mid_ingest_leaves_the_previous_index_usable(tmp_path: Path, small_corpus: Path):
    store = tmp_path / "store"
    ingest([small_corpus], store)
    live = index_store.current_build(store)
    big = tmp_path / "big"
    big.mkdir()
    for name in ("nghi-dinh-63-2010-nd-cp-kiem-soat-tthc.md", "nghi-dinh-48-2013-nd-cp-sua-doi-kiem-soat-tthc.md"):
        shutil.copy(CORPUS / name, big)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reformqa.cli", "ingest", str(small_corpus), str(big), "--store", str(store)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        line = proc.stderr.readline()
        if "embedding" in line:  # parsing done, embedding under way: kill it now
            break
    proc.kill()
    proc.wait()
    assert index_store.current_build(store) == live
    r = Retriever.load(store)
    assert r.retrieve("Lạng Giang tiếp nhận bao nhiêu hồ sơ", k=1)[0].passage.doc_id == "ghi-chu"
    # and the next ingest finishes the job
    assert ingest([small_corpus, big], store).ok


def test_a_new_parser_version_reparses_and_reuses_vectors(tmp_path: Path, small_corpus: Path, monkeypatch):
    store = tmp_path / "store"
    ingest([small_corpus], store)
    built = index_store.load(store)
    built.parser = "0"  # as if written by an older parser
    index_store.save(store, built)

    import index.builder as builder

    calls: list[int] = []
    real = builder.embed_in_batches
    monkeypatch.setattr(builder, "embed_in_batches", lambda m, texts, **kw: calls.append(len(texts)) or real(m, texts, **kw))
    again = ingest([small_corpus], store)
    assert len(again.updated) == 2 and not again.unchanged
    assert calls == []  # same passages: vectors reused, nothing re-embedded
    rebuilt = index_store.load(store)
    assert rebuilt.parser == builder.PARSER_VERSION
    assert (rebuilt.vectors == built.vectors).all()
    assert not ingest([small_corpus], store).changed
