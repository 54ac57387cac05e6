"""``make train``: learn the answer selector and its abstention threshold from labelled data.

Data: the project's development questions over ``corpus/`` (``eval/questions.jsonl``), UIT
regulation and Wikipedia QA (``train_reg.json``, ``train_wiki.json``: spans give the positive
unit) and ALQAC essay and multiple-choice questions (the answer text inside the gold article).
Every answerable question is also asked once more with its answering document withheld: an
unanswerable near miss for the abstention model.

Settings (regularisation, how much shorter answers are preferred) are chosen by 5-fold
cross-validation grouped by document. The confidence model that decides abstention is learned
from the question sets others wrote over ``corpus/`` (:data:`OWN_SETS`, never trained on by the
selector): whether the chosen unit answers an answerable question, against the unanswerable near
misses. Their ``assoc`` column comes from a word-association table learned without their fold of
sets. The threshold keeps wrongly refused answerable questions at or under 5 % on every source:
out of fold on the own sets, and on dev and UIT (out-of-fold selector scores). Writes
``answer/selector.json``, ``answer/associations.json`` and ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from answer import associations
from answer.features import INDEX, NAMES
from answer.selector import (
    CONFIDENCE_FEATURES,
    MODEL_PATH,
    NODE_FIELDS,
    Linear,
    Selector,
    Trees,
    choose,
    confidence_row,
)
from eval import datasets, examples
from eval.bench import configure_logging
from eval.examples import Example
from index.retriever import Retriever
from index.store import store_dir

log = logging.getLogger("eval.train")

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "docs" / "training.md"
FOLDS = 5
L2_GRID = (0.3, 1.0, 3.0, 10.0)
SHORTER_GRID = (1.0, 0.8, 0.6, 0.4)
MAX_REFUSED = 0.05  # answerable questions refused, out of fold, on every source
# Question sets written by others over corpus/ (never trained on by the selector): their answered
# questions teach the word associations (answer/associations.py), and with their unanswerable near
# misses they teach the confidence model. Each is answered with a table learned without its fold.
OWN_SETS = ("blind2", "blind3", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10", "blind11",
            "blind12", "blind13", "blind14", "blind15", "blind16", "blind18", "blind19", "blind20", "blind21",
            "blind22", "blind23", "blind26", "train31", "train32")
OWN_FOLDS = 5  # the own sets are dealt round into this many folds, in order
# the confidence model's trees (fixed settings; early stopping off, so the fit is deterministic)
CONFIDENCE_TREES = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 40,
                    "early_stopping": False, "random_state": 0}
ASSOC = INDEX["assoc"]
# Signs the selector's weights must have: what a kind of question asks for only helps.
SIGNS: dict[str, tuple[float | None, float | None]] = {
    **{name: (0.0, None) for name in NAMES if ":" in name},
    "other_year": (None, 0.0),
    "other_level": (None, 0.0),
}


def fit_conditional_logit(groups: list[tuple[np.ndarray, np.ndarray]], l2: float) -> Linear:
    """Maximise the log share of each question's positive units (softmax over its candidates).

    Flags (0/1 features) are not rescaled, so a rare flag cannot buy a large effect cheaply;
    holding what the question's kind asks for may only raise a score, and speaking of another
    year or level of government may only lower it (:data:`SIGNS`).
    """
    x = np.vstack([g[0] for g in groups])
    mean, scale = x.mean(0), x.std(0) + 1e-6
    flags = np.all((x == 0) | (x == 1), axis=0)
    mean, scale = np.where(flags, 0.0, mean), np.where(flags, 1.0, scale)
    z = (x - mean) / scale
    sizes = np.array([len(g[1]) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    y = np.concatenate([g[1] for g in groups]).astype(bool)
    gid = np.repeat(np.arange(len(groups)), sizes)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[gid])
        total = np.add.reduceat(e, starts)
        pos = np.add.reduceat(e * y, starts)
        value = -(np.log(pos + 1e-300) - np.log(total)).sum() + l2 * w @ w
        grad = z.T @ (e / total[gid] - np.where(y, e / (pos[gid] + 1e-300), 0.0)) + 2 * l2 * w
        return float(value), grad

    bounds = [SIGNS.get(name, (None, None)) for name in NAMES]
    result = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 1000})
    return Linear(mean, scale, result.x, 0.0)


def _train_groups(exs: list[Example]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(e.features.astype(np.float64), e.labels) for e in exs if e.answerable and e.labels.any()]


@dataclass
class OutOfFold:
    """Scores each example got from a model that never saw its document, and those models."""

    scores: list[np.ndarray]
    fold: np.ndarray  # the fold each example was held out in
    models: list[Linear]


def _groups(exs: list[Example]) -> np.ndarray:
    return np.array([f"{e.source}:{e.group}" for e in exs])


def out_of_fold(exs: list[Example], l2: float) -> OutOfFold:
    scores: list[np.ndarray | None] = [None] * len(exs)
    fold = np.zeros(len(exs), dtype=int)
    models = []
    for k, (train, test) in enumerate(GroupKFold(FOLDS).split(np.zeros(len(exs)), groups=_groups(exs))):
        model = fit_conditional_logit(_train_groups([exs[i] for i in train]), l2)
        models.append(model)
        for i in test:
            scores[i] = model.logit(exs[i].features.astype(np.float64))
            fold[i] = k
    return OutOfFold([s for s in scores if s is not None], fold, models)


def selection_accuracy(exs: list[Example], oof: OutOfFold, prefer_shorter: float) -> dict[str, float]:
    """Per source: the chosen unit shows the answer (answerable questions, not withheld)."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for e, s in zip(exs, oof.scores):
        if _selectable(e):
            hits[e.source].append(bool(e.holds[choose(s, e.lengths, prefer_shorter)]))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def _selectable(e: Example) -> bool:
    """Whether selection accuracy is measured on ``e``: answerable, with labelled candidates."""
    return e.answerable and e.holds is not None


