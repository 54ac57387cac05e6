"""Scale corpora and a small run of the bench-scale measurements, report and plot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from eval.bench import own_cases
from eval.scale_corpus import Pool, make_corpus, sentences
from index import store as index_store
from ingest.vietnamese import match_key

LAW = "luat-can-bo-cong-chuc-80-2025-qh15.md"
NEEDLE = "Tổ công tác"


@pytest.fixture(scope="module")
def pool(corpus_store: Path) -> Pool:
    """The corpus as a pool: the law of cadres plays the ALQAC family, one of its articles is gold."""
    data = index_store.load(corpus_store)
    families = ["alqac" if p.doc_id == LAW else "corpus" for p in data.passages]
    gold = next(p.id for p in data.passages if p.doc_id == LAW and p.article == "Điều 36")
    return Pool(data.passages, data.vectors, families, data.documents, {gold}, [match_key(NEEDLE)], data.model)


def test_a_small_size_keeps_the_corpus_and_the_gold_articles(pool: Pool):
    corpus_rows = sum(f == "corpus" for f in pool.families)
    small = make_corpus(pool, corpus_rows + 10)
    assert len(small.passages) == corpus_rows + 10 and small.derived == 0
    assert pool.keep <= {p.id for p in small.passages}
    assert {p.doc_id for p in small.passages} == set(small.documents)


def test_derived_passages_distract_but_never_copy_an_answer(pool: Pool):
    size = len(pool.passages) + 400
    big = make_corpus(pool, size)
    assert len(big.passages) == len(big.vectors) == size and big.real == len(pool.passages)
    derived = big.passages[big.real:]
    assert np.allclose(np.linalg.norm(big.vectors, axis=1), 1.0, atol=1e-5)
    assert all(p.doc_id.startswith("tong-hop-") and p.doc_id in big.documents for p in derived)
    assert len({p.id for p in big.passages}) == size
    texts = [match_key(p.text) for p in derived]
    assert not any(match_key(NEEDLE) in t for t in texts)
    gold = next(p for p in pool.passages if p.id in pool.keep)
    elsewhere = " ".join(match_key(p.plain) for p in pool.passages if p.id not in pool.keep)
    own = [match_key(s) for s in sentences(gold.plain) if not re.search(r"\d", s)]
    own = [s for s in own if s not in elsewhere]  # sentences only the gold article has
    assert own and not any(s in t for s in own for t in texts)
    # each derived vector lies near the real passages it was mixed from
    similarity = big.vectors[big.real:] @ big.vectors[: big.real].T
    assert float(np.median(similarity.max(axis=1))) > 0.9
    again = make_corpus(pool, size)
    assert [p.text for p in again.passages] == [p.text for p in big.passages]
    assert np.array_equal(again.vectors, big.vectors)


def test_bench_scale_measures_reports_and_plots(pool: Pool, tmp_path: Path):
    from eval.bench_scale import build_size, embedding_rates, qdrant_size, serve_size
    from eval.scale_report import plot, report

    sets = {"own": own_cases()[:10]}
    size = len(pool.passages) + 300
    store = tmp_path / "store"
    build = build_size(pool, size, store)
    assert build["size"] == size and build["derived"] == 300 and build["disk_mb"] > 0
    from index import store as index_store
    from index.sentences import sentence_table

    built = index_store.load(store)  # derived sentence vectors: `ask` never embeds the corpus's sentences
    assert built.sentence_vectors is not None and len(built.sentence_vectors) == len(sentence_table(built.passages))
    serve = serve_size(store, sets, ask_n=3, compare=True)
    assert serve["ask_n"] == 3 and serve["retrieve"]["p50"] > 0
    assert serve["quality"]["own/hybrid"]["r5"] >= 0.7
    assert serve["bm25"]["same_top10"] == serve["bm25"]["n"] == 10 and serve["bm25"]["max_rel_diff"] < 1e-4
    assert serve["ann"]["hnsw"]["recall10"] >= 0.9 and serve["ann"]["ivf"]["recall10"] >= 0.9
    remote = qdrant_size(store, tmp_path / "qdrant", sets)
    assert remote["quality"]["own/hybrid"]["r5"] >= serve["quality"]["own/hybrid"]["r5"] - 0.1
    results = {
        "embedding": {str(b): r for b, r in embedding_rates(["Điều 1. Phạm vi điều chỉnh"] * 4, (1, 2), 1).items()},
        "embed_batch": 2, "parse_rate": 300.0, "parsed": 10,
        "sizes": {str(size): {"build": build, "serve": serve, "qdrant": remote}},
    }
    markdown = "\n".join(report(results))
    assert f"| {size:,} ({build['real']:,} + 300)" in markdown and "retrieval p50" in markdown
    plot(results, tmp_path / "scale.png")
    assert (tmp_path / "scale.png").read_bytes()[:4] == b"\x89PNG"
