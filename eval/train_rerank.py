"""``make train``, second step: the reranker (:mod:`answer.rerank`) from the engine's own answers.

Every question of the own sets (:data:`eval.train.OWN_SETS`, written by others over
``corpus/``) is answered by the engine with the committed selector; for each anchor the
reranker would look at, the engine renders the answer it would give quoting that anchor, and
the label is whether the answer holds every fact and ref (``eval``'s scorer). The ``assoc``
column, and with it the selector's scores, come from a word-association table learned without
the question's fold of sets, as for the confidence model. UIT's regulation and Wikipedia
questions (:data:`UIT`) are answered the same way over an index of their contexts, each by the
selector of the fold that held out its context (left in the bench cache by ``eval.train``); an
answer is right when it holds the gold span. Gradient-boosted trees (the learning rate and
rounds chosen from :data:`SETTINGS` by the folds: the own sets' folds of sets, UIT's by the
selector's folds of contexts) learn from the answerable questions; the folds measure how many
answers the reranker gains against the engine's choice without it, picking as the engine does
(within :data:`answer.rerank.REACH`), per source. The committed model averages the model on all
rows with the kept setting's fold models (:meth:`Trees.averaged`). Writes ``answer/rerank.json``, the fold models
to the bench cache (so ``bench-qa`` answers each UIT question with a reranker that never saw
it) and a section of ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from answer import associations, rerank, second
from answer import selector as selection
from answer.analysis import analyse
from answer.citations import check_citations
from answer.engine import Choice, Engine, _asks_signer
from answer.features import INDEX
from answer.render import Rendered
from answer.selector import Trees
from eval import datasets
from eval.bench import configure_logging
from eval.bench_qa import contains_gold
from eval.examples import anchor_labels, item_label
from eval.scoring import Question, load_questions, score_one
from eval.train import (
    CONFIDENCE_TREES,
    OWN_FOLDS,
    OWN_SETS,
    REPORT,
    RERANK_FOLDS_FILE,
    FoldModels,
    fit_trees,
    load_folds,
)
from index.retriever import Retriever
from index.store import store_dir

log = logging.getLogger("eval.train_rerank")

REPO = Path(__file__).resolve().parents[1]
WORKERS = 2
UIT = ((datasets.UIT_TRAIN, "uit-reg"), (datasets.UIT_WIKI, "uit-wiki"))
SOURCE_NAMES = {"own": "own sets", "uit-reg": "UIT regulation", "uit-wiki": "UIT Wikipedia"}
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
    shown: np.ndarray  # per looked-at anchor: its row of what it expands to (:func:`answer.rerank.unit_rows`)
    source: str = "own"  # or a UIT source ("uit-reg", "uit-wiki")
    group: str = ""  # a UIT question's context (its document), which decides its fold


_engine: Engine | None = None


def _start(store: str) -> None:
    global _engine
    # the reranker being trained plays no part: only the choices before it (chosen, listed) are read; nor
    # does the second quote (a later step, whose model may be stale)
    _engine = Engine(Retriever.load(Path(store)), reranker=Trees(0.0, ()), gate=second.NEVER)


def _look(engine: Engine, question: str, right: Callable[[Rendered], bool] | None
          ) -> tuple[Choice, list[int], np.ndarray, np.ndarray] | None:
    """What the engine sees for ``question``: its choice, the anchors the reranker looks at, and per
    anchor whether the answer quoting it is ``right`` (all False without ``right``); None when it
    has no choice or answers from a fixed place."""
    q = analyse(question, engine.retriever.documents)
    retrieval = engine.search(q)
    choice = engine.choose(q, retrieval) if retrieval.hits else None
    if choice is None or choice.signed or _asks_signer(q):
        return None
    anchors = rerank.looked_at(choice.scores, choice.chosen, choice.listed)
    correct = np.zeros(len(anchors), dtype=bool)
    if right is not None:
        for j, i in enumerate(anchors):
            rendered = engine.quote(q, i, choice.candidates, choice.units, choice.scores, retrieval, choice.cover)
            if rendered is not None and not check_citations(rendered.text, rendered.citations):
                correct[j] = right(rendered)
    return choice, anchors, correct, rerank.unit_rows(q, choice.candidates, choice.units, choice.cover, anchors)


def answer_right(item: Question, rendered: Rendered) -> bool:
    """Whether ``rendered``, given as the answer to ``item``, is right by ``eval``'s scorer."""
    result = {"answer": rendered.text, "abstained": False, "citations": [c.to_json() for c in rendered.citations]}
    return bool(score_one(item, result)["correct"])


