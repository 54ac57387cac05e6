"""``make train``, second step: the reranker (:mod:`answer.rerank`) from the engine's own answers.

Every question of the own sets (:data:`eval.train.OWN_SETS`, written by others over
``corpus/``) is answered by the engine with the committed selector; for each anchor the
reranker would look at, the engine renders the answer it would give quoting that anchor, and
the label is whether the answer holds every fact and ref (``eval``'s scorer). The ``assoc``
column, and with it the selector's scores, come from a word-association table learned without
the question's fold of sets, as for the confidence model. Gradient-boosted trees (the
learning rate and rounds chosen from :data:`SETTINGS` by folds of sets) learn from the
answerable questions; the folds measure how many answers the reranker gains against the
engine's choice without it, picking as the engine does (within :data:`answer.rerank.REACH`).
Writes ``answer/rerank.json`` and a section of ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer import associations, rerank
from answer import selector as selection
from answer.analysis import analyse
from answer.citations import check_citations
from answer.engine import Engine, _asks_signer
from answer.features import INDEX
from answer.selector import Trees
from eval.bench import configure_logging
from eval.examples import anchor_labels, item_label
from eval.scoring import load_questions, score_one
from eval.train import CONFIDENCE_TREES, OWN_FOLDS, OWN_SETS, REPORT, fit_trees
from index.retriever import Retriever
from index.store import store_dir

log = logging.getLogger("eval.train_rerank")

REPO = Path(__file__).resolve().parents[1]
WORKERS = 2
SECTION = "## The reranker"
# settings tried, by folds of sets (the first of the best is kept): the confidence model's, then
# higher learning rates with more rounds
SETTINGS = tuple({**CONFIDENCE_TREES, "learning_rate": rate, "max_iter": rounds}
                 for rate, rounds in ((0.05, 200), *((r, n) for n in (200, 400, 800) for r in (0.1, 0.2, 0.4))))


@dataclass
class Looked:
    """One own-set question as the engine saw it, and what quoting each anchor it looked at gives."""

    name: str  # its question set
    question: str
    answerable: bool
    texts: tuple[str, ...]  # what each anchor shows (for the association table)
    labels: np.ndarray  # the anchors whose own unit shows the answer (for the association table)
    x: np.ndarray
    anchors: list[int]  # the anchors the reranker looks at
    chosen: int
    listed: int
    correct: np.ndarray  # per looked-at anchor: the answer quoting it is right


_engine: Engine | None = None


def _start(store: str) -> None:
    global _engine
    # the reranker being trained plays no part: only the choices before it (chosen, listed) are read
    _engine = Engine(Retriever.load(Path(store)), reranker=Trees(0.0, ()))


def look_at_set(name: str) -> list[Looked]:
    """Every question of the set ``name`` (run in a worker holding an engine)."""
    engine = _engine
    assert engine is not None
    out = []
    for item in load_questions(REPO / "eval" / f"{name}.jsonl"):
        q = analyse(item.question, engine.retriever.documents)
        retrieval = engine.search(q)
        choice = engine.choose(q, retrieval) if retrieval.hits else None
        if choice is None or choice.signed or _asks_signer(q):
            continue
        label = item_label(item) if item.answerable else None
        shares = np.array([label(u) if label else 0.0 for u in choice.units])
        labels, _ = anchor_labels(choice.units, choice.candidates, shares)
        anchors = rerank.looked_at(choice.scores, choice.chosen, choice.listed)
        correct = np.zeros(len(anchors), dtype=bool)
        if item.answerable:
            for j, i in enumerate(anchors):
                rendered = engine.quote(q, i, choice.candidates, choice.units, choice.scores, retrieval, choice.cover)
                if rendered is None or check_citations(rendered.text, rendered.citations):
                    continue
                result = {"answer": rendered.text, "abstained": False,
                          "citations": [c.to_json() for c in rendered.citations]}
                correct[j] = score_one(item, result)["correct"]
        out.append(Looked(name, item.question, item.answerable, tuple(c.evidence for c in choice.candidates),
                          labels, choice.x.astype(np.float64), anchors, choice.chosen, choice.listed, correct))
    log.info("%s: %d questions", name, len(out))
    return out


def with_fold_associations(looked: list[Looked], fold: dict[str, int]) -> None:
    """Each question's ``assoc`` column from a table learned without its fold of sets (in place)."""
    counts = [associations.count((lk.question, lk.texts, lk.labels) for lk in looked
                                 if lk.answerable and fold[lk.name] == k) for k in range(OWN_FOLDS)]
    every = associations.total(counts)
    for k, less in enumerate(counts):
        table = associations.from_counts(every, less=less)
        for lk in looked:
            if fold[lk.name] == k:
                lk.x[:, INDEX["assoc"]] = table.scores(lk.question, lk.texts)


