"""The reranker: which anchors it looks at, the rows it reads, and that it quotes the one it rates best."""

from __future__ import annotations

import json

import numpy as np

from answer import rerank
from answer.features import NAMES
from answer.selector import Trees
from eval import train, train_rerank


def _anchors(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, len(NAMES))), rng.normal(size=n)


def _shown(anchors) -> np.ndarray:
    """Unit rows of nothing (what the anchors expand to plays no part in these tests)."""
    return np.zeros((anchors if isinstance(anchors, int) else len(anchors), len(rerank.UNIT)))


def test_it_looks_at_the_best_anchors_and_at_both_choices_before_it():
    x, scores = _anchors(30)
    order = np.argsort(-scores).tolist()
    worst = order[-1]
    looked = rerank.looked_at(scores, order[0], worst)
    assert looked[: rerank.TOP] == order[: rerank.TOP]
    assert looked[-1] == worst and len(looked) == rerank.TOP + 1
    assert rerank.looked_at(scores[:3], 0, 1) == np.argsort(-scores[:3]).tolist()  # fewer than TOP: all, once


def test_a_row_holds_the_anchors_standing_among_the_others_and_its_features():
    x, scores = _anchors(5)
    best = int(np.argmax(scores))
    rows = rerank.rows(x, scores, [best, 3], best, 3, _shown(2))
    assert rows.shape == (2, len(rerank.FEATURES))
    named = dict(zip(rerank.FEATURES, rows[1]))
    assert named["rank"] == int(np.flatnonzero(np.argsort(-scores) == 3)[0])
    assert named["behind"] == scores[best] - scores[3] and named["listed"] == 1.0
    assert dict(zip(rerank.FEATURES, rows[0]))["chosen"] == 1.0 and rows[0][2] == 0.0
    assert np.allclose(rows[1][len(rerank.QUESTION):len(rerank.QUESTION) + len(NAMES)], x[3])
    assert np.isclose(sum(dict(zip(rerank.FEATURES, rerank.rows(x, scores, [i], 0, 0, _shown(1))[0]))["share"]
                          for i in range(5)), 1.0)


def test_it_quotes_the_anchor_its_trees_rate_best():
    # trees learned from labels that favour a feature the selector's score ignores
    rng = np.random.default_rng(1)
    rows, labels = [], []
    column = len(rerank.QUESTION) + NAMES.index("leadin")
    for _ in range(400):
        x, scores = _anchors(12, int(rng.integers(1 << 30)))
        looked = rerank.looked_at(scores, int(np.argmax(scores)), int(np.argmax(scores)))
        r = rerank.rows(x, scores, looked, looked[0], looked[0], _shown(looked))
        rows.append(r)
        labels.append((r[:, column] == r[:, column].max()).astype(float))
    model = train.fit_trees(np.concatenate(rows), np.concatenate(labels))
    for seed in range(50):  # a question whose selector alone would quote another anchor
        x, scores = _anchors(12, seed)
        best = int(np.argmax(scores))
        wanted = max(rerank.looked_at(scores, best, best), key=lambda i: x[i, NAMES.index("leadin")])
        if wanted != best and scores[best] - scores[wanted] <= rerank.REACH:
            break
    assert rerank.pick(model, x, scores, best, best, _shown) == wanted
    again = Trees.from_json(json.loads(json.dumps(rerank.to_json(model, {}))))
    assert rerank.pick(again, x, scores, best, best, _shown) == wanted


def test_the_committed_reranker_reads_the_features_it_was_trained_on():
    model = rerank.load()
    assert model.trees
    x, scores = _anchors(20)
    assert rerank.pick(model, x, scores, 0, 1, _shown) in rerank.looked_at(scores, 0, 1)


def test_an_anchor_far_behind_the_selectors_best_is_never_quoted():
    x, scores = _anchors(12, 3)
    best = int(np.argmax(scores))
    far = int(np.argmin(scores))
    scores[far] = scores[best] - rerank.REACH - 1.0
    x[:, NAMES.index("leadin")] = 0.0
    x[far, NAMES.index("leadin")] = 5.0  # what the trees below favour
    rows = rerank.rows(x, scores, list(range(12)), best, best, _shown(12))
    labels = (rows[:, len(rerank.QUESTION) + NAMES.index("leadin")] > 1.0).astype(float)
    model = train.fit_trees(np.tile(rows, (20, 1)), np.tile(labels, 20))
    assert model.logit(rows).argmax() == far
    assert rerank.pick(model, x, scores, best, best, _shown) != far
    assert rerank.pick(model, x, scores, best, far, _shown) == far  # the list rule's choice is always looked at


def test_training_counts_the_anchor_the_engine_would_quote_not_one_out_of_reach():
    x, scores = _anchors(8, 3)
    best, far = int(np.argmax(scores)), int(np.argmin(scores))
    scores[far] = scores[best] - rerank.REACH - 1.0
    x[:, NAMES.index("leadin")] = 0.0
    x[far, NAMES.index("leadin")] = 5.0
    anchors = rerank.looked_at(scores, best, best)
    rows = rerank.rows(x, scores, anchors, best, best, _shown(anchors))
    labels = (rows[:, len(rerank.QUESTION) + NAMES.index("leadin")] > 1.0).astype(float)
    model = train.fit_trees(np.tile(rows, (20, 1)), np.tile(labels, 20))
    correct = np.array([i == far for i in anchors])

    def looked(listed: int) -> train_rerank.Looked:
        return train_rerank.Looked("set", "question", True, (), np.zeros(len(anchors)), x, anchors, best, listed,
                                   correct, _shown(anchors))

    owner, which = np.zeros(len(anchors), dtype=int), np.ones(len(anchors), dtype=bool)
    assert train_rerank.gained([looked(best)], model, rows, owner, which) == {"own": (0, 0)}  # far is never quoted
    listed = rerank.rows(x, scores, anchors, best, far, _shown(anchors))
    assert train_rerank.gained([looked(far)], model, listed, owner, which) == {"own": (1, 1)}