def look_at_set(name: str) -> list[Looked]:
    """Every question of the set ``name`` (run in a worker holding an engine)."""
    engine = _engine
    assert engine is not None
    out = []
    for item in load_questions(REPO / "eval" / f"{name}.jsonl"):
        right = partial(answer_right, item)
        seen = _look(engine, item.question, right if item.answerable else None)
        if seen is None:
            continue
        choice, anchors, correct, shown = seen
        label = item_label(item) if item.answerable else None
        shares = np.array([label(u) if label else 0.0 for u in choice.units])
        labels, _ = anchor_labels(choice.units, choice.candidates, shares)
        out.append(Looked(name, item.question, item.answerable, tuple(c.evidence for c in choice.candidates),
                          labels, choice.x.astype(np.float64), anchors, choice.chosen, choice.listed, correct, shown))
    log.info("%s: %d questions", name, len(out))
    return out


def look_at_uit(cache: Path, folds: FoldModels, file: Path, source: str) -> list[Looked]:
    """Every UIT question of ``file`` over an index of its contexts, each answered by the selector
    of the fold that held out its context; an answer is right when it holds the gold span."""
    passages = datasets.uit_passages(None, file)
    retriever, _ = datasets.build_retriever(passages, cache, source)
    engine = Engine(retriever, reranker=Trees(0.0, ()), gate=second.NEVER)
    by_id = {p.id: p.doc_id for p in passages}
    out = []
    for item in datasets.uit_questions(None, file):
        group = by_id[item.context_id]
        selector = folds.for_group(source, group)
        if selector is None:
            continue
        engine.selector = selector
        seen = _look(engine, item.question, lambda rendered, gold=item.answer: contains_gold(rendered.text, gold))
        if seen is None:
            continue
        choice, anchors, correct, shown = seen
        out.append(Looked(source, item.question, True, (), np.zeros(0), choice.x.astype(np.float64), anchors,
                          choice.chosen, choice.listed, correct, shown, source, group))
    log.info("%s: %d questions", source, len(out))
    return out


def with_fold_associations(looked: list[Looked], fold: dict[str, int]) -> None:
    """Each question's ``assoc`` column from a table learned without its fold of sets (in place)."""
    own = [lk for lk in looked if lk.source == "own"]  # UIT is in no table
    counts = [associations.count((lk.question, lk.texts, lk.labels) for lk in own
                                 if lk.answerable and fold[lk.name] == k) for k in range(OWN_FOLDS)]
    every = associations.total(counts)
    for k, less in enumerate(counts):
        table = associations.from_counts(every, less=less)
        for lk in own:
            if fold[lk.name] == k:
                lk.x[:, INDEX["assoc"]] = table.scores(lk.question, lk.texts)