def answered_per_source(exs: list[Example]) -> dict[str, int]:
    """How many questions each source's selection accuracy is measured on."""
    counts: dict[str, int] = defaultdict(int)
    for e in exs:
        if _selectable(e):
            counts[e.source] += 1
    return counts


def standard_error(accuracy: dict[str, float], counts: dict[str, int]) -> float:
    """Standard error of the mean of per-source accuracies (each a binomial proportion)."""
    if not accuracy:
        return 0.0
    variance = sum(p * (1 - p) / max(counts[s], 1) for s, p in accuracy.items())
    return float(np.sqrt(variance) / len(accuracy))


def first_within(means: Sequence[float], margin: float) -> int:
    """The one-standard-error rule: the first setting in grid order (no length preference first)
    whose mean is within ``margin`` of the best, so that no setting is chosen for a difference the
    folds cannot tell from noise."""
    best = max(means)
    return next(i for i, m in enumerate(means) if m >= best - margin)


def confidence_data(exs: list[Example], oof: OutOfFold, prefer_shorter: float) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for e, s in zip(exs, oof.scores):
        best = choose(s, e.lengths, prefer_shorter)
        rows.append(confidence_row(e.features, s, best))
        labels.append(float(e.answerable and e.holds is not None and bool(e.holds[best])))
    return np.array(rows), np.array(labels)


def fit_confidence(rows: np.ndarray, labels: np.ndarray, answerable: np.ndarray) -> Trees:
    """Questions answered right against unanswerable ones. An answerable question whose chosen unit
    misses the answer says nothing about when to abstain: refusing it and answering it are both wrong."""
    keep = (labels > 0) | ~answerable
    return fit_trees(rows[keep], labels[keep])


