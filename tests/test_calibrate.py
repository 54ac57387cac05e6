"""The confidence an answer reports is calibrated (``eval.calibrate``), and calibration decides nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from answer.engine import Engine
from answer.selector import Calibration, ModelError, log_odds
from eval import calibrate
from eval.runner import run_question
from eval.scoring import load_questions, score_one

EVAL = Path(__file__).resolve().parents[1] / "eval"
DEV = EVAL / "questions.jsonl"


def _plain(engine: Engine, threshold: float | None = None) -> Engine:
    """``engine`` reporting the confidence model's own probability (and at ``threshold``, if given)."""
    selector = replace(engine.selector, calibration=Calibration())
    if threshold is not None:
        selector = replace(selector, threshold=threshold)
    return Engine(engine.retriever, selector=selector, reranker=engine.reranker, gate=engine.gate)


def test_calibration_changes_what_an_answer_reports_and_nothing_it_decides(engine: Engine) -> None:
    calibration = engine.selector.calibration
    assert calibration != Calibration() and calibration.slope > 0  # make train calibrated the committed model
    plain = _plain(engine)
    questions = load_questions(DEV)[:40]
    answered = 0
    for q in questions:
        a, b = engine.ask(q.question), plain.ask(q.question)
        assert (a.answer, a.abstained, a.to_json()["citations"]) == (b.answer, b.abstained, b.to_json()["citations"])
        assert a.confidence == pytest.approx(calibration(b.confidence))
        answered += not a.abstained
    assert answered >= 30


def test_the_reported_confidence_is_nearer_how_often_new_questions_are_answered_right(engine: Engine) -> None:
    """blind50 was learned from by no model and calibrated on by none: answered with no threshold,
    the reported confidence scores better (Brier) than the model's probability, which runs high."""
    plain = _plain(engine, threshold=0.0)
    prob, right = [], []
    for q in load_questions(EVAL / "blind50.jsonl"):
        result = run_question(plain, q)
        if not result["abstained"]:
            prob.append(result["confidence"])
            right.append(q.answerable and score_one(q, result)["correct"])
    p, y = np.array(prob), np.array(right, dtype=bool)
    reported = engine.selector.calibration.apply(p)
    assert "blind50" not in calibrate.CALIBRATION_SETS
    assert p.mean() > y.mean() + 0.03  # the model's probability runs high
    assert calibrate.brier(reported, y) < calibrate.brier(p, y)
    assert abs(reported.mean() - y.mean()) < abs(p.mean() - y.mean())
    # refitted on these answers, Platt scaling fits them at least as well as no scaling (its start)
    refit = calibrate.fit(p, y)
    z = log_odds(p)

    def log_loss(s: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, s) - y * s))

    assert log_loss(refit.slope * z + refit.intercept) <= log_loss(z) + 1e-9


def test_a_calibration_that_would_reverse_the_order_of_confidences_is_refused() -> None:
    with pytest.raises(ModelError):
        Calibration.from_json({"slope": -0.5, "intercept": 0.0})
    assert Calibration.from_json(None) == Calibration()
    shown = Calibration(0.6, -0.4)
    assert shown(0.9) < shown(0.99) < 0.99 and shown(0.5) < 0.5
