"""``python -m eval.bench_qa`` (``make bench-qa``): ALQAC and UIT questions through ``Engine.ask``.

Reports recall@1 and recall@k of the gold article (ALQAC) or gold context (UIT) among the
passages the engine retrieved, and answer accuracy where a gold answer text exists:

* UIT: the gold span contained in our answer (``match_key``), and SQuAD-style token F1;
* ALQAC Tự luận: the gold answer contained in our answer; Trắc nghiệm: the text of the gold
  option contained in our answer (and token F1 against it);
* ALQAC Đúng/Sai: no true/false classifier exists, so only retrieval is reported.

Results go to stdout and into the ``bench-qa`` section of ``docs/bench.md``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answer.engine import DEFAULT_K, Answer, Engine
from answer.selector import Trees
from eval import datasets
from eval.bench import RESULTS, article_rank, configure_logging, passage_rank, percentile, publish, table
from eval.train import FoldModels, load_folds, load_rerank_folds
from index.store import store_dir
from ingest.vietnamese import match_key

log = logging.getLogger("eval.bench_qa")

_CITATION = re.compile(r"\[\d+\]")
_WORD = re.compile(r"\w+")


# --- answer scoring ---------------------------------------------------------------------


def answer_tokens(text: str) -> list[str]:
    """Word tokens of ``text`` under ``match_key``, citation markers removed."""
    return _WORD.findall(match_key(_CITATION.sub(" ", text)))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD-style token F1 between our answer and the gold answer."""
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains_gold(answer: str, gold: str) -> bool:
    return bool(match_key(gold)) and match_key(gold) in match_key(_CITATION.sub(" ", answer))


@dataclass
class Outcome:
    """One question's result: rank of the gold passage, abstention, answer scores, latency."""

    group: str
    rank: int | None
    abstained: bool
    correct: bool | None  # None: no gold answer text to compare with
    f1: float | None
    ms: float
    error: str | None = None
    qid: str = ""


def score_answer(answer: Answer, gold: str | None) -> tuple[bool | None, float | None]:
    """Containment and token F1 of ``gold`` in the answer; an abstention scores 0."""
    if gold is None:
        return None, None
    if answer.abstained:
        return False, 0.0
    return contains_gold(answer.answer, gold), token_f1(answer.answer, gold)


def ask(engine: Engine, question: str, k: int) -> tuple[Answer | None, float, str | None]:
    """``engine.ask`` timed; an exception is returned as text (one bad question must not end the run)."""
    t0 = time.perf_counter()
    try:
        answer, error = engine.ask(question, k=k), None
    except Exception as exc:  # reported per question in the results
        answer, error = None, f"{type(exc).__name__}: {exc}"
        log.warning("ask failed (%s) for: %s", error, question[:120])
    return answer, (time.perf_counter() - t0) * 1000, error


def outcome(group: str, qid: str, answer: Answer | None, ms: float, error: str | None,
            gold_text: str | None, rank_of: Callable[[Answer], int | None]) -> Outcome:
    if answer is None:
        failed = None if gold_text is None else False
        return Outcome(group, None, False, failed, None if gold_text is None else 0.0, ms, error, qid)
    correct, f1 = score_answer(answer, gold_text)
    return Outcome(group, rank_of(answer), answer.abstained, correct, f1, ms, None, qid)


# --- datasets ---------------------------------------------------------------------------


def spread(questions: list[Any], limit: int | None, key: str = "kind") -> list[Any]:
    """The first ``limit`` questions taken in turn from each group (all when no limit)."""
    if not limit:
        return list(questions)
    groups: dict[str, list[Any]] = {}
    for q in questions:
        groups.setdefault(str(getattr(q, key, "")), []).append(q)
    picked: list[Any] = []
    for i in range(max(len(g) for g in groups.values())):
        picked += [g[i] for g in groups.values() if i < len(g)]
    return picked[:limit]


def with_choices(q: datasets.AlqacQuestion) -> str:
    """A multiple-choice question followed by its options (as a reader would see it)."""
    return q.question + "\n" + "\n".join(f"{key}. {text}" for key, text in sorted(q.choices.items()))


def _progress(name: str, n: int, total: int, every: int = 50) -> None:
    if n == 1 or n % every == 0:
        log.info("%s: question %d/%d", name, n, total)


def run_alqac(engine: Engine, questions: list[datasets.AlqacQuestion], k: int) -> list[Outcome]:
    outcomes = []
    for n, q in enumerate(questions, 1):
        _progress("ALQAC", n, len(questions))
        def rank_of(a: Answer, gold: list[datasets.ArticleRef] = q.gold) -> int | None:
            return article_rank(gold, a.nearest)
        answer, ms, error = ask(engine, q.question, k)
        outcomes.append(outcome(q.kind, q.id, answer, ms, error, q.gold_answer_text, rank_of))
        if q.kind == datasets.MULTIPLE_CHOICE:
            answer, ms, error = ask(engine, with_choices(q), k)
            outcomes.append(outcome(f"{q.kind} + options", q.id, answer, ms, error, q.gold_answer_text, rank_of))
    return outcomes


