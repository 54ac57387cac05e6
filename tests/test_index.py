"""The persisted hybrid index: round trip, incremental ingest, atomicity, exact matching, both backends."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from eval.bm25_reference import DictBM25
from eval.runner import DEFAULT_QUESTIONS
from eval.scoring import load_questions
from index import store as index_store
from index.builder import embed_text, ingest
from index.cache import BoundedCache
from index.dense import VectorIndex
from index.embeddings import embed_query
from index.lexical import BM25, normalise, tokenize
from index.retriever import Mode, Retriever
from index.sentences import search_text
from tests.conftest import CORPUS, ROOT


def test_round_trip_keeps_passages_vectors_and_metadata(corpus_store: Path):
    data = index_store.load(corpus_store)
    again = Retriever.load(corpus_store)
    assert len(data.passages) == len(again.passages) > 500
    assert data.vectors.shape == (len(data.passages), 384)
    p = next(p for p in again.passages if p.footnotes)
    assert p.footnotes[0].text and p.section and p.document


def test_exact_reference_retrieves_the_passage_whose_footnote_holds_it(any_retriever: Retriever):
    r = any_retriever
    top = r.retrieve("1118/QĐ-UBND", k=1)[0].passage
    assert "Tổ công tác²" in top.text
    assert any("1118/QĐ-UBND" in f.text for f in top.footnotes)
    lexical = r.retrieve("Điều 36 Luật cán bộ công chức", k=3, mode=Mode.LEXICAL)
    assert any(h.passage.article == "Điều 36" for h in lexical)


def test_tokens_keep_numbers_and_fold_vietnamese():
    tokens = tokenize("Theo Quyết định số 1118/QĐ-UBND, Điều 12 và 34.881 hồ sơ; hòa")
    assert "1118/qđ-ubnd" in tokens and "điều_12" in tokens and "34.881" in tokens
    assert tokenize("hòa") == tokenize("hoà") == tokenize("Ho\u0300a".lower())


def test_an_index_build_leaves_the_question_path_cache_alone():
    """Texts indexed once must not fill the cache kept for the sentences questions come back to."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md"))]
    normalise.cache_clear()
    built = BM25.from_texts(texts)
    assert normalise.cache_info().currsize == 0
    assert np.array_equal(built.scores(tokenize("công chức")), BM25([tokenize(t) for t in texts]).scores(tokenize("công chức")))
    assert normalise.cache_info().currsize > 0  # the same tokens, through the cache


def test_retrieval_can_be_limited_to_documents(any_retriever: Retriever):
    r = any_retriever
    hits = r.retrieve("thời hạn giải quyết", k=5, doc_ids=r.resolve_documents(["1378/QĐ-BNV"]))
    assert hits and {h.passage.doc_id for h in hits} == {"quyet-dinh-1378-qd-bnv-tthc-noi-bo.md"}
    assert r.retrieve("thời hạn giải quyết", k=5, doc_ids=set()) == []


def test_retrieval_can_be_limited_to_a_document_type(any_retriever: Retriever):
    r = any_retriever
    decrees = r.retrieve("kiểm soát thủ tục hành chính", k=8, doc_types={"Nghị định"})
    assert len(decrees) == 8
    assert {h.passage.doc_id for h in decrees} <= r.documents_of_type({"Nghị định"})
    assert {h.passage.doc_id for h in decrees} & {"nghi-dinh-63-2010-nd-cp-kiem-soat-tthc.md",
                                                  "nghi-dinh-48-2013-nd-cp-sua-doi-kiem-soat-tthc.md"}
    law = r.resolve_documents(["80/2025/QH15"])
    assert r.retrieve("kiểm soát thủ tục hành chính", k=5, doc_ids=law, doc_types={"Nghị định"}) == []


def test_each_mode_reports_its_own_scores(any_retriever: Retriever):
    r = any_retriever
    question = "Hình thức kỷ luật đối với công chức"
    dense = r.retrieve(question, k=3, mode=Mode.DENSE)
    lexical = r.retrieve(question, k=3, mode=Mode.LEXICAL)
    hybrid = r.retrieve(question, k=3)
    assert [h.dense for h in dense] == sorted((h.dense for h in dense), reverse=True)
    assert all(0.7 < h.dense <= 1.0 and h.lexical == 0.0 for h in dense)
    assert [h.lexical for h in lexical] == sorted((h.lexical for h in lexical), reverse=True)
    assert all(h.lexical > 5 and h.dense == 0.0 for h in lexical)
    assert all(h.dense > 0.7 and h.lexical > 0 for h in hybrid)
    assert r.bm25.n_docs == len(r.passages) and r.bm25.idf.get("kỷ_luật", 0) > 1.0


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
    assert docs == {"ghi-chu.txt"}


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
    assert r.retrieve("Lạng Giang tiếp nhận bao nhiêu hồ sơ", k=1)[0].passage.doc_id == "ghi-chu.txt"
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


