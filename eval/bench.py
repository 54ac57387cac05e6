"""``python -m eval.bench --store DIR`` (``make bench``): retrieval quality and cost, as markdown.

(a) Retrieval: recall@1/5/10 and MRR@10 for dense-only, BM25-only and hybrid search on the
    project's own question set (answerable questions; a hit is every fact, or every ref when
    there are no facts, found in the top-k passages) and on ALQAC 2023 (a hit is a gold
    article in the top-k); plus a sweep of the hybrid's dense/lexical weights.
(b) Cost: cold ingest and unchanged re-ingest of ``corpus/``, query latency (retrieval and
    ``Engine.ask``) against the floor of one query embedding, peak memory, index size.
(c) Load: 20 users × 5 questions against the app on loopback (:mod:`eval.load`): waits,
    errors, answers against a single-user run, server memory.

The tables go to stdout and into ``docs/bench.md`` (its ``bench`` section).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval import datasets
from eval.load import percentile
from eval.runner import DEFAULT_QUESTIONS
from eval.scoring import Question, load_questions
from index import store as index_store
from index.embeddings import QUERY_CACHE, embed_query
from index.fusion import dbsf, weighted_rrf
from index.lexical import tokenize
from index.retriever import DENSE_WEIGHT, LEXICAL_WEIGHT, Mode, Retriever, ScoredPassage
from index.scope import Scope
from ingest.models import Passage
from ingest.vietnamese import match_key
from reformqa.runtime import one_blas_thread

log = logging.getLogger("eval.bench")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
RESULTS = REPO / "docs" / "bench.md"
DEPTH = 10
CUTOFFS = (1, 5, 10)
SWEEP = ((0.5, 1.0), (1.0, 1.0), (1.0, 0.5), (1.5, 1.0), (1.0, 1.5), (2.0, 1.0))
MODES = (Mode.DENSE, Mode.LEXICAL, Mode.HYBRID)
MODE_NAMES = {Mode.DENSE: "dense only", Mode.LEXICAL: "BM25 only", Mode.HYBRID: "hybrid (DBSF)"}

Judge = Callable[[list[ScoredPassage]], int | None]


# --- scoring ranked lists ---------------------------------------------------------------


@dataclass
class Case:
    """One retrieval question and how to find the 1-based rank of its first hit."""

    question: str
    judge: Judge
    kind: str = ""


@dataclass
class Scores:
    """Ranks of the first hit per question (None: not within the depth searched)."""

    ranks: list[int | None]

    @property
    def n(self) -> int:
        return len(self.ranks)

    def recall(self, k: int) -> float:
        return sum(r is not None and r <= k for r in self.ranks) / self.n if self.n else 0.0

    def mrr(self, k: int = DEPTH) -> float:
        return sum(1 / r for r in self.ranks if r is not None and r <= k) / self.n if self.n else 0.0


def hit_text(passage: Passage) -> str:
    """What an own-set fact is looked for in: search text, document name and article."""
    return f"{passage.search_text}\n{passage.document}\n{passage.article or ''}"


def needles_rank(needles: Sequence[str], hits: Sequence[ScoredPassage]) -> int | None:
    """Smallest r such that every needle occurs (``match_key``) in the top-r passages together."""
    keys = [match_key(n) for n in needles]
    if not keys:
        return None
    seen = ""
    for r, hit in enumerate(hits, 1):
        seen += "\n" + match_key(hit_text(hit.passage))
        if all(k in seen for k in keys):
            return r
    return None


def article_rank(gold: Iterable[datasets.ArticleRef], hits: Sequence[ScoredPassage]) -> int | None:
    """Rank of the first passage that is a gold ALQAC article."""
    wanted = set(gold)
    return next((r for r, h in enumerate(hits, 1) if datasets.alqac_key(h.passage) in wanted), None)


def passage_rank(passage_id: str, hits: Sequence[ScoredPassage]) -> int | None:
    return next((r for r, h in enumerate(hits, 1) if h.passage.id == passage_id), None)


def own_cases(path: Path = DEFAULT_QUESTIONS) -> list[Case]:
    """Answerable questions of the project's set that name facts or refs to look for."""
    cases = []
    for q in load_questions(path):
        needles = q.facts or q.refs
        if q.answerable and needles:
            cases.append(Case(q.question, _needles_judge(needles), q.kind))
    return cases


def _needles_judge(needles: list[str]) -> Judge:
    return lambda hits: needles_rank(needles, hits)