def table(looked: list[Looked], selector: selection.Selector, folds: FoldModels | None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reranker's rows and labels over the answerable questions, and each row's question (a UIT
    question's scores are its fold selector's, as the engine gave them)."""
    rows, labels, owner = [], [], []
    for n, lk in enumerate(looked):
        if not lk.answerable:
            continue
        held_out = folds.for_group(lk.source, lk.group) if folds and lk.source != "own" else None
        scores = (held_out or selector).scores(lk.x)
        rows.append(rerank.rows(lk.x, scores, lk.anchors, lk.chosen, lk.listed, lk.shown))
        labels.append(lk.correct.astype(float))
        owner += [n] * len(lk.anchors)
    return np.concatenate(rows), np.concatenate(labels), np.array(owner)


def fold_of(lk: Looked, fold: dict[str, int], folds: FoldModels | None) -> int:
    """The fold a question is held out in: its set's for an own set, else its context's fold of the selector."""
    if lk.source == "own":
        return fold[lk.name]
    k = folds.fold_of(lk.source, lk.group) if folds is not None else None
    assert k is not None
    return k


def gained(looked: list[Looked], model: Trees, rows: np.ndarray, owner: np.ndarray, which: np.ndarray
           ) -> dict[str, tuple[int, int]]:
    """Per source, answers right with the engine's choice before the reranker (the ``list`` rule's)
    and with it, picking among the anchors :func:`answer.rerank.within_reach` as the engine does."""
    out: dict[str, tuple[int, int]] = {}
    p = np.full(len(rows), np.nan)
    p[which] = model.logit(rows[which])
    for n in np.unique(owner[which]):
        lk = looked[n]
        at = np.flatnonzero(owner == n)
        scores = rows[at, rerank.QUESTION.index("score")]
        allowed = rerank.within_reach(scores, range(len(at)), lk.anchors.index(lk.chosen), lk.anchors.index(lk.listed))
        before, after = out.get(lk.source, (0, 0))
        out[lk.source] = (before + bool(lk.correct[lk.anchors.index(lk.listed)]),
                          after + bool(lk.correct[allowed[int(np.argmax(p[at[allowed]]))]]))  # the first on a tie
    return out


def cross_validate(looked: list[Looked], rows: np.ndarray, labels: np.ndarray, owner: np.ndarray,
                   fold: np.ndarray, settings: dict) -> tuple[list[tuple[int, str, int, int]], list[Trees]]:
    """Per fold and source: (fold, source, right before, right with a reranker trained without the
    fold); and the fold models."""
    report, models = [], []
    for k in range(OWN_FOLDS):
        model = fit_trees(rows[fold != k], labels[fold != k], settings)
        report += [(k, source, b, a) for source, (b, a) in sorted(gained(looked, model, rows, owner, fold == k).items())]
        models.append(model)
    return report, models


def by_source(report: list[tuple[int, str, int, int]]) -> dict[str, int]:
    """Answers gained out of fold, per source."""
    out: dict[str, int] = {}
    for _, source, before, after in report:
        out[source] = out.get(source, 0) + after - before
    return out


def kept_setting(tried: list[tuple[int, dict, list, list]]) -> tuple[int, dict, list, list]:
    """The first of the best settings (by answers gained out of fold over all sources) among those
    that lose answers on no source; the first of the best of all when every setting loses somewhere."""
    safe = [t for t in tried if min(by_source(t[2]).values()) >= 0]
    return max(safe or tried, key=lambda t: t[0])


def _kept(cache: Path | None, compute: Callable[[], list[Looked]]) -> list[Looked]:
    """``compute()``, read from ``cache`` when it is there (saved by an earlier run with the same
    index and selector), else computed and saved to it."""
    if cache is not None and cache.is_file():
        log.info("reading the looked-at anchors from %s", cache)
        with cache.open("rb") as fh:
            return pickle.load(fh)
    looked = compute()
    if cache is not None:
        with cache.open("wb") as fh:
            pickle.dump(looked, fh)
    return looked


def look_at_sets(names: list[str], store: str) -> list[Looked]:
    """What the engine sees for every own-set question (on :data:`WORKERS` processes)."""
    with multiprocessing.get_context("fork").Pool(WORKERS, _start, (store,)) as pool:
        return [lk for part in pool.map(look_at_set, names, chunksize=1) for lk in part]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.train_rerank", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--out", type=Path, default=rerank.MODEL_PATH, help=f"model file (default {rerank.MODEL_PATH})")
    p.add_argument("--report", type=Path, default=REPORT, help=f"training report (default {REPORT})")
    p.add_argument("--looked", type=Path, help="keep the looked-at anchors in this file (and UIT's beside it, "
                   "FILE.uit) and reuse them (only while the indexes and the selectors are unchanged)")
    args = p.parse_args(argv)
    configure_logging()
    t0 = time.perf_counter()
    store = str(store_dir(args.store))
    cache = datasets.cache_dir(Path(store))
    names = [n for n in OWN_SETS if (REPO / "eval" / f"{n}.jsonl").is_file()]
    looked = _kept(args.looked, lambda: look_at_sets(names, store))
    folds = load_folds(cache)  # the selector's folds, left by the first step of `make train`
    if folds is not None and datasets.uit_available():
        uit_cache = args.looked.with_name(args.looked.name + ".uit") if args.looked else None
        looked += _kept(uit_cache, lambda: [lk for file, source in UIT for lk in look_at_uit(cache, folds, file, source)])
    else:
        log.warning("no UIT questions or no selector folds in %s (run `python -m eval.train` first): "
                    "the reranker learns from the own sets only", cache)
    fold = {name: i % OWN_FOLDS for i, name in enumerate(names)}
    with_fold_associations(looked, fold)
    rows, labels, owner = table(looked, selection.load(), folds)
    question_fold = np.array([fold_of(looked[n], fold, folds) for n in owner])
    tried = []
    for settings in SETTINGS:
        report, models = cross_validate(looked, rows, labels, owner, question_fold, settings)
        gain = sum(by_source(report).values())
        log.info("learning rate %s, %d rounds: %+d", settings["learning_rate"], settings["max_iter"], gain)
        tried.append((gain, settings, report, models))
    _, settings, report, models = kept_setting(tried)
    # the model on all rows averaged with the kept setting's fold models: on the held-out sets (blind17-blind37,
    # 4,740 questions) +26 -13 answers against the model on all rows alone
    model = Trees.averaged([fit_trees(rows, labels, settings), *models])
    sources = sorted({looked[n].source for n in owner})
    meta = {"sets": names, "sources": sources, "questions": len(np.unique(owner)), "rows": len(rows),
            "learning_rate": settings["learning_rate"], "rounds": settings["max_iter"], "members": 1 + len(models)}
    args.out.write_text(json.dumps(rerank.to_json(model, meta), separators=(",", ":")) + "\n", encoding="utf-8")
    if folds is not None:  # so that bench-qa answers each UIT question with a reranker that never saw it
        (cache / RERANK_FOLDS_FILE).write_text(json.dumps([m.to_json() for m in models]), encoding="utf-8")
    write_section(args.report, looked, report, meta, time.perf_counter() - t0, tried)
    log.info("wrote %s and %s", args.out, args.report)
    return 0


def write_section(path: Path, looked: list[Looked], folds: list[tuple[int, str, int, int]], meta: dict,
                  seconds: float, tried: list[tuple[int, dict, list, list]]) -> None:
    """The reranker's section of the training report (replacing an earlier one)."""
    answerable = [lk for lk in looked if lk.answerable]
    sources = meta["sources"]

    def count(source: str) -> tuple[int, int]:
        of = [lk for lk in answerable if lk.source == source]
        return len(of), sum(bool(lk.correct.any()) for lk in of)

    def total(source: str, k: int | None = None) -> tuple[int, int]:
        cells = [(b, a) for f, s, b, a in folds if s == source and k in (None, f)]
        return sum(b for b, _ in cells), sum(a for _, a in cells)

    lines = [
        SECTION, "",
        f"`python -m eval.train_rerank` ({seconds / 60:.0f} min): {len(answerable)} answerable questions "
        f"({', '.join(f'{count(s)[0]} {SOURCE_NAMES.get(s, s)}' for s in sources)}), {meta['rows']} "
        "(question, anchor) rows; the engine's answer quoting one of the anchors looked at is right for "
        + ", ".join(f"{count(s)[1]} ({count(s)[1] / max(count(s)[0], 1):.3f})" for s in sources) + " of them.",
        "Answers right, out of fold (folds of own sets; UIT by the selector's folds of contexts), with the "
        "engine's choice before the reranker and with it:", "",
        "| fold | " + " | ".join(SOURCE_NAMES.get(s, s) for s in sources) + " |", "|---|" + "---|" * len(sources),
    ]
    for k in (*range(OWN_FOLDS), None):
        cells = [total(s, k) for s in sources]
        lines.append(f"| {'all' if k is None else k} | " + " | ".join(f"{b} → {a} ({a - b:+d})" for b, a in cells) + " |")
    lines += [
        "", f"Settings tried (gain out of fold, all sources; kept: learning rate {meta['learning_rate']}, "
        f"{meta['rounds']} rounds, the first of the best among those that lose on no source):", "",
        "| learning rate | rounds | gain | " + " | ".join(SOURCE_NAMES.get(s, s) for s in sources) + " |",
        "|---|---|---|" + "---|" * len(sources),
        *(f"| {s['learning_rate']} | {s['max_iter']} | {g:+d} | "
          + " | ".join(f"{by_source(r).get(source, 0):+d}" for source in sources) + " |"
          for g, s, r, _ in tried), "",
        f"The committed model averages {meta['members']} members: the model on all rows and the kept setting's "
        "fold models (the fold figures above are single members').", "",
    ]
    replace_section(path, SECTION, lines)


def replace_section(path: Path, heading: str, lines: list[str]) -> None:
    """Write ``lines`` (starting with ``heading``) as the last section of the report at ``path``,
    in place of that section and anything after it."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if heading in text:
        text = text[: text.index(heading)]
    path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