def fit_trees(x: np.ndarray, y: np.ndarray, settings: dict | None = None) -> Trees:
    """Gradient-boosted trees (scikit-learn's histogram boosting, the confidence model's settings
    unless given), read out into :class:`Trees`."""
    model = HistGradientBoostingClassifier(**(settings or CONFIDENCE_TREES)).fit(x, y.astype(int))
    sklearn_names = {"feature": "feature_idx", "threshold": "num_threshold", "left": "left", "right": "right",
                     "value": "value", "leaf": "is_leaf", "missing_left": "missing_go_to_left"}
    trees = [{k: predictor.nodes[sklearn_names[k]].astype(d) for k, d in NODE_FIELDS.items()}
             for (predictor,) in model._predictors]  # one tree per iteration for two classes
    return Trees(float(np.ravel(model._baseline_prediction)[0]), tuple(trees))


def confidence_out_of_fold(rows: np.ndarray, labels: np.ndarray, answerable: np.ndarray, fold: np.ndarray
                           ) -> np.ndarray:
    """Each row's confidence from a model fitted without its fold."""
    out = np.zeros(len(rows))
    for k in np.unique(fold):
        train, test = fold != k, fold == k
        out[test] = fit_confidence(rows[train], labels[train], answerable[train]).probability(rows[test])
    return out


def choose_threshold(exs: list[Example], confidence: np.ndarray) -> float:
    """The highest threshold that refuses at most MAX_REFUSED of the answerable questions of
    every source (the project's own questions as well as UIT's): the strictest source decides."""
    by_source: dict[str, list[float]] = defaultdict(list)
    for e, c in zip(exs, confidence):
        if e.answerable:
            by_source[e.source].append(float(c))
    if not by_source:
        return 0.0
    return float(min(_source_threshold(sorted(cs)) for cs in by_source.values()))


def _source_threshold(confidence: list[float]) -> float:
    """The highest threshold refusing at most MAX_REFUSED of these (sorted) answerable confidences."""
    allowed = int(np.floor(MAX_REFUSED * len(confidence) + 1e-9))  # questions that may be refused
    return confidence[allowed] if allowed < len(confidence) else confidence[-1]


def gather_examples(corpus: Retriever, cache: Path, with_alqac: bool) -> list[Example]:
    """Every labelled source, through the same stages as ``Engine.ask``."""
    out: list[Example] = []
    out += examples.question_set(corpus, REPO / "eval" / "questions.jsonl", "dev", withhold=True)
    log.info("dev: %d examples", len(out))
    if datasets.uit_available():
        out += examples.uit(cache, datasets.UIT_TRAIN, "uit-reg")
        out += examples.uit(cache, datasets.UIT_WIKI, "uit-wiki")
    if with_alqac and datasets.alqac_available():
        out += examples.alqac(cache)
    return out


@dataclass
class OwnSets:
    """The own question sets' examples, answered with word associations learned without their fold."""

    examples: list[Example]
    fold: np.ndarray  # the fold of sets each example's set is in


def learn_associations(corpus: Retriever) -> tuple[associations.Associations, OwnSets]:
    """The association table from every set of :data:`OWN_SETS`, and every set's examples (source
    ``own``) with the ``assoc`` column from a table learned without that set's fold of sets. Counts
    add up, so each fold's table is the full counts less the fold's own."""
    sets: dict[str, list[Example]] = {}
    for name in OWN_SETS:
        path = REPO / "eval" / f"{name}.jsonl"
        if path.is_file():
            sets[name] = examples.question_set(corpus, path, "own")
    fold = {name: i % OWN_FOLDS for i, name in enumerate(sets)}
    labelled = {name: [(e.question, e.texts, e.labels) for e in exs if e.answerable] for name, exs in sets.items()}
    log.info("associations: %d answered questions", sum(map(len, labelled.values())))
    counts = [associations.count(q for name, rows in labelled.items() if fold[name] == k for q in rows)
              for k in range(OWN_FOLDS)]
    every = associations.total(counts)
    full = associations.from_counts(every)
    own: list[Example] = []
    folds: list[int] = []
    for k, less in enumerate(counts):
        table = associations.from_counts(every, less=less)
        for name, exs in sets.items():
            if fold[name] == k:
                own += [with_associations(e, table) for e in exs]
                folds += [k] * len(exs)
    log.info("own sets: %d questions", len(own))
    return full, OwnSets(own, np.array(folds, dtype=int))


