"""``python -m eval.bench_scale`` (``make bench-scale``): how costs and quality grow with the corpus.

For each size (default about 1k, 10k and 100k passages, see :mod:`eval.scale_corpus`) two
child processes run, so each has its own peak memory: ``build`` writes the index of that
size with the product's code (:func:`index.store.save`), ``serve`` loads it and measures
retrieval and ``Engine.ask`` latency, retrieval quality on ALQAC 2023 and the own questions,
the approximate vector indexes against exact search, and ``bm25s`` against the hand-written
BM25 it replaced. A third child runs the Qdrant backend in embedded (local) mode for the
smaller sizes. Embedding and parsing throughput are measured once on real passages; the
derived passages of the larger sizes are never embedded.

The table goes to stdout and into ``docs/bench.md`` (section ``bench-scale``), the plot to
``docs/bench-scale.png``. Intermediate results and indexes live in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval import datasets
from eval.bench import (
    CORPUS,
    RESULTS,
    Case,
    alqac_cases,
    configure_logging,
    memoise_queries,
    own_cases,
    peak_rss_mb,
    percentile,
    publish,
    run_cases,
    timed_ms,
)
from eval.runner import DEFAULT_QUESTIONS
from index import store as index_store
from index.retriever import Mode, Retriever, ScoredPassage

log = logging.getLogger("eval.bench_scale")

SIZES = (1_000, 10_000, 100_000)
PLOT = RESULTS.parent / "bench-scale.png"
ASK_QUESTIONS = 60
QDRANT_MAX = 1_000
BATCH_SIZES = (1, 4, 16, 32, 64)
EMBED_SAMPLE = 32
SEED = 11


# --- measuring one size -----------------------------------------------------------------


def engine_retrieve(retriever: Retriever, question: str, k: int = 5) -> list[ScoredPassage]:
    """What ``Engine.ask`` retrieves: within the documents a question names, else everywhere."""
    scope = retriever.scope(question)
    if scope.doc_ids:
        return retriever.retrieve(scope.question, k=k, doc_ids=set(scope.doc_ids))
    return retriever.retrieve(question, k=k)


def latencies(fn: Callable[[str], Any], questions: Sequence[str]) -> dict[str, float]:
    """p50/p95 in ms of ``fn`` over ``questions`` (each once, after a warm-up call)."""
    return interleaved({"fn": fn}, questions)["fn"]


def interleaved(fns: dict[str, Callable[[str], Any]], questions: Sequence[str]) -> dict[str, dict[str, float]]:
    """p50/p95 in ms of each of ``fns``, question by question in turn, the order alternating (bursts of
    load, and the first call after a pause waking the model's threads, hit all alike)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(questions[0])
    for n, q in enumerate(questions):
        for name, fn in list(fns.items())[:: 1 if n % 2 else -1]:
            times[name].append(timed_ms(lambda fn=fn, q=q: fn(q)))
    return {name: {"p50": percentile(t, 50), "p95": percentile(t, 95)} for name, t in times.items()}


def quality(retriever: Retriever, sets: dict[str, Sequence[Case]], modes: Sequence[Mode]) -> dict[str, Any]:
    """R@1, R@5, MRR@10 per question set and mode, with the engine's document scope."""
    out: dict[str, Any] = {}
    for name, cases in sets.items():
        for mode in modes:
            s = run_cases(retriever, cases, mode)
            out[f"{name}/{mode.value}"] = {"n": s.n, "r1": s.recall(1), "r5": s.recall(5), "mrr": s.mrr()}
    return out


def question_sets(questions: Path) -> dict[str, list[Case]]:
    sets = {"own": own_cases(questions)}
    if datasets.alqac_available():
        sets["ALQAC"] = alqac_cases(datasets.alqac_questions())
    return sets


def build_size(pool: Any, size: int, store: Path) -> dict[str, Any]:
    """Generate the corpus of ``size`` and write its index with :func:`index.store.save`."""
    from eval.scale_corpus import make_corpus
    from index.dense import VectorIndex
    from index.embeddings import model_spec
    from index.sentences import sentence_table
    from index.store import IndexData, build_lexical

    t0 = time.perf_counter()
    corpus = make_corpus(pool, size, SEED)
    t1 = time.perf_counter()
    data = IndexData(pool.model or model_spec(), corpus.passages, corpus.vectors, corpus.documents, {}, "scale")
    # Sentence vectors are derived, not embedded (embedding every sentence of 100k passages takes
    # days here): each sentence takes its passage's vector. `ask` is timed at this size, not judged.
    data.sentence_vectors = corpus.vectors[sentence_table(corpus.passages).passage].astype(np.float16)
    data.lexical = build_lexical(data.passages)
    t2 = time.perf_counter()
    data.vector_index = VectorIndex.build(data.vectors)
    t3 = time.perf_counter()
    index_store.save(store, data)
    t4 = time.perf_counter()
    return {
        "size": len(corpus.passages), "real": corpus.real, "derived": corpus.derived,
        "documents": len(corpus.documents), "generate_s": t1 - t0, "lexical_s": t2 - t1,
        "vector_index_s": t3 - t2, "vector_kind": data.vector_index.kind, "write_s": t4 - t3,
        "build_s": t4 - t1, "nnz": data.lexical.nnz, "disk_mb": index_store.size_on_disk(store) / 2**20,
        "build_peak_mb": peak_rss_mb(),
    }


def serve_size(store: Path, sets: dict[str, list[Case]], ask_n: int, compare: bool) -> dict[str, Any]:
    """Load the index of one size; latency, memory, quality; ANN and BM25 comparisons."""
    from answer.engine import Engine

    t0 = time.perf_counter()
    retriever = Retriever(index_store.load(store))
    out: dict[str, Any] = {"load_s": time.perf_counter() - t0, "load_rss_mb": peak_rss_mb(),
                           "vector_kind": retriever.dense.kind}
    texts = [c.question for cases in sets.values() for c in cases]
    out.update(interleaved({"embed_query": lambda q: _embed(retriever, q),
                            "retrieve": lambda q: engine_retrieve(retriever, q)}, texts))
    engine = Engine(retriever)
    asked = _spread_questions(sets, ask_n)
    out["ask"] = latencies(lambda q: _ask(engine, q), asked) if asked else {"p50": 0.0, "p95": 0.0}
    out["ask_n"], out["retrieve_n"] = len(asked), len(texts)
    out["serve_peak_mb"] = peak_rss_mb()
    memoise_queries(retriever)
    out["quality"] = quality(retriever, sets, (Mode.HYBRID, Mode.DENSE, Mode.LEXICAL))
    if compare:
        out["ann"] = compare_vector_indexes(retriever, sets)
        out["bm25"] = compare_bm25(retriever, texts)
    return out


def _embed(retriever: Retriever, question: str) -> None:
    from index.embeddings import embed_query

    embed_query(retriever.embedder, question)


def _ask(engine: Any, question: str) -> None:
    try:
        engine.ask(question)
    except Exception as exc:  # timed all the same; the answer layer's failures are its own
        log.warning("Engine.ask raised %s: %s", type(exc).__name__, exc)


def _spread_questions(sets: dict[str, list[Case]], n: int) -> list[str]:
    per = max(1, n // max(1, len(sets)))
    return [c.question for cases in sets.values() for c in cases[:: max(1, len(cases) // per)][:per]][:n]


def compare_vector_indexes(retriever: Retriever, sets: dict[str, list[Case]], k: int = 10) -> dict[str, Any]:
    """Flat vs HNSW vs IVF: build time, recall of the exact dense top-10, search latency, hybrid quality."""
    from index.dense import CANDIDATES, VectorIndex, build_ann
    from index.embeddings import embed_query

    vectors = retriever.vectors
    queries = np.vstack([embed_query(retriever.embedder, c.question) for cases in sets.values() for c in cases])
    exact = [set(np.argsort(-(vectors @ q))[:k]) for q in queries]
    flat = VectorIndex(vectors)
    live = retriever.dense
    retriever.dense = flat
    out: dict[str, Any] = {"flat": {"build_s": 0.0, "recall10": 1.0, "p50_ms": _search_p50(flat, queries, k),
                                    "mb": vectors.nbytes / 2**20, "quality": quality(retriever, sets, (Mode.HYBRID,))}}
    for kind in ("hnsw", "ivf"):
        t0 = time.perf_counter()
        index = VectorIndex(vectors, build_ann(vectors, kind))
        built = time.perf_counter() - t0
        found = [set(_top(index, q, k)) for q in queries]
        recall = float(np.mean([len(a & b) / k for a, b in zip(exact, found)]))
        retriever.dense = index
        q = quality(retriever, sets, (Mode.HYBRID,))
        out[kind] = {"build_s": built, "recall10": recall, "p50_ms": _search_p50(index, queries, k),
                     "mb": _faiss_mb(index.ann), "quality": q, "candidates": CANDIDATES}
    retriever.dense = live
    return out


def _top(index: Any, query: np.ndarray, k: int) -> np.ndarray:
    rows = index.candidates(query)
    scores = index.scores(query, rows) if index.approximate else index.scores(query)
    return rows[np.argsort(-scores)[:k]]


def _search_p50(index: Any, queries: np.ndarray, k: int) -> float:
    return percentile([timed_ms(lambda q=q: _top(index, q, k)) for q in queries], 50)


def _faiss_mb(index: Any) -> float:
    import faiss

    with tempfile.NamedTemporaryFile() as f:
        faiss.write_index(index, f.name)
        return os.path.getsize(f.name) / 2**20


def compare_bm25(retriever: Retriever, questions: Sequence[str]) -> dict[str, Any]:
    """``bm25s`` (the product) against the hand-written BM25 it replaced, on the same tokens."""
    from eval.bm25_reference import DictBM25
    from index.lexical import BM25, tokenize

    t0 = time.perf_counter()
    tokens = [tokenize(p.search_text, cached=False) for p in retriever.passages]
    t1 = time.perf_counter()
    old = DictBM25(tokens)
    t2 = time.perf_counter()
    new = BM25(tokens)
    t3 = time.perf_counter()
    del tokens
    query_tokens = [tokenize(q) for q in questions]
    diffs, same_top10, t_old, t_new = [], 0, [], []
    for qt in query_tokens:
        t_old.append(timed_ms(lambda qt=qt: old.scores(qt)))
        t_new.append(timed_ms(lambda qt=qt: new.scores(qt)))
        a, b = old.scores(qt), new.scores(qt)
        diffs.append(float(np.abs(a - b).max() / max(float(a.max()), 1e-9)))
        same_top10 += list(np.argsort(-a, kind="stable")[:10]) == list(np.argsort(-b, kind="stable")[:10])
    return {
        "tokenize_s": t1 - t0, "old_build_s": t2 - t1, "new_build_s": t3 - t2,
        "old_p50_ms": percentile(t_old, 50), "new_p50_ms": percentile(t_new, 50),
        "old_p95_ms": percentile(t_old, 95), "new_p95_ms": percentile(t_new, 95),
        "max_rel_diff": max(diffs) if diffs else 0.0, "same_top10": same_top10, "n": len(query_tokens),
    }


def qdrant_size(store: Path, folder: Path, sets: dict[str, list[Case]]) -> dict[str, Any]:
    """The Qdrant backend in embedded mode: sync the build, then latency and quality."""
    from index import qdrant

    data = index_store.load(store)
    config = qdrant.QdrantConfig(str(folder), "bench")
    t0 = time.perf_counter()
    qdrant.sync(config, data, index_store.current_build(store).name)
    t1 = time.perf_counter()
    retriever = qdrant.QdrantRetriever.connect(config)
    t2 = time.perf_counter()
    del data
    texts = [c.question for cases in sets.values() for c in cases]
    out: dict[str, Any] = {"sync_s": t1 - t0, "connect_s": t2 - t1,
                           "retrieve": latencies(lambda q: engine_retrieve(retriever, q), texts)}
    memoise_queries(retriever)
    out["quality"] = quality(retriever, sets, (Mode.HYBRID,))
    out["disk_mb"] = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    out["peak_mb"] = peak_rss_mb()
    return out


# --- measured once ------------------------------------------------------------------------


def embedding_rates(texts: list[str], batches: Sequence[int] = BATCH_SIZES, rounds: int = 2) -> dict[int, float]:
    """Passages per second by batch size, on the same texts, interleaved in ``rounds`` (load drifts)."""
    from index.embeddings import embed_passages, load_embedder

    model = load_embedder()
    embed_passages(model, texts[:2])
    spent = dict.fromkeys(batches, 0.0)
    for _ in range(rounds):
        for batch in batches:
            t0 = time.perf_counter()
            for start in range(0, len(texts), batch):
                model._get_text_embeddings(texts[start:start + batch])  # one model call per batch
            spent[batch] += time.perf_counter() - t0
    return {b: rounds * len(texts) / s for b, s in spent.items()}


def parse_rate(corpus: Path) -> tuple[float, int]:
    """Passages per second of reading and parsing the files of ``corpus`` (no embedding)."""
    from ingest.pipeline import parse_file

    files = sorted(p for p in corpus.iterdir() if p.is_file() and not p.name.startswith("."))
    t0 = time.perf_counter()
    n = sum(len(parse_file(f).passages) for f in files)
    return n / (time.perf_counter() - t0), n


# --- the run ------------------------------------------------------------------------------


@dataclass
class Settings:
    store: Path
    cache: Path
    questions: Path
    sizes: tuple[int, ...]
    work: Path
    ask: int
    qdrant_max: int
    compare: bool


def child(kind: str, settings: Settings, size: int) -> dict[str, Any]:
    """Run one measurement in a fresh process (its own peak memory) and read its JSON."""
    result = settings.work / f"{kind}-{size}.json"
    cmd = [sys.executable, "-m", "eval.bench_scale", "--child", kind, "--size", str(size),
           "--store", str(settings.store), "--cache", str(settings.cache), "--questions", str(settings.questions),
           "--work", str(settings.work), "--ask", str(settings.ask)]
    if not settings.compare:
        cmd.append("--no-compare")
    log.info("size %d: %s", size, kind)
    subprocess.run(cmd, check=True)
    return json.loads(result.read_text(encoding="utf-8"))


def run_child(args: argparse.Namespace) -> int:
    """The ``--child`` entry point: one of build / serve / qdrant for one size."""
    work, size = Path(args.work), args.size
    store = work / f"store-{size}"
    if args.child == "build":
        from eval.scale_corpus import load_pool

        shutil.rmtree(store, ignore_errors=True)
        pool = load_pool(Path(args.store), Path(args.cache), Path(args.questions))
        result = build_size(pool, size, store)
    elif args.child == "serve":
        result = serve_size(store, question_sets(Path(args.questions)), args.ask, not args.no_compare)
    else:
        folder = work / f"qdrant-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        result = qdrant_size(store, folder, question_sets(Path(args.questions)))
        shutil.rmtree(folder, ignore_errors=True)
    (work / f"{args.child}-{size}.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


def measure(settings: Settings) -> dict[str, Any]:
    """Everything, size by size; the children write their JSON into ``settings.work``."""
    from eval.scale_corpus import load_pool
    from index.builder import embed_text
    from index.embeddings import EMBED_BATCH

    pool = load_pool(settings.store, settings.cache, settings.questions)
    sample = random.Random(SEED).sample(pool.passages, min(EMBED_SAMPLE, len(pool.passages)))
    rates = embedding_rates([embed_text(p) for p in sample])
    prate, parsed = parse_rate(CORPUS)
    del pool
    alqac, _ = datasets.build_retriever(datasets.alqac_ingested_passages(), settings.cache, "alqac-ingest",
                                        sentences=False)
    alone = quality(memoise_queries(alqac), {"ALQAC": alqac_cases(datasets.alqac_questions())}, (Mode.HYBRID,))
    alone["ALQAC/hybrid"]["passages"] = len(alqac.passages)
    del alqac
    results: dict[str, Any] = {"embedding": {str(b): r for b, r in rates.items()}, "embed_batch": EMBED_BATCH,
                               "parse_rate": prate, "parsed": parsed, "sizes": {},
                               "alqac_alone": alone["ALQAC/hybrid"]}
    for size in settings.sizes:
        t0 = time.perf_counter()
        entry = {"build": child("build", settings, size)}
        entry["serve"] = child("serve", settings, size)
        if size <= settings.qdrant_max:
            entry["qdrant"] = child("qdrant", settings, size)
        shutil.rmtree(settings.work / f"store-{size}", ignore_errors=True)
        entry["seconds"] = time.perf_counter() - t0
        results["sizes"][str(size)] = entry
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    if args.child:
        return run_child(args)
    store = index_store.store_dir(args.store)
    if not index_store.exists(store):
        log.error("no index in %s: build it with `reformqa ingest corpus/ --store %s`", store, store)
        return 2
    if not datasets.alqac_available():
        log.error("ALQAC 2023 not found in %s (set %s)", datasets.bench_dir(), datasets.ENV_BENCH)
        return 2
    t0, load0 = time.perf_counter(), os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="reformqa-scale-"))
    try:
        settings = Settings(store, Path(args.cache) if args.cache else datasets.cache_dir(store), args.questions,
                            tuple(args.sizes), work, args.ask, args.qdrant_max, not args.no_compare)
        results = measure(settings)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - t0
    from eval.scale_report import plot, report

    sections = report(results)
    sections.append(f"_Whole bench-scale: {results['seconds'] / 60:.1f} min._")
    plot(results, args.plot)
    publish("bench-scale", sections, load0, args.out)
    log.info("plot written to %s", args.plot)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--cache", help="vector cache of the external sets (default: <store>/bench-cache)")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(SIZES),
                   help="comma-separated corpus sizes in passages (default 1000,10000,100000)")
    p.add_argument("--ask", type=int, default=ASK_QUESTIONS, help="questions timed through Engine.ask per size")
    p.add_argument("--qdrant-max", type=int, default=QDRANT_MAX, help="largest size run on embedded Qdrant")
    p.add_argument("--no-compare", action="store_true", help="skip the ANN and old-BM25 comparisons")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (default docs/bench.md)")
    p.add_argument("--plot", type=Path, default=PLOT, help="plot file (default docs/bench-scale.png)")
    p.add_argument("--child", choices=("build", "serve", "qdrant"), help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