def alqac_cases(questions: list[datasets.AlqacQuestion]) -> list[Case]:
    return [Case(q.question, _article_judge(q.gold), q.kind) for q in questions]


def _article_judge(gold: list[datasets.ArticleRef]) -> Judge:
    return lambda hits: article_rank(gold, hits)


def uit_cases(questions: list[datasets.UitQuestion]) -> list[Case]:
    return [Case(q.question, _passage_judge(q.context_id)) for q in questions]


def _passage_judge(passage_id: str) -> Judge:
    return lambda hits: passage_rank(passage_id, hits)


class QueryCache:
    """Wraps an embedder and memoises query vectors, so a sweep embeds each question once."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.memo: dict[str, list[float]] = {}

    def get_query_embedding(self, text: str) -> list[float]:
        if text not in self.memo:
            self.memo[text] = self.model.get_query_embedding(text)
        return self.memo[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


def memoise_queries(retriever: Retriever) -> Retriever:
    """Make ``retriever`` reuse query vectors (quality runs only, never for latency)."""
    retriever._embedder = QueryCache(retriever.embedder)
    return retriever


def run_cases(
    retriever: Retriever,
    cases: Sequence[Case],
    mode: Mode = Mode.HYBRID,
    weights: tuple[float, float] = (DENSE_WEIGHT, LEXICAL_WEIGHT),
    depth: int = DEPTH,
    scoped: bool = True,
) -> Scores:
    """Each case through ``Retriever.retrieve``; the rank of its first hit.

    ``scoped``: as ``Engine.ask`` does, search only the documents the question names, with the
    naming words removed from the query.
    """
    ranks = []
    for case in cases:
        query, documents = case.question, None
        if scoped:
            scope = retriever.scope(case.question)
            if scope.doc_ids:
                query, documents = scope.question, set(scope.doc_ids)
        hits = retriever.retrieve(query, k=depth, doc_ids=documents, mode=mode,
                                  dense_weight=weights[0], lexical_weight=weights[1])
        ranks.append(case.judge(hits))
    return Scores(ranks)


# --- markdown ---------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table; floats with three decimals."""
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def score_cells(scores: Scores) -> list[float]:
    return [*(scores.recall(k) for k in CUTOFFS), scores.mrr()]


SCORE_HEADERS = [*(f"R@{k}" for k in CUTOFFS), f"MRR@{DEPTH}"]


def write_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of the results file, leaving the others."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# ReformQA benchmarks\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def environment_line(start_load: tuple[float, float, float] | None = None) -> str:
    """CPU count and load (other processes skew latencies on a small machine), threads, date."""
    def fmt(load: tuple[float, float, float]) -> str:
        return f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"

    loads = f"at start {fmt(start_load)}, at end {fmt(os.getloadavg())}" if start_load else fmt(os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPU(s); load average (1/5/15 min) {loads}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; {time.strftime('%Y-%m-%d %H:%M')}."
    )


# --- (a) retrieval quality --------------------------------------------------------------


def modes_table(retriever: Retriever, cases: Sequence[Case]) -> tuple[str, dict[Mode, Scores]]:
    """Dense vs BM25 vs hybrid, with the engine's document scope and without it."""
    results = {m: run_cases(retriever, cases, m) for m in MODES}
    plain = {m: run_cases(retriever, cases, m, scoped=False) for m in MODES}
    rows = [[MODE_NAMES[m], "yes (as `Engine.ask`)", len(cases), *score_cells(s)] for m, s in results.items()]
    rows += [[MODE_NAMES[m], "no (plain `retrieve`)", len(cases), *score_cells(s)] for m, s in plain.items()]
    union = Scores([_best(a, b) for a, b in zip(results[Mode.DENSE].ranks, results[Mode.LEXICAL].ranks)])
    rows.append(["ceiling: dense ∪ BM25", "yes", len(cases), *score_cells(union)[:-1], None])
    return table(["mode", "document scope", "n", *SCORE_HEADERS], rows), results


def _best(a: int | None, b: int | None) -> int | None:
    return min((r for r in (a, b) if r is not None), default=None)


def kinds_table(cases: Sequence[Case], results: dict[Mode, Scores], k: int = 5) -> str:
    """Recall@k per question kind and mode (own set)."""
    kinds = sorted({c.kind for c in cases})
    rows = []
    for kind in kinds:
        idx = [i for i, c in enumerate(cases) if c.kind == kind]
        row: list[Any] = [kind, len(idx)]
        row += [Scores([results[m].ranks[i] for i in idx]).recall(k) for m in MODES]
        rows.append(row)
    return table(["kind", "n", *(f"{MODE_NAMES[m]} R@{k}" for m in MODES)], rows)