def with_associations(ex: Example, table: associations.Associations) -> Example:
    """``ex`` with its ``assoc`` feature computed from ``table``."""
    features = ex.features.copy()
    features[:, ASSOC] = table.scores(ex.question, ex.texts)
    return replace(ex, features=features)


def train(exs: list[Example], own: OwnSets) -> tuple[Selector, dict, FoldModels]:
    """The selector from ``exs`` (dev and UIT), its settings by grouped cross-validation; the
    confidence model and threshold from ``own`` (see the module docstring)."""
    report: dict = {"sources": {}, "grid": []}
    every = [*exs, *own.examples]
    for source in sorted({e.source for e in every}):
        sub = [e for e in every if e.source == source]
        answerable = [e for e in sub if e.answerable and not e.withheld]
        report["sources"][source] = {
            "questions": len(answerable),
            "unanswerable": sum(not e.answerable and not e.withheld for e in sub),
            "withheld": sum(e.withheld for e in sub),
            "candidate_recall": float(np.mean([e.holds.any() for e in answerable])) if answerable else None,
            "groups": len({e.group for e in sub}),
        }
    tried = []
    for l2 in L2_GRID:
        oof = out_of_fold(exs, l2)
        for shorter in SHORTER_GRID:
            acc = selection_accuracy(exs, oof, shorter)
            mean = float(np.mean(list(acc.values())))
            report["grid"].append({"l2": l2, "prefer_shorter": shorter, "accuracy": acc, "mean": mean})
            log.info("l2=%s prefer_shorter=%s: %s", l2, shorter, {k: round(v, 3) for k, v in acc.items()})
            tried.append((mean, l2, shorter, oof))
    means = [m for m, *_ in tried]
    best = max(means)
    margin = standard_error(report["grid"][means.index(best)]["accuracy"], answered_per_source(exs))
    _, l2, shorter, oof = tried[first_within(means, margin)]
    report["one_se"] = {"best": best, "standard_error": margin}
    model = fit_conditional_logit(_train_groups(exs), l2)
    # the own sets are answered by the final selector (it never saw them); dev and UIT out of fold
    own_scores = OutOfFold([model.logit(e.features.astype(np.float64)) for e in own.examples], own.fold, [model])
    own_rows, own_labels = confidence_data(own.examples, own_scores, shorter)
    own_answerable = np.array([e.answerable for e in own.examples], dtype=bool)
    confidence = fit_confidence(own_rows, own_labels, own_answerable)
    own_conf = confidence_out_of_fold(own_rows, own_labels, own_answerable, own.fold)
    rows, labels = confidence_data(exs, oof, shorter)
    conf = confidence.probability(rows)
    threshold = choose_threshold([*exs, *own.examples], np.concatenate([conf, own_conf]))
    report["chosen"] = {"l2": l2, "prefer_shorter": shorter, "threshold": threshold}
    report["out_of_fold"] = _oof_report(exs, oof, shorter, conf, labels, threshold)
    report["out_of_fold"].update({f"{source} (folds of sets)": row for source, row in
                                  _oof_report(own.examples, own_scores, shorter, own_conf, own_labels,
                                              threshold).items()})
    meta = {"examples": len(exs), "l2": l2, "sources": sorted(report["sources"])}
    selector = Selector(model, confidence, threshold, shorter, meta)
    report["weights"] = _top_weights(model)
    report["confidence"] = {"trees": len(confidence.trees), "features": len(CONFIDENCE_FEATURES),
                            "rows": int(((own_labels > 0) | ~own_answerable).sum()), **CONFIDENCE_TREES}
    # dev and UIT are never in the confidence model's data, so every fold keeps the final one
    folds = FoldModels(
        {g: int(k) for g, k in zip(_groups(exs), oof.fold)},
        [Selector(m, confidence, threshold, shorter, {**meta, "fold": k}) for k, m in enumerate(oof.models)],
    )
    return selector, report, folds


