"""``make train``, third step: when to quote a second unit beside the answer (:mod:`answer.second`).

Every answerable question of the sets others wrote over ``corpus/`` (:data:`eval.train.OWN_SETS`)
is answered as ``Engine.ask`` answers it, with the selector and reranker the first two steps
wrote and no second quote. Where the answer quotes one unit, each unit proposed beside it (the
best other anchor of its document, the best anchor of another document, the sentences right
after and before it) is a row, labelled 1 when the answer is wrong and the two units quoted
together are right. Gradient-boosted trees (the confidence model's settings) learn the label;
an answer takes its likeliest proposal, and the threshold is the lowest at which, out of fold
(the own sets dealt into folds of sets), at least half of the second quotes it adds turn a
wrong answer right. Writes ``answer/second.json`` and a section of ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer import second
from answer.analysis import analyse
from answer.citations import check_citations
from answer.engine import Engine
from answer.render import render
from eval.bench import configure_logging
from eval.scoring import load_questions
from eval.train import CONFIDENCE_TREES, OWN_FOLDS, OWN_SETS, REPORT, fit_trees
from eval.train_rerank import answer_right, replace_section
from index.retriever import Retriever
from index.store import store_dir

log = logging.getLogger("eval.train_second")

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Step 3: a second quote (`python -m eval.train_second`)"
WORKERS = 2
GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))  # thresholds tried
PRECISION = 0.5  # at least this share of the second quotes added must turn a wrong answer right
MIN_ADDED = 10  # out of fold, at a threshold that adds fewer, the share says little


@dataclass
class Row:
    name: str
    answer: int  # the answer it is proposed for (its index in its set)
    features: np.ndarray
    label: bool
    right: bool  # the answer alone is right


_engine: Engine | None = None


def _start(store: str) -> None:
    global _engine
    # the answers as they are without a second quote: the gate being trained is never read (it may be stale)
    _engine = Engine(Retriever.load(Path(store)), gate=second.NEVER)
    _engine.gate = None


def look_at_set(name: str) -> list[Row]:
    """The gate's rows for the answerable questions of set ``name`` (run in a worker)."""
    engine = _engine
    assert engine is not None
    rows = []
    for n, item in enumerate(load_questions(REPO / "eval" / f"{name}.jsonl")):
        if not item.answerable:
            continue
        q = analyse(item.question, engine.retriever.documents)
        retrieval = engine.search(q)
        choice = engine.choose(q, retrieval) if retrieval.hits else None
        if choice is None:
            continue
        confidence = engine.selector.confidence(choice.x, choice.scores, choice.chosen)
        if engine.abstains(q, choice, confidence):
            continue
        args = (q, choice.quoted, choice.candidates, choice.units, choice.scores, retrieval, choice.cover)
        quoted = engine.quoted_units(*args)
        if quoted is None or len(quoted) > 1:
            continue
        alone = render(q, quoted, engine.retriever.passages)
        if check_citations(alone.text, alone.citations):
            continue
        proposals = second.propose(q, quoted[0], choice.quoted, choice.candidates, choice.units, choice.scores,
                                   choice.cover, confidence, len(alone.text))
        right = answer_right(item, alone) if proposals else False
        for proposal in proposals:
            both = render(q, second.together(quoted[0], proposal.unit), engine.retriever.passages)
            rows.append(Row(name, n, proposal.row, not right and answer_right(item, both), right))
    log.info("%s: %d rows", name, len(rows))
    return rows


def gather(store: str) -> list[Row]:
    with multiprocessing.get_context("fork").Pool(WORKERS, _start, (store,)) as pool:
        return [row for rows in pool.map(look_at_set, OWN_SETS, chunksize=1) for row in rows]


def out_of_fold(x: np.ndarray, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Each row's probability from trees fitted without its fold of sets."""
    p = np.zeros(len(y))
    for k in np.unique(fold):
        p[fold == k] = fit_trees(x[fold != k], y[fold != k]).probability(x[fold == k])
    return p


def likeliest(p: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """Per answer (rows sharing an ``answer`` key), the row of its likeliest proposal (the first on a tie)."""
    best: dict = {}
    for i, key in enumerate(answer):
        if key not in best or p[i] > p[best[key]]:
            best[key] = i
    return np.array(sorted(best.values()), dtype=int)


def choose_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, list[tuple[float, int, int]]]:
    """The lowest threshold of :data:`GRID` at which at least :data:`PRECISION` of the (at least
    :data:`MIN_ADDED`) second quotes added turn a wrong answer right (``p``, ``y``: each answer's
    likeliest proposal); with the counts per threshold."""
    table = [(t, int((p >= t).sum()), int(((p >= t) & y).sum())) for t in GRID]
    ok = [t for t, added, fixed in table if added >= MIN_ADDED and fixed >= PRECISION * added]
    return (min(ok) if ok else 1.0), table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.train_second", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--out", type=Path, default=second.MODEL_PATH, help=f"model file (default {second.MODEL_PATH})")
    p.add_argument("--report", type=Path, default=REPORT, help=f"training report (default {REPORT})")
    args = p.parse_args(argv)
    configure_logging()
    t0 = time.perf_counter()
    rows = gather(str(store_dir(args.store)))
    x = np.array([r.features for r in rows])
    y = np.array([r.label for r in rows], dtype=bool)
    fold = np.array([OWN_SETS.index(r.name) % OWN_FOLDS for r in rows])
    oof = out_of_fold(x, y, fold)
    kept = likeliest(oof, np.array([f"{r.name}:{r.answer}" for r in rows]))
    threshold, table = choose_threshold(oof[kept], y[kept])
    gate = second.Gate(fit_trees(x, y), threshold)
    meta = {"sets": list(OWN_SETS), "rows": len(rows), "positives": int(y.sum()), "settings": CONFIDENCE_TREES}
    args.out.write_text(json.dumps(gate.to_json(meta), separators=(",", ":")) + "\n", encoding="utf-8")
    write_section(args.report, rows, table, threshold, time.perf_counter() - t0)
    log.info("wrote %s and %s", args.out, args.report)
    return 0


def write_section(path: Path, rows: list[Row], table: list[tuple[float, int, int]], threshold: float,
                  seconds: float) -> None:
    """The gate's section of the training report (replacing an earlier one)."""
    answers = {(r.name, r.answer): r.right for r in rows}
    wrong = sum(not right for right in answers.values())
    fixed = len({(r.name, r.answer) for r in rows if r.label})

    def kind(flag: str) -> str:
        flagged = [r for r in rows if r.features[second.FEATURES.index(flag)]]
        return f"{len(flagged)} ({sum(r.label for r in flagged)})"

    lines = [
        SECTION, "",
        f"`python -m eval.train_second` ({seconds / 60:.0f} min): {len(answers)} answers that quote one unit "
        f"and have a second proposed ({wrong} of them wrong); the two together are right where the first "
        f"alone is wrong for {fixed}. Of the {len(rows)} proposals (and of those that make a wrong answer "
        f"right), {kind('other_document')} are another document's, {kind('next_sentence')} the sentence "
        f"right after the quote and {kind('previous_sentence')} the one right before. Out of fold (folds of "
        f"own sets), by threshold: second quotes added, and how many of them turn a wrong answer right "
        f"(kept: {threshold}, the lowest at which at least {PRECISION:.0%} do, out of at least {MIN_ADDED}):", "",
        "| threshold | added | wrong made right |", "|---|---|---|",
        *(f"| {t} | {added} | {fixed} |" for t, added, fixed in table), "",
    ]
    replace_section(path, SECTION, lines)


if __name__ == "__main__":
    raise SystemExit(main())