def test_reused_vectors_are_the_ones_a_fresh_embedding_gives():
    """Vectors are reused by text across builds (and questions through a cache): a vector must
    not depend on the batch it was computed in."""
    import numpy as np

    from index.embeddings import VectorCache, _normalise, embed_passages, load_embedder

    model = load_embedder()
    texts = ["Cấp tỉnh tiếp nhận 34.881 hồ sơ.", "Điều 36. Hình thức kỷ luật đối với công chức.",
             "Năm 2019, Chỉ số CCHC của tỉnh đạt 81,84%, xếp thứ 25/63 tỉnh, thành phố. " * 3]
    cached = embed_passages(model, texts)  # one batch
    again = embed_passages(model, texts[::-1])[::-1]  # another order
    for text, row, row_again in zip(texts, cached, again):
        fresh = np.asarray(model.get_text_embedding_batch([text]), dtype=np.float32)  # alone
        assert np.array_equal(row, _normalise(fresh)[0]) and np.array_equal(row, row_again)
    small = VectorCache(2)
    for i in range(3):
        small.put(("m", str(i)), np.full(2, i, np.float32))
    assert small.get(("m", "0")) is None and small.get(("m", "2"))[0] == 2
def test_bm25s_scores_equal_the_hand_written_bm25_on_the_question_set(corpus_store: Path):
    r = Retriever.load(corpus_store)
    old = DictBM25([tokenize(p.search_text) for p in r.passages])
    assert dict(r.bm25.idf) == old.idf
    questions = load_questions(DEFAULT_QUESTIONS)
    for q in questions:
        tokens = tokenize(q.question)
        before, now = old.scores(tokens), r.bm25.scores(tokens)
        np.testing.assert_allclose(now, before, rtol=1e-5, atol=1e-5)
        assert list(np.argsort(-now, kind="stable")[:10]) == list(np.argsort(-before, kind="stable")[:10]), q.id


def test_sentence_tokens_derived_on_demand_are_those_the_sentence_bm25_holds(corpus_store: Path):
    r = Retriever.load(corpus_store)
    index = r.sentences

    def searched(row: int) -> str:
        return search_text(r.passages[int(index.table.passage[row])], index.sentence(row).text)

    reference = DictBM25([tokenize(searched(row)) for row in range(len(index))])
    assert dict(index.bm25.idf) == reference.idf
    for row in (0, len(index) // 2, len(index) - 1):
        assert index.token_set(row) == frozenset(tokenize(searched(row)))
    tokens = tokenize(load_questions(DEFAULT_QUESTIONS)[0].question)
    np.testing.assert_allclose(index.bm25.scores(tokens), reference.scores(tokens), rtol=1e-5, atol=1e-5)


def test_a_bounded_cache_starts_again_when_full():
    cache: BoundedCache[int, int] = BoundedCache(size=3)
    made = []
    for key in [1, 2, 1, 3, 4, 1]:
        cache.get(key, lambda key=key: made.append(key) or key * 10)
    assert made == [1, 2, 3, 4, 1]  # 1 again only after the reset at 4
    assert len(cache) <= 3 and cache.get(4, lambda: -1) == 40


def test_an_approximate_vector_index_keeps_recall_and_exact_scores(corpus_store: Path):
    data = index_store.load(corpus_store)
    flat = Retriever(data)
    questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)[:40]]
    queries = np.vstack([embed_query(flat.embedder, q) for q in questions])
    exact = [set(np.argsort(-(data.vectors @ q))[:10]) for q in queries]
    for kind in ("hnsw", "ivf"):
        index = VectorIndex.build(data.vectors, kind)
        assert index.approximate and index.kind == kind
        found = [set(index.candidates(q)) for q in queries]
        assert np.mean([len(a & b) / 10 for a, b in zip(exact, found)]) >= 0.97
    approx = Retriever(dataclasses.replace(data, vector_index=VectorIndex.build(data.vectors, "hnsw")))
    for question, query in zip(questions[:10], queries):
        a, b = flat.retrieve(question, k=5), approx.retrieve(question, k=5)
        assert [h.passage.id for h in a][:3] == [h.passage.id for h in b][:3]
        for hit in b:  # true cosine, even for a passage the approximate search did not propose
            assert hit.dense == pytest.approx(float(data.vectors[approx.position(hit.passage.id)] @ query), abs=1e-5)


def test_a_large_index_is_approximate_and_stays_incremental(tmp_path: Path, small_corpus: Path, monkeypatch):
    import index.dense as dense

    monkeypatch.setattr(dense, "ANN_THRESHOLD", 2)  # the corpus as if it were a large library
    store = tmp_path / "store"
    ingest([small_corpus], store)
    assert (index_store.current_build(store) / dense.ANN_FILE).is_file()
    note = small_corpus / "ghi-chu.txt"
    note.write_text(note.read_text(encoding="utf-8").replace("1.234", "5.678"), encoding="utf-8")
    assert ingest([small_corpus], store).updated
    r = Retriever.load(store)
    assert r.dense.approximate and r.dense.ann.ntotal == len(r.passages)
    top = r.retrieve("Lạng Giang tiếp nhận bao nhiêu hồ sơ", k=1)[0].passage
    assert "5.678" in top.text


