"""Training the selector: labels from real questions on the real corpus, a deterministic fit, and a
threshold that keeps refused answerable questions at or under 5 %."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval import train
from eval.examples import Example, question_set

EVAL = Path(__file__).resolve().parents[1] / "eval"


@pytest.fixture(scope="module")
def examples(corpus_store) -> list[Example]:
    from index.retriever import Retriever

    return question_set(Retriever.load(corpus_store), EVAL / "questions.jsonl", "dev", withhold=True)


def test_labels_come_from_the_facts_and_withheld_questions_are_negatives(examples):
    answerable = [e for e in examples if e.answerable and not e.withheld]
    assert len(answerable) >= 100
    assert np.mean([e.holds.any() for e in answerable]) >= 0.9  # candidate recall of single sentences
    assert all(e.labels.sum() >= 1 for e in answerable if e.holds.any())
    withheld = [e for e in examples if e.withheld]
    assert withheld and not any(e.answerable or e.labels.any() for e in withheld)
    assert {e.group for e in examples} >= {"bac-giang-bao-cao-cchc-6-thang-dau-2020.txt"}


def test_the_fit_is_deterministic_and_learns_to_rank(examples):
    groups = train._train_groups(examples)
    first = train.fit_conditional_logit(groups, 1.0)
    second = train.fit_conditional_logit(groups, 1.0)
    assert np.array_equal(first.coef, second.coef)
    top = [bool(y[int(np.argmax(first.logit(x)))]) for x, y in groups]
    assert np.mean(top) > 0.7  # on its own training questions
    names = list(train.NAMES)
    for name in names:  # what a question's kind asks for never lowers a score
        if ":" in name:
            assert first.coef[names.index(name)] >= 0.0


def test_the_threshold_refuses_at_most_five_percent_of_answerable_questions_of_every_source(examples):
    oof = train.out_of_fold(examples, 1.0)
    rows, labels = train.confidence_data(examples, oof, 1.0)
    answerable = np.array([e.answerable for e in examples], dtype=bool)
    confidence = train.confidence_out_of_fold(rows, labels, answerable, oof.fold)
    threshold = train.choose_threshold(examples, confidence)
    for source in {e.source for e in examples}:  # on every source, not only on average
        mine = np.array([e.answerable and e.source == source for e in examples])
        assert np.mean(confidence[mine] < threshold) <= train.MAX_REFUSED
    # the confidence tells right answers from unanswerable questions better than chance, out of fold
    right, negative = confidence[labels > 0], confidence[~answerable]
    assert np.mean(right[:, None] > negative[None, :]) > 0.6


def test_answerable_questions_answered_wrong_do_not_teach_the_confidence(examples):
    oof = train.out_of_fold(examples, 1.0)
    rows, labels = train.confidence_data(examples, oof, 1.0)
    answerable = np.array([e.answerable for e in examples], dtype=bool)
    wrong = answerable & (labels == 0)
    assert wrong.any() and (labels > 0).any() and (~answerable).any()
    fitted = train.fit_confidence(rows, labels, answerable)
    shifted = rows.copy()
    shifted[wrong] += 5.0  # whatever those rows hold
    assert np.array_equal(train.fit_confidence(shifted, labels, answerable).logit(rows), fitted.logit(rows))
    plain = train.fit_trees(rows, labels)  # with them, the model is another
    assert not np.allclose(plain.logit(rows), fitted.logit(rows))


def test_the_confidence_trees_answer_as_scikit_learn_does_and_survive_json(examples):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from answer.selector import Trees

    oof = train.out_of_fold(examples, 1.0)
    rows, labels = train.confidence_data(examples, oof, 1.0)
    trees = train.fit_trees(rows, labels)
    reference = HistGradientBoostingClassifier(**train.CONFIDENCE_TREES).fit(rows, labels.astype(int))
    assert np.allclose(trees.logit(rows), reference.decision_function(rows), atol=1e-9)
    one_by_one = [trees.logit(row[None, :])[0] for row in rows]  # the engine asks one row at a time
    assert np.allclose(one_by_one, trees.logit(rows), atol=1e-12)
    again = Trees.from_json(json.loads(json.dumps(trees.to_json())))
    assert np.array_equal(again.logit(rows), trees.logit(rows))
    assert np.array_equal(train.fit_trees(rows, labels).logit(rows), trees.logit(rows))  # deterministic


def test_the_own_sets_are_written_by_others_and_none_is_kept_for_judging(examples):
    assert all((EVAL / f"{name}.jsonl").is_file() for name in train.OWN_SETS)
    judged = {"questions", "holdout", "blind", "blind17", "blind24", "blind25", "blind27", "blind28", "blind29",
              "blind30", "blind31", "blind32", "blind33", "blind34", "blind35", "blind36", "blind37", "blind38",
              "blind39", "blind40", "blind41", "blind42", "blind43", "blind44", "blind45", "blind46", "blind47", "blind48",
              "blind49", "blind50", "blind51", "blind52", "blind53"}
    assert not judged & set(train.OWN_SETS)
    # a source that refuses more pulls the threshold down: the strictest source decides
    rng = np.random.default_rng(0)
    dev = [e for e in examples if e.answerable and not e.withheld][:60]
    own = [Example("own", e.qid, e.group, e.kind, True, e.features, e.labels, e.lengths) for e in dev]
    confidence = rng.uniform(0.2, 1.0, len(dev))
    alone = train.choose_threshold(dev, confidence)
    low = np.concatenate([confidence, rng.uniform(0.0, 0.3, len(own))])
    both = train.choose_threshold([*dev, *own], low)
    assert both < alone
    assert np.mean(low[len(dev):] < both) <= train.MAX_REFUSED  # every example here is answerable
    assert np.mean(low[: len(dev)] < both) <= train.MAX_REFUSED


def test_a_later_setting_is_chosen_only_when_it_beats_the_first_by_more_than_one_standard_error():
    # 0.809 against 0.803 on a few hundred questions per source is noise; on a million it is not
    small = train.standard_error({"dev": 0.85, "uit": 0.79}, {"dev": 115, "uit": 600})
    large = train.standard_error({"dev": 0.85, "uit": 0.79}, {"dev": 10**6, "uit": 10**6})
    assert small == pytest.approx(np.sqrt(0.85 * 0.15 / 115 + 0.79 * 0.21 / 600) / 2)
    assert train.first_within([0.803, 0.809, 0.790], small) == 0
    assert train.first_within([0.803, 0.809, 0.790], large) == 1