def sweep_table(sets: dict[str, tuple[Retriever, Sequence[Case]]]) -> str:
    headers = ["dense w", "lexical w"]
    for name in sets:
        headers += [f"{name} R@1", f"{name} R@5", f"{name} R@10", f"{name} MRR"]
    rows = []
    for weights in SWEEP:
        mark = " (current)" if weights == (DENSE_WEIGHT, LEXICAL_WEIGHT) else ""
        row: list[Any] = [f"{weights[0]:g}{mark}", f"{weights[1]:g}"]
        for retriever, cases in sets.values():
            row += score_cells(run_cases(retriever, cases, Mode.HYBRID, weights))
        rows.append(row)
    return table(headers, rows)


# --- fusion experiments (not the product's code path) -----------------------------------


def _minmax(x: np.ndarray) -> np.ndarray:
    span = float(x.max() - x.min()) if x.size else 0.0
    return (x - x.min()) / span if span > 0 else np.zeros_like(x, dtype=np.float64)


def _zscore(x: np.ndarray) -> np.ndarray:
    std = float(x.std()) if x.size else 0.0
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x, dtype=np.float64)


Fusion = Callable[[np.ndarray, np.ndarray], np.ndarray]
FUSIONS: dict[str, Fusion] = {
    "DBSF, top 200 of each list, 1/1, without the exact-reference bonus (as `retrieve`)":
        lambda d, b: dbsf([d, np.where(b > 0, b, -np.inf)], [1, 1]),
    "weighted RRF k=60, 1/1 (the product's fusion until the seventh stop)": lambda d, b: weighted_rrf([d, b], [1, 1]),
    "weighted RRF k=10, 1/1": lambda d, b: weighted_rrf([d, b], [1, 1], k=10),
    "min-max scores, 0.5 dense + 0.5 BM25": lambda d, b: 0.5 * _minmax(d) + 0.5 * _minmax(b),
    "min-max scores, 0.3 dense + 0.7 BM25": lambda d, b: 0.3 * _minmax(d) + 0.7 * _minmax(b),
    "z-scores, 0.5 dense + 0.5 BM25": lambda d, b: 0.5 * _zscore(d) + 0.5 * _zscore(b),
}


def fused_ranks(
    retriever: Retriever, cases: Sequence[Case], fusion: Fusion, depth: int = DEPTH, scoped: bool = True
) -> Scores:
    """Ranks when the retriever's full dense and BM25 score arrays are fused by ``fusion``.

    ``scoped``: the document scope of ``Engine.ask``, the mask applied after fusion as in ``retrieve``.
    """
    ranks = []
    for case in cases:
        scope = retriever.scope(case.question) if scoped else Scope(frozenset(), case.question)
        query = scope.question if scope.doc_ids else case.question
        dense = retriever.vectors @ embed_query(retriever.embedder, query)
        lexical = retriever.bm25.scores(tokenize(query))
        fused = fusion(dense.astype(np.float64), lexical.astype(np.float64))
        if scope.doc_ids:
            fused = np.where([p.doc_id in scope.doc_ids for p in retriever.passages], fused, -np.inf)
        order = np.argsort(-fused, kind="stable")[:depth]
        hits = [ScoredPassage(retriever.passages[i], float(fused[i]), float(dense[i]), float(lexical[i]))
                for i in order if np.isfinite(fused[i])]
        ranks.append(case.judge(hits))
    return Scores(ranks)


def experiments_table(sets: dict[str, tuple[Retriever, Sequence[Case]]]) -> str:
    headers = ["fusion (experiment)"]
    for name in sets:
        headers += [f"{name} R@1", f"{name} R@5", f"{name} R@10", f"{name} MRR"]
    rows = []
    for label, fusion in FUSIONS.items():
        row: list[Any] = [label]
        for retriever, cases in sets.values():
            row += score_cells(fused_ranks(retriever, cases, fusion))
        rows.append(row)
    label, fusion = next(iter(FUSIONS.items()))
    row = [f"{label}; no document scope (compare: plain `retrieve` hybrid above)"]
    for retriever, cases in sets.values():
        row += score_cells(fused_ranks(retriever, cases, fusion, scoped=False))
    rows.append(row)
    return table(headers, rows)