def test_identical_text_is_embedded_once(tmp_path: Path, small_corpus: Path, monkeypatch):
    import index.builder as builder

    calls: list[int] = []
    real = builder.embed_in_batches
    monkeypatch.setattr(builder, "embed_in_batches", lambda m, texts, **kw: calls.append(len(texts)) or real(m, texts, **kw))
    shutil.copy(small_corpus / "ghi-chu.txt", small_corpus / "ghi-chu-ban-sao.txt")
    store = tmp_path / "store"
    assert ingest([small_corpus], store).ok
    data = index_store.load(store)
    assert calls == [len({embed_text(p) for p in data.passages})]  # the copy's passages were not embedded
    calls.clear()
    shutil.copy(small_corpus / "tin-bo-noi-vu-ket-qua-cchc-2024.md", small_corpus / "tin-ban-sao.md")
    assert ingest([small_corpus], store).added
    assert calls == []  # a later copy of an indexed file: every vector reused


def test_a_format_1_build_still_loads(tmp_path: Path, small_corpus: Path):
    from llama_index.core.schema import TextNode
    from llama_index.core.storage.docstore import SimpleDocumentStore

    store = tmp_path / "store"
    ingest([small_corpus], store)
    build = index_store.current_build(store)
    before = Retriever.load(store)
    docstore = SimpleDocumentStore()
    docstore.add_documents([TextNode(id_=p.id, text=p.plain, metadata=p.to_dict()) for p in before.passages])
    docstore.persist(str(build / "docstore.json"))
    (build / index_store.PASSAGES_FILE).unlink()
    shutil.rmtree(build / index_store.LEXICAL_DIR)
    after = Retriever.load(store)
    assert [p.to_dict() for p in after.passages] == [p.to_dict() for p in before.passages]
    question = "Lạng Giang tiếp nhận bao nhiêu hồ sơ"
    assert [h.passage.id for h in after.retrieve(question)] == [h.passage.id for h in before.retrieve(question)]


def test_dbsf_fuses_as_qdrant_does():
    """Same top, same normalisation, same sums as qdrant-client's distribution-based fusion,
    including a list of one item and a list whose scores are all equal."""
    from qdrant_client.http import models
    from qdrant_client.hybrid.fusion import distribution_based_score_fusion

    from index.fusion import dbsf, dbsf_heads

    rng = np.random.default_rng(3)
    dense = rng.normal(0.8, 0.05, 500)
    lexical = np.where(rng.random(500) < 0.3, rng.gamma(2.0, 3.0, 500), -np.inf)  # BM25 matched 30 %
    one = np.full(500, -np.inf)
    one[7] = 4.2
    flat = np.where(np.arange(500) < 40, 1.0, -np.inf)
    beyond = 0
    for lists in ([dense, lexical], [dense, one], [flat, lexical]):
        ours = dbsf_heads(lists, [1.0, 1.0], top=200)
        responses = []
        for scores in lists:
            order = [int(i) for i in np.argsort(-scores, kind="stable")[:200] if np.isfinite(scores[i])]
            responses.append([models.ScoredPoint(id=i, version=0, score=float(scores[i])) for i in order])
        theirs = {p.id: p.score for p in distribution_based_score_fusion(responses, limit=500)}
        assert set(theirs) == set(np.flatnonzero(ours > 0).tolist())
        for i, score in theirs.items():
            assert ours[i] == pytest.approx(score, rel=1e-9)
        in_every_head = set.intersection(*({p.id for p in response} for response in responses))
        everyone = dbsf(lists, [1.0, 1.0], top=200)  # the same map, applied beyond the heads too
        assert all(everyone[i] == pytest.approx(theirs[i]) for i in in_every_head)
        outside = [i for i in range(500) if i not in theirs and np.isfinite(lists[0][i])]
        assert all(everyone[i] != 0 for i in outside)
        beyond += len(outside)
    assert beyond  # the first lists have scored items beyond the heads


def test_score_fusion_keeps_a_list_s_clear_winner_among_many_half_matches():
    """A passage BM25 puts far ahead of the rest but dense ranks 60th, against 59 passages each
    list ranks moderately high: rank fusion drowns it, score fusion keeps it in the top 5."""
    from index.fusion import dbsf, top_k, weighted_rrf

    n = 1000
    dense = np.linspace(0.70, 0.60, n)  # smooth: no clear winner
    lexical = np.linspace(5.0, 1.0, n)
    winner = 59
    lexical[winner] = 15.0  # far ahead of every other BM25 score
    assert winner not in top_k(weighted_rrf([dense, lexical], [1, 1]), 5)
    assert winner in top_k(dbsf([dense, lexical], [1, 1]), 5)