def table(looked: list[Looked], selector: selection.Selector) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reranker's rows and labels over the answerable questions, and each row's question."""
    rows, labels, owner = [], [], []
    for n, lk in enumerate(looked):
        if not lk.answerable:
            continue
        scores = selector.scores(lk.x)
        rows.append(rerank.rows(lk.x, scores, lk.anchors, lk.chosen, lk.listed))
        labels.append(lk.correct.astype(float))
        owner += [n] * len(lk.anchors)
    return np.concatenate(rows), np.concatenate(labels), np.array(owner)


def gained(looked: list[Looked], model: Trees, rows: np.ndarray, owner: np.ndarray, which: np.ndarray) -> tuple[int, int]:
    """Answers right with the engine's choice before the reranker (the ``list`` rule's) and with
    it, picking among the anchors :func:`answer.rerank.within_reach` as the engine does."""
    before = after = 0
    p = np.full(len(rows), np.nan)
    p[which] = model.logit(rows[which])
    for n in np.unique(owner[which]):
        lk = looked[n]
        at = np.flatnonzero(owner == n)
        scores = rows[at, rerank.QUESTION.index("score")]
        allowed = rerank.within_reach(scores, range(len(at)), lk.anchors.index(lk.chosen), lk.anchors.index(lk.listed))
        before += bool(lk.correct[lk.anchors.index(lk.listed)])
        after += bool(lk.correct[allowed[int(np.argmax(p[at[allowed]]))]])  # the first on a tie, as pick
    return before, after


def cross_validate(looked: list[Looked], rows: np.ndarray, labels: np.ndarray, owner: np.ndarray,
                   fold: np.ndarray, settings: dict) -> list[tuple[int, int, int]]:
    """Per fold of sets: (fold, right before, right with a reranker trained without the fold)."""
    report = []
    for k in range(OWN_FOLDS):
        model = fit_trees(rows[fold != k], labels[fold != k], settings)
        report.append((k, *gained(looked, model, rows, owner, fold == k)))
    return report


def look_at_sets(names: list[str], store: str, cache: Path | None) -> list[Looked]:
    """What the engine sees for every own-set question; read from ``cache`` when it is there
    (saved by an earlier run with the same index and selector), else computed and saved to it."""
    if cache is not None and cache.is_file():
        log.info("reading the looked-at anchors from %s", cache)
        with cache.open("rb") as fh:
            return pickle.load(fh)
    with multiprocessing.get_context("fork").Pool(WORKERS, _start, (store,)) as pool:
        looked = [lk for part in pool.map(look_at_set, names, chunksize=1) for lk in part]
    if cache is not None:
        with cache.open("wb") as fh:
            pickle.dump(looked, fh)
    return looked


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.train_rerank", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--out", type=Path, default=rerank.MODEL_PATH, help=f"model file (default {rerank.MODEL_PATH})")
    p.add_argument("--report", type=Path, default=REPORT, help=f"training report (default {REPORT})")
    p.add_argument("--looked", type=Path, help="keep the looked-at anchors in this file and reuse them "
                   "(only while the index and the selector are unchanged)")
    args = p.parse_args(argv)
    configure_logging()
    t0 = time.perf_counter()
    store = str(store_dir(args.store))
    names = [n for n in OWN_SETS if (REPO / "eval" / f"{n}.jsonl").is_file()]
    looked = look_at_sets(names, store, args.looked)
    fold = {name: i % OWN_FOLDS for i, name in enumerate(names)}
    with_fold_associations(looked, fold)
    rows, labels, owner = table(looked, selection.load())
    question_fold = np.array([fold[looked[n].name] for n in owner])
    tried = []
    for settings in SETTINGS:
        report = cross_validate(looked, rows, labels, owner, question_fold, settings)
        gain = sum(a - b for _, b, a in report)
        log.info("learning rate %s, %d rounds: %+d", settings["learning_rate"], settings["max_iter"], gain)
        tried.append((gain, settings, report))
    _, settings, report = max(tried, key=lambda t: t[0])  # the first of the best
    model = fit_trees(rows, labels, settings)
    meta = {"sets": names, "questions": len(np.unique(owner)), "rows": len(rows),
            "learning_rate": settings["learning_rate"], "rounds": settings["max_iter"]}
    args.out.write_text(json.dumps(rerank.to_json(model, meta), separators=(",", ":")) + "\n", encoding="utf-8")
    write_section(args.report, looked, report, meta, time.perf_counter() - t0, tried)
    log.info("wrote %s and %s", args.out, args.report)
    return 0


def write_section(path: Path, looked: list[Looked], folds: list[tuple[int, int, int]], meta: dict,
                  seconds: float, tried: list[tuple[int, dict, list]]) -> None:
    """The reranker's section of the training report (replacing an earlier one)."""
    answerable = sum(lk.answerable for lk in looked)
    reachable = sum(bool(lk.correct.any()) for lk in looked if lk.answerable)
    lines = [
        SECTION, "",
        f"`python -m eval.train_rerank` ({seconds / 60:.0f} min): {answerable} answerable questions of "
        f"{len(meta['sets'])} own sets, {meta['rows']} (question, anchor) rows; the engine's answer quoting "
        f"one of the anchors looked at is right for {reachable} of them ({reachable / max(answerable, 1):.3f}).",
        "Answers right, out of fold (folds of sets), with the engine's choice before the reranker and with it:",
        "", "| fold | before | with the reranker | gain |", "|---|---|---|---|",
        *(f"| {k} | {b} | {a} | {a - b:+d} |" for k, b, a in folds),
        f"| all | {sum(b for _, b, _ in folds)} | {sum(a for *_, a in folds)} | "
        f"{sum(a - b for _, b, a in folds):+d} |", "",
        f"Settings tried (gain out of fold; kept: learning rate {meta['learning_rate']}, "
        f"{meta['rounds']} rounds, the first of the best):", "",
        "| learning rate | rounds | gain |", "|---|---|---|",
        *(f"| {s['learning_rate']} | {s['max_iter']} | {g:+d} |" for g, s, _ in tried), "",
    ]
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if SECTION in text:
        text = text[: text.index(SECTION)]
    path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
