"""``python -m eval.rules``: what each remaining hand-written rule is worth, measured on vs. off.

For every rule of :data:`answer.rules.RULES`, the question sets are answered with all rules on,
then with that one rule off (``REFORMQA_RULES_OFF``), with the same selector; UIT regulation
questions are answered by the cross-validation fold models, the selector's and the reranker's
(``make train``), so no question is answered by a model that saw it. Prints a markdown table (answer accuracy; for the project's
sets also unanswerable abstained) and writes it to ``--out`` if given.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from answer.engine import Engine
from answer.rules import RULES
from eval import datasets
from eval.bench import configure_logging
from eval.bench_qa import run_uit
from eval.runner import run_eval
from eval.train import load_folds, load_rerank_folds
from index.store import store_dir

log = logging.getLogger("eval.rules")
REPO = Path(__file__).resolve().parents[1]


def question_sets() -> tuple[str, ...]:
    """holdout, the old blind set and every later blind set (``eval/blindN.jsonl``), in order."""
    numbered = sorted((p.stem for p in (REPO / "eval").glob("blind[0-9]*.jsonl")), key=lambda s: int(s[5:]))
    return ("holdout", "blind", *numbered)


SETS = question_sets()


def _measure(engine: Engine, uit: Engine | None, sets: list[str], folds, rerankers) -> dict[str, str]:
    cells = {}
    for name in sets:
        summary, _ = run_eval(engine, REPO / "eval" / f"{name}.jsonl")
        o = summary["overall"]
        cells[name] = f"{o['answer_accuracy']:.3f} / {o['abstention_recall']:.2f}"
    if uit is not None:
        questions = datasets.uit_questions()
        outcomes = run_uit(uit, questions, 5, folds, rerankers=rerankers)
        right = [bool(o.correct) for o in outcomes]
        cells["uit"] = f"{sum(right) / len(right):.3f}"
    return cells


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.rules", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--sets", default=",".join(SETS), help=f"question files under eval/ (default {','.join(SETS)})")
    p.add_argument("--no-uit", action="store_true", help="leave the UIT measurement out")
    p.add_argument("--out", type=Path, help="also write the table here")
    args = p.parse_args(argv)
    configure_logging()
    store = store_dir(args.store)
    sets = [s for s in args.sets.split(",") if s]
    engine = Engine.from_store(store)
    uit = folds = rerankers = None
    if not args.no_uit and datasets.uit_available():
        cache = datasets.cache_dir(store)
        folds, rerankers = load_folds(cache), load_rerank_folds(cache)
        retriever, _ = datasets.build_retriever(datasets.uit_passages(), cache, "uit-reg")
        uit = Engine(retriever)
    columns = [*sets, *(["uit"] if uit is not None else [])]
    rows = []
    for rule in ["", *RULES]:
        os.environ["REFORMQA_RULES_OFF"] = rule
        log.info("rule off: %s", rule or "(none)")
        cells = _measure(engine, uit, sets, folds, rerankers)
        rows.append((rule, cells))
    os.environ.pop("REFORMQA_RULES_OFF", None)
    lines = [
        "| rule switched off | " + " | ".join(columns) + " | what the rule does |",
        "|---|" + "---|" * (len(columns) + 1),
    ]
    for rule, cells in rows:
        what = RULES.get(rule, "all rules on (as shipped)")
        lines.append(f"| {rule or '—'} | " + " | ".join(cells[c] for c in columns) + f" | {what} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