def retrieval_section(store: Path, questions: Path, external: bool) -> str:
    parts = ["### Retrieval quality", ""]
    own = own_cases(questions)
    retriever = memoise_queries(Retriever.load(store))
    sets: dict[str, tuple[Retriever, Sequence[Case]]] = {"own": (retriever, own)}
    t0 = time.perf_counter()
    text, results = modes_table(retriever, own)
    parts += [
        f"#### Own question set ({questions.name}: {len(own)} answerable questions with facts/refs)",
        "",
        "Hit = every fact (or every ref when a question has no facts) found, via `match_key` "
        "containment, in the search text + document + article of the top-k passages together.",
        "",
        text,
        "",
        "Recall@5 by question kind:",
        "",
        kinds_table(own, results),
        "",
    ]
    if external and datasets.alqac_available():
        alqac = alqac_cases(datasets.alqac_questions())
        passages = datasets.alqac_passages()
        laws = len({p.doc_id for p in passages})
        alqac_retriever, stats = datasets.build_retriever(passages, datasets.cache_dir(store), "alqac", sentences=False)
        memoise_queries(alqac_retriever)
        sets["ALQAC"] = (alqac_retriever, alqac)
        text, _ = modes_table(alqac_retriever, alqac)
        parts += [
            f"#### ALQAC 2023 (train.json: {len(alqac)} questions over {stats.passages} articles of {laws} laws)",
            "",
            "Hit = a gold article among the top-k (one passage per article). "
            f"Vectors: {'cache' if stats.cached else f'embedded now in {stats.seconds:.0f} s'}.",
            "",
            text,
            "",
        ]
    elif external:
        parts += [f"ALQAC skipped: {datasets.bench_dir()} has no alqac2023/ (set ${datasets.ENV_BENCH}).", ""]
    if external and datasets.uit_available():
        uit_retriever, _ = datasets.build_retriever(datasets.uit_passages(), datasets.cache_dir(store), "uit-reg")
        sets["UIT"] = (memoise_queries(uit_retriever), uit_cases(datasets.uit_questions()))
    parts += [
        "#### Hybrid weight sweep (dense weight / lexical weight in weighted DBSF, top 200; document scope on)",
        "",
        "UIT = uit-regulation-qa train_reg.json (626 questions, 75 contexts; hit = the gold context)."
        if "UIT" in sets else "",
        "",
        sweep_table(sets),
        "",
        "#### Fusion experiments (not the product's code path)",
        "",
        "The retriever's full dense and BM25 score arrays for the same (scoped) query, fused "
        "differently, the scope applied after fusion; `Retriever.retrieve` normalises each list "
        "within the scope and adds a 0.5 exact-reference bonus outside one.",
        "",
        experiments_table(sets),
        "",
        f"_Retrieval section: {time.perf_counter() - t0:.0f} s._",
    ]
    return "\n".join(parts)


# --- (b) cost ---------------------------------------------------------------------------