def run_uit(engine: Engine, questions: list[datasets.UitQuestion], k: int, folds: FoldModels | None = None,
            source: str = "uit-reg", rerankers: list[Trees] | None = None) -> list[Outcome]:
    """UIT questions; with ``folds``, each is answered by the selector (and with ``rerankers``, the
    reranker) that never saw its context."""
    outcomes = []
    committed, committed_reranker = engine.selector, engine.reranker
    for n, q in enumerate(questions, 1):
        _progress("UIT", n, len(questions))
        def rank_of(a: Answer, context: str = q.context_id) -> int | None:
            return passage_rank(context, a.nearest)
        fold = folds.fold_of(source, q.context_id.rsplit("#", 1)[0]) if folds else None
        engine.selector = committed if fold is None else folds.selectors[fold]
        engine.reranker = committed_reranker if fold is None or not rerankers else rerankers[fold]
        answer, ms, error = ask(engine, q.question, k)
        outcomes.append(outcome("UIT regulation QA", q.id, answer, ms, error, q.answer, rank_of))
    engine.selector, engine.reranker = committed, committed_reranker
    return outcomes


# --- report -----------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summary_rows(outcomes: list[Outcome], k: int) -> list[list[Any]]:
    groups = list(dict.fromkeys(o.group for o in outcomes))
    rows = []
    for group in groups:
        sub = [o for o in outcomes if o.group == group]
        scored = [o for o in sub if o.correct is not None]
        rows.append([
            group,
            len(sub),
            _mean([o.rank == 1 for o in sub]),
            _mean([o.rank is not None and o.rank <= k for o in sub]),
            _mean([o.abstained for o in sub]),
            _mean([bool(o.correct) for o in scored]) if scored else "not measured (retrieval only)",
            _mean([o.f1 for o in scored if o.f1 is not None]) if scored else "–",
            f"{percentile([o.ms for o in sub], 50):.0f}",
            sum(o.error is not None for o in sub),
        ])
    return rows


def error_lines(outcomes: list[Outcome]) -> list[str]:
    """One line per question on which ``Engine.ask`` raised."""
    failed = [o for o in outcomes if o.error]
    if not failed:
        return []
    lines = ["`Engine.ask` raised on (counted as not retrieved and wrong):", ""]
    lines += [f"- {o.group} {o.qid}: `{o.error[:200]}`" for o in failed]
    return [*lines, ""]


def report(title: str, outcomes: list[Outcome], k: int, note: str) -> str:
    headers = ["questions", "n", "R@1", f"R@{k}", "abstained", "answer contains gold", "token F1", "p50 ms",
               "errors"]
    parts = [f"### {title}", "", note, "", table(headers, summary_rows(outcomes, k)), ""]
    return "\n".join(parts + error_lines(outcomes))


ALQAC_NOTE = (
    "Gold = the article in `relevant_articles`; R@k over the passages `Engine.ask` retrieved. "
    "Đúng/Sai: no true/false classifier exists, so only whether retrieval found the gold article "
    "is reported. Trắc nghiệm: the gold option's text must appear in the answer; the "
    "'+ options' row asks the question followed by its four options."
)
UIT_NOTE = (
    "Gold = the context the question was written on (75 contexts); the gold answer span must "
    "appear in the answer (`match_key`), token F1 is SQuAD-style over `match_key` words."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.bench_qa", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="store whose bench-cache/ holds the vectors (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--limit", type=int, default=None, help="only N questions of each set (ALQAC: spread over its question types)")
    p.add_argument("--k", type=int, default=DEFAULT_K, help=f"passages per question (default {DEFAULT_K})")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (default docs/bench.md)")
    p.add_argument("--sets", default="alqac,uit", help="which sets to run, comma-separated (default alqac,uit)")
    args = p.parse_args(argv)
    args.sets = {s.strip().lower() for s in args.sets.split(",") if s.strip()}
    if not args.sets or args.sets - {"alqac", "uit"}:
        p.error("--sets takes alqac, uit or both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    root, cache = datasets.bench_dir(), datasets.cache_dir(store_dir(args.store))
    alqac = "alqac" in args.sets and datasets.alqac_available(root)
    uit = "uit" in args.sets and datasets.uit_available(root)
    if not (alqac or uit):
        log.error("no benchmarks in %s (set %s)", root, datasets.ENV_BENCH)
        return 2
    t_start, load0 = time.perf_counter(), os.getloadavg()
    parts = ["## `make bench-qa`: external QA sets through `Engine.ask`", ""]
    if args.limit:
        parts += [f"**Quick run: {args.limit} questions of each set only.**", ""]
    if alqac:
        t0 = time.perf_counter()
        retriever, _ = datasets.build_retriever(datasets.alqac_passages(root), cache, "alqac")
        questions = spread(datasets.alqac_questions(root), args.limit)
        outcomes = run_alqac(Engine(retriever), questions, args.k)
        parts += [report("ALQAC 2023 train.json", outcomes, args.k, ALQAC_NOTE),
                  f"_ALQAC: {time.perf_counter() - t0:.0f} s._", ""]
    if uit:
        t0 = time.perf_counter()
        retriever, _ = datasets.build_retriever(datasets.uit_passages(root), cache, "uit-reg")
        folds, rerankers = load_folds(cache), load_rerank_folds(cache)
        if folds is None or rerankers is None:
            log.warning("no fold models in %s (run `make train`): UIT is answered by the committed selector "
                        "and reranker, which were trained on these questions", cache)
        outcomes = run_uit(Engine(retriever), spread(datasets.uit_questions(root), args.limit), args.k, folds,
                           rerankers=rerankers)
        note = UIT_NOTE + (" Each question is answered by the selector and the reranker of the cross-validation "
                           "fold that held out its context (`make train`)." if folds and rerankers else
                           " **Answered by the committed selector or reranker, which were trained on these "
                           "questions: not a fair score.**")
        parts += [report("UIT regulation QA train_reg.json", outcomes, args.k, note),
                  f"_UIT: {time.perf_counter() - t0:.0f} s._", ""]
    parts.append(f"_Whole bench-qa: {time.perf_counter() - t_start:.0f} s._")
    publish("bench-qa", parts, load0, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
