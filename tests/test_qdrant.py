"""The Qdrant backend in qdrant-client's embedded mode (no server): selection, sync, errors, parity."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from eval.bench import memoise_queries, own_cases, run_cases
from index import qdrant
from index import store as index_store
from index.builder import ingest
from index.retriever import Retriever


def test_ingest_fills_qdrant_and_load_reads_it_when_configured(tmp_path: Path, small_corpus: Path, monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setenv(qdrant.ENV_URL, str(tmp_path / "qdrant"))
    monkeypatch.setenv(qdrant.ENV_COLLECTION, "ingest")
    assert ingest([small_corpus], store).ok
    r = Retriever.load(store)
    assert isinstance(r, qdrant.QdrantRetriever)
    local = index_store.load(store)
    assert [p.id for p in r.passages] == [p.id for p in local.passages]
    assert r.documents == local.documents and r.data.model == local.model
    assert r.retrieve("Lạng Giang tiếp nhận bao nhiêu hồ sơ", k=1)[0].passage.doc_id == "ghi-chu.txt"

    note = small_corpus / "ghi-chu.txt"
    note.write_text(note.read_text(encoding="utf-8").replace("1.234", "5.678"), encoding="utf-8")
    (small_corpus / "tin-bo-noi-vu-ket-qua-cchc-2024.md").unlink()
    assert ingest([small_corpus], store).ok
    r = Retriever.load(store)
    assert {p.doc_id for p in r.passages} == {"ghi-chu.txt"}
    top = r.retrieve("Lạng Giang tiếp nhận bao nhiêu hồ sơ", k=1)[0].passage
    assert "5.678" in top.text and "1.234" not in top.text


def test_sync_writes_only_what_changed(tmp_path: Path, corpus_store: Path):
    config = qdrant.QdrantConfig(":memory:", "sync")
    data = index_store.load(corpus_store)
    assert qdrant.sync(config, data, "b1") == len(data.passages)
    assert qdrant.sync(config, data, "b1") == 0  # the same build: nothing to do
    edited = dataclasses.replace(data.passages[3], text=data.passages[3].text + " Đã sửa đổi.")
    data2 = dataclasses.replace(data, passages=[*data.passages[:3], edited, *data.passages[4:]])
    assert qdrant.sync(config, data2, "b2") == 1
    r = qdrant.QdrantRetriever.connect(config)
    assert len(r.passages) == len(data.passages) and r.passages[3].text.endswith("Đã sửa đổi.")


def test_qdrant_ranks_the_corpus_questions_as_the_local_index_does(qdrant_retriever, corpus_store: Path):
    local = memoise_queries(Retriever.load(corpus_store))
    remote = memoise_queries(qdrant_retriever)
    cases = own_cases()
    ours, theirs = run_cases(local, cases), run_cases(remote, cases)
    assert theirs.recall(5) >= ours.recall(5) - 0.03 and theirs.recall(1) >= ours.recall(1) - 0.05
    for token in ("kỷ_luật", "1118/qđ-ubnd", "điều_36", "công"):
        assert remote.bm25.idf[token] == pytest.approx(local.bm25.idf[token])


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setenv(qdrant.ENV_URL, "http://127.0.0.1:9")
    with pytest.raises(qdrant.QdrantUnavailableError, match=r"127\.0\.0\.1:9.*REFORMQA_QDRANT_URL"):
        Retriever.load(tmp_path)
    from reformqa.cli import main

    with caplog.at_level(logging.ERROR):
        assert main(["ask", "Thời hạn giải quyết?", "--store", str(tmp_path)]) == 2
    assert "Qdrant at http://127.0.0.1:9 cannot be used" in caplog.text and "Traceback" not in caplog.text


def test_an_empty_qdrant_says_how_to_build_the_index():
    with pytest.raises(index_store.IndexMissingError, match="reformqa ingest"):
        qdrant.QdrantRetriever.connect(qdrant.QdrantConfig(":memory:", "empty"))


def test_the_engine_answers_through_qdrant_as_through_the_local_index(qdrant_retriever, engine):
    from answer.engine import Engine

    assert qdrant_retriever.data.sentence_vectors is not None  # read from Qdrant, not re-embedded
    remote = Engine(qdrant_retriever, selector=engine.selector)
    for question in ("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?",
                     "Tổ công tác tiếp nhận phản ánh của doanh nghiệp được thành lập theo quyết định nào?"):
        here, there = engine.ask(question), remote.ask(question)
        assert not there.abstained and there.answer == here.answer