def test_the_reranker_settings_tried_are_the_trees_fitted():
    rng = np.random.default_rng(4)
    rows, labels = rng.normal(size=(300, 5)), (rng.random(300) > 0.5).astype(float)
    for settings in train_rerank.SETTINGS:
        assert len(train.fit_trees(rows, labels, settings).trees) == settings["max_iter"]
    assert len(train.fit_trees(rows, labels).trees) == train.CONFIDENCE_TREES["max_iter"]


def test_uit_questions_are_held_out_with_their_context_and_counted_apart():
    x, scores = _anchors(8, 5)
    best = int(np.argmax(scores))
    anchors = rerank.looked_at(scores, best, best)
    rows = rerank.rows(x, scores, anchors, best, best, _shown(anchors))
    model = train.fit_trees(np.tile(rows, (20, 1)), np.tile(np.arange(len(rows)) == 0, 20).astype(float))
    right = np.array([i == best for i in anchors])
    own = train_rerank.Looked("blind9", "q", True, (), np.zeros(0), x, anchors, best, best, right, _shown(anchors))
    uit = train_rerank.Looked("uit-reg", "q", True, (), np.zeros(0), x, anchors, best, best, ~right, _shown(anchors), "uit-reg", "Quy chế A")
    folds = train.FoldModels({"uit-reg:Quy chế A": 3, "uit-reg:Quy chế B": 1}, [])
    assert train_rerank.fold_of(own, {"blind9": 2}, folds) == 2
    assert train_rerank.fold_of(uit, {"blind9": 2}, folds) == 3
    owner = np.repeat([0, 1], len(anchors))
    got = train_rerank.gained([own, uit], model, np.vstack([rows, rows]), owner, np.ones(len(owner), dtype=bool))
    assert set(got) == {"own", "uit-reg"}
    assert got["own"][0] == 1 and got["uit-reg"][0] == 0  # the engine's choice is right for one, wrong for the other


def test_the_setting_kept_is_the_best_that_loses_on_no_source():
    def tried(gain_own: int, gain_uit: int, rate: float) -> tuple[int, dict, list, list]:
        report = [(0, "own", 100, 100 + gain_own), (0, "uit-reg", 50, 50 + gain_uit)]
        return gain_own + gain_uit, {"learning_rate": rate}, report, []

    assert train_rerank.by_source(tried(30, -5, 0.4)[2]) == {"own": 30, "uit-reg": -5}
    assert train_rerank.kept_setting([tried(10, 2, 0.1), tried(30, -5, 0.4), tried(20, 0, 0.2)])[1]["learning_rate"] == 0.2
    assert train_rerank.kept_setting([tried(10, -2, 0.1), tried(30, -5, 0.4)])[1]["learning_rate"] == 0.4


def test_averaged_trees_read_as_the_mean_of_their_members():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    settings = {"max_iter": 30, "learning_rate": 0.1, "max_leaf_nodes": 7, "early_stopping": False, "random_state": 0}
    members = [train.fit_trees(x[part], y[part], settings) for part in (slice(0, 200), slice(200, 400), slice(None))]
    mean = Trees.averaged(members)
    assert len(mean.trees) == sum(len(m.trees) for m in members)
    assert np.allclose(mean.logit(x), np.mean([m.logit(x) for m in members], axis=0))
    assert not np.allclose(mean.logit(x), members[0].logit(x))  # the members differ, so the mean is new
    again = Trees.from_json(json.loads(json.dumps(mean.to_json())))
    assert np.allclose(again.logit(x), mean.logit(x))


def test_the_committed_reranker_averages_the_model_on_all_rows_with_its_fold_models():
    data = json.loads(rerank.MODEL_PATH.read_text(encoding="utf-8"))
    assert data["meta"]["members"] == 1 + train.OWN_FOLDS
    assert len(data["trees"]) == data["meta"]["members"] * data["meta"]["rounds"]


def _walked(model: Trees, row: np.ndarray) -> float:
    """The logit of one row, each tree walked node by node from its root (a missing value goes
    where the tree learned it should)."""
    total = model.baseline
    for tree in model.trees:
        node = 0
        while not tree["leaf"][node]:
            v = row[tree["feature"][node]]
            left = tree["missing_left"][node] if np.isnan(v) else v <= tree["threshold"][node]
            node = tree["left"][node] if left else tree["right"][node]
        total += tree["value"][node]
    return total


def test_the_committed_reranker_reads_each_row_as_its_trees_walked_one_by_one():
    model = rerank.load()
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(5, len(rerank.FEATURES))) * 2
    rows[1, ::3] = np.nan  # missing values too
    rows[2] = 0.0
    got = model.logit(rows)
    assert np.allclose(got, [_walked(model, r) for r in rows])
    assert len(set(np.round(got, 6))) == len(rows)  # rows that differ are told apart
    assert np.allclose(model.logit(rows[3]), got[3]) and model.logit(rows[:0]).shape == (0,)