@dataclass
class FoldModels:
    """The cross-validation models, so benchmarks answer each question with a model that never saw its
    document (``bench-qa`` reads them from the bench cache)."""

    fold: dict[str, int]  # "source:group" -> fold
    selectors: list[Selector]

    def to_json(self) -> dict:
        return {"fold": self.fold, "selectors": [s.to_json() for s in self.selectors]}

    @classmethod
    def from_json(cls, data: dict) -> FoldModels:
        return cls(dict(data["fold"]), [Selector.from_json(s) for s in data["selectors"]])

    def fold_of(self, source: str, group: str) -> int | None:
        """The fold that held out ``group`` (a document) of ``source``, if any."""
        return self.fold.get(f"{source}:{group}")

    def for_group(self, source: str, group: str) -> Selector | None:
        k = self.fold_of(source, group)
        return None if k is None else self.selectors[k]


FOLDS_FILE = "selector-folds.json"


def load_folds(cache: Path) -> FoldModels | None:
    """The fold models ``make train`` left in ``cache``, if any."""
    path = cache / FOLDS_FILE
    return FoldModels.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


RERANK_FOLDS_FILE = "rerank-folds.json"  # the reranker's, by the selector's folds (``eval.train_rerank``)


def load_rerank_folds(cache: Path) -> list[Trees] | None:
    """The reranker's fold models ``make train`` left in ``cache``, if any."""
    path = cache / RERANK_FOLDS_FILE
    return [Trees.from_json(m) for m in json.loads(path.read_text(encoding="utf-8"))] if path.is_file() else None


def _oof_report(exs: list[Example], oof: OutOfFold, shorter: float, conf: np.ndarray, labels: np.ndarray,
                threshold: float) -> dict:
    out = {}
    for source in sorted({e.source for e in exs}):
        idx = [i for i, e in enumerate(exs) if e.source == source]
        answerable = [i for i in idx if exs[i].answerable and not exs[i].withheld]
        negative = [i for i in idx if not exs[i].answerable]
        chosen = {i: choose(oof.scores[i], exs[i].lengths, shorter) for i in answerable}
        right = [bool(exs[i].holds[chosen[i]]) for i in answerable]
        kept = [conf[i] >= threshold for i in answerable]
        y = labels[idx]
        out[source] = {
            "selection": float(np.mean(right)) if right else None,
            "answered_right": float(np.mean([r and k for r, k in zip(right, kept)])) if right else None,
            "refused_answerable": float(1 - np.mean(kept)) if kept else None,
            "abstained_negative": float(np.mean([conf[i] < threshold for i in negative])) if negative else None,
            "auc": float(roc_auc_score(y, conf[idx])) if 0 < y.sum() < len(y) else None,
            "median_chars": int(np.median([exs[i].lengths[chosen[i]] for i in answerable])) if answerable else None,
        }
    return out


def _top_weights(model: Linear, n: int = 20) -> list[tuple[str, float]]:
    names = list(NAMES)
    weights = model.coef  # on standardised features, comparable
    order = np.argsort(-np.abs(weights))[:n]
    return [(names[i], round(float(weights[i]), 3)) for i in order]