def timed_ms(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ingest_costs(corpus: Path) -> list[list[Any]]:
    """Cold ingest (model load included) and unchanged re-ingest into a fresh temp store."""
    from index.builder import ingest
    from index.embeddings import load_embedder, model_spec

    with tempfile.TemporaryDirectory(prefix="reformqa-bench-") as tmp:
        store = Path(tmp)
        t0 = time.perf_counter()
        load_embedder(model_spec())
        t1 = time.perf_counter()
        report = ingest([corpus], store)
        t2 = time.perf_counter()
        again = ingest([corpus], store)
        t3 = time.perf_counter()
    if not report.ok or again.changed:
        log.warning("ingest: failed=%s, re-ingest changed=%s", report.failed, again.changed)
    cold = t2 - t0
    return [
        ["cold ingest of corpus/ (fresh store)", f"{cold:.1f} s ({report.passages} passages, "
         f"{report.passages / cold:.1f} passages/s; model load {t1 - t0:.2f} s)", ""],
        ["re-ingest, corpus unchanged", f"{t3 - t2:.2f} s", "≤ 3 s " + ("✓" if t3 - t2 <= 3 else "✗")],
    ]


def _ask_or_log(engine: Any, question: str) -> None:
    try:
        engine.ask(question)
    except Exception as exc:  # timed all the same; the failure is the answer team's to see
        log.warning("Engine.ask raised %s: %s for: %s", type(exc).__name__, exc, question[:100])


def latency_costs(store: Path, questions: list[Question]) -> list[list[Any]]:
    """Query latency over the own set: embedding floor, retrieval alone, ``Engine.ask``."""
    from answer.engine import Engine

    engine = Engine.from_store(store)
    retriever = engine.retriever
    texts = [q.question for q in questions]
    floor, retrieve, ask = [], [], []
    with one_blas_thread():  # as the app and `reformqa ask` run; the sections after keep their threads
        engine.warm()  # load the model and build the sentence index outside the timings, as the app does
        for t in texts:  # interleaved, so a burst of load from other processes hits all three alike
            floor.append(timed_ms(lambda t=t: retriever.embedder.get_query_embedding(t)))  # no cache
            QUERY_CACHE.clear()
            retrieve.append(timed_ms(lambda t=t: retriever.retrieve(t, k=5)))
            QUERY_CACHE.clear()  # each question embedded anew, as a new question would be
            ask.append(timed_ms(lambda t=t: _ask_or_log(engine, t)))
    f50, r50, r95 = percentile(floor, 50), percentile(retrieve, 50), percentile(retrieve, 95)
    return [
        [f"query embedding alone (the floor), p50 / p95, n={len(texts)}",
         f"{f50:.1f} / {percentile(floor, 95):.1f} ms", ""],
        ["retrieval (hybrid, k=5), p50 / p95", f"{r50:.1f} / {r95:.1f} ms",
         "p50 ≤ 150 ms " + ("✓" if r50 <= 150 else "✗")],
        ["retrieval p50 / floor p50", f"{r50 / f50:.2f}×" if f50 else "–", ""],
        ["`Engine.ask` (retrieve + answer), p50 / p95",
         f"{percentile(ask, 50):.1f} / {percentile(ask, 95):.1f} ms",
         "p50 ≤ 120 ms " + ("✓" if percentile(ask, 50) <= 120 else "✗")],
        ["`Engine.ask` p50 / floor p50", f"{percentile(ask, 50) / f50:.2f}×" if f50 else "–", ""],
    ]


def cost_section(store: Path, corpus: Path, questions: Path) -> str:
    t0 = time.perf_counter()
    rows = ingest_costs(corpus)
    rows += latency_costs(store, load_questions(questions))
    rows.append(["peak memory (ru_maxrss) after ingest + queries", f"{peak_rss_mb():.0f} MB", ""])
    rows.append([f"index size on disk ({store})", f"{index_store.size_on_disk(store) / 2**20:.1f} MB", ""])
    return "\n".join([
        "### Cost",
        "",
        table(["measure", "value", "target"], rows),
        "",
        f"_Cost section: {time.perf_counter() - t0:.0f} s._",
    ])


# --- entry point ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="index folder (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    p.add_argument("--corpus", type=Path, default=CORPUS, help="folder for the ingest timings")
    p.add_argument("--no-cost", action="store_true", help="skip the ingest/latency measurements")
    p.add_argument("--no-external", action="store_true", help="skip ALQAC and UIT")
    p.add_argument("--no-load", action="store_true", help="skip the 20-user load run against the app")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (default docs/bench.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    store = index_store.store_dir(args.store)
    if not index_store.exists(store):
        log.error("no index in %s: build it with `reformqa ingest corpus/ --store %s`", store, store)
        return 2
    t0, load0 = time.perf_counter(), os.getloadavg()
    sections = ["## `make bench`: retrieval quality, cost and load", ""]
    if not args.no_cost:  # first, so ingest timings include loading the model and peak RSS is the app's
        sections += [cost_section(store, args.corpus, args.questions), ""]
    if not args.no_load:  # before the retrieval section, whose benchmark indexes fill this process
        from eval.load import load_section

        sections += [load_section(store), ""]
    sections += [retrieval_section(store, args.questions, not args.no_external), ""]
    sections.append(f"_Whole bench: {time.perf_counter() - t0:.0f} s; peak memory of the bench process "
                    f"(incl. benchmark indexes) {peak_rss_mb():.0f} MB._")
    publish("bench", sections, load0, args.out)
    return 0


def configure_logging() -> None:
    """Progress to stderr (the markdown goes to stdout); faiss's own chatter silenced."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("faiss").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def publish(name: str, sections: list[str], load0: tuple[float, float, float], out: Path) -> None:
    """Put the machine line under the title, print the section and write it into ``out``."""
    sections[2:2] = [environment_line(load0), ""]
    markdown = "\n".join(sections)
    print(markdown)
    write_section(name, markdown, out)
    log.info("written to %s", out)


if __name__ == "__main__":
    raise SystemExit(main())