def write_report(report: dict, path: Path, seconds: float) -> None:
    lines = ["# Training the answer selector (`make train`)", "",
             f"Written by `eval/train.py` in {seconds:.0f} s. Cross-validation: {FOLDS} folds grouped by "
             "document (a question never shares a fold's training data with another question on its "
             "document). Scores are out of fold.", "",
             "## Data", "", "| source | answerable | unanswerable | withheld (near misses) | documents | "
             "candidate recall |", "|---|---|---|---|---|---|"]
    for name, s in report["sources"].items():
        recall = "–" if s["candidate_recall"] is None else f"{s['candidate_recall']:.3f}"
        lines.append(f"| {name} | {s['questions']} | {s['unanswerable']} | {s['withheld']} | {s['groups']} | {recall} |")
    if "associations" in report:
        a = report["associations"]
        lines += ["", f"Word associations (`answer/associations.json`): learned from the answered questions of "
                  f"{', '.join(a['sets'])}; {a['pairs']:,} pairs for {a['question_words']:,} question words, each seen "
                  f"with at least {a['min_count']} answering candidates. Each own set is answered with a table learned "
                  f"without its fold of sets ({OWN_FOLDS} folds); dev and UIT are in no table."]
    trained = list(report["grid"][0]["accuracy"]) if report["grid"] else []
    lines += ["", "## Settings tried (selection accuracy out of fold: the chosen unit shows the answer)", "",
              "| l2 | prefer shorter | " + " | ".join(trained) + " | mean |",
              "|---|---|" + "---|" * (len(trained) + 1)]
    for g in report["grid"]:
        cells = " | ".join(f"{g['accuracy'].get(s, float('nan')):.3f}" for s in trained)
        lines.append(f"| {g['l2']} | {g['prefer_shorter']} | {cells} | {g['mean']:.3f} |")
    c = report["chosen"]
    lines += ["", f"Chosen: l2 = {c['l2']}, prefer shorter = {c['prefer_shorter']}, abstention threshold = "
              f"{c['threshold']:.3f} (calibrated probability): the first setting in the table's order whose mean is "
              f"within one standard error ({report['one_se']['standard_error']:.3f}) of the best "
              f"({report['one_se']['best']:.3f}).", "",
              "## Out of fold, with the chosen settings", "",
              "| source | selection | answered right | answerable refused | negatives abstained | ROC AUC | median chars |",
              "|---|---|---|---|---|---|---|"]

    def fmt(v: float | int | None) -> str:
        return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    for name, s in report["out_of_fold"].items():
        lines.append(f"| {name} | {fmt(s['selection'])} | {fmt(s['answered_right'])} | {fmt(s['refused_answerable'])} | "
                     f"{fmt(s['abstained_negative'])} | {fmt(s['auc'])} | {fmt(s['median_chars'])} |")
    lines += ["", "Negatives are the unanswerable questions and the withheld near misses; ROC AUC separates "
              "questions answered right from the rest by the calibrated confidence.", "",
              "## Largest selector weights (standardised features)", "",
              ", ".join(f"`{n}` {w:+.2f}" for n, w in report["weights"]), "",
              "## Confidence model", "",
              f"{report['confidence']['trees']} gradient-boosted trees (learning rate "
              f"{report['confidence']['learning_rate']}, at most {report['confidence']['max_leaf_nodes']} leaves of at "
              f"least {report['confidence']['min_samples_leaf']} questions) over {report['confidence']['features']} "
              "features (the question-level evidence and every feature of the chosen unit), fitted on "
              f"{report['confidence']['rows']:,} questions of the own sets: those whose chosen unit shows the answer "
              "against the unanswerable ones.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.train", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--out", type=Path, default=MODEL_PATH, help=f"model file (default {MODEL_PATH})")
    p.add_argument("--associations", type=Path, default=associations.TABLE_PATH,
                   help=f"word association table (default {associations.TABLE_PATH})")
    p.add_argument("--report", type=Path, default=REPORT, help=f"training report (default {REPORT})")
    p.add_argument("--alqac", action="store_true",
                   help="add ALQAC's essay and multiple-choice questions (embeds its 2,131 articles and 13,591 "
                        "sentences once: over half an hour on two cores)")
    args = p.parse_args(argv)
    configure_logging()
    t0 = time.perf_counter()
    store = store_dir(args.store)
    corpus = Retriever.load(store)
    full, own = learn_associations(corpus)
    associations.use(full)
    exs = gather_examples(corpus, datasets.cache_dir(store), args.alqac)
    selector, report, folds = train(exs, own)
    associations.save(full, args.associations)
    report["associations"] = {"sets": list(OWN_SETS), "question_words": len(full.table),
                              "pairs": sum(map(len, full.table.values())), "min_count": associations.MIN_COUNT}
    cache = datasets.cache_dir(store)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / FOLDS_FILE).write_text(json.dumps(folds.to_json()), encoding="utf-8")
    args.out.write_text(json.dumps(selector.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    write_report(report, args.report, time.perf_counter() - t0)
    log.info("wrote %s, %s and %s", args.out, args.associations, args.report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
