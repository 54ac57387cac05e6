"""The learned second quote: what it proposes, when the gate takes it, and how its threshold is chosen."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from answer import second
from answer.analysis import analyse
from answer.candidates import gather
from answer.expand import expand
from answer.features import coverage
from answer.selector import ModelError, Trees
from eval import train_second
from tests.test_stages import _retrieval, retriever  # noqa: F401 (the hand-made index)


def _gate(logit: float, threshold: float = 0.5) -> second.Gate:
    return second.Gate(Trees(logit, ()), threshold)


def test_the_proposal_is_the_best_anchor_quotable_beside_the_answer(retriever):  # noqa: F811
    q = analyse("Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu?")
    units = gather(q, _retrieval(retriever, [6, 3]).hits, retriever)
    anchors = [u for u in units if u.anchor]
    notice = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 06 tháng"))
    decision = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 03 tháng"))
    figure = next(i for i, a in enumerate(anchors) if "81,84%" in a.text)
    scores = np.zeros(len(anchors))
    scores[[notice, decision, figure]] = [2.0, 0.5, 1.5]
    cover = coverage(q, retriever)
    unit = expand(q, anchors[notice], units, cover)
    proposal = second.propose(q, unit, notice, anchors, units, scores, cover, 0.9, 140)
    assert proposal is not None and "81,84%" in proposal.unit.text  # the selector's next best
    row = dict(zip(second.FEATURES, proposal.row))
    assert len(proposal.row) == len(second.FEATURES)
    assert row["rank"] == 0 and row["behind"] == 0.5 and row["confidence"] == 0.9 and row["answer_chars"] == 1.4
    assert row["kind_figure"] == 1.0 and row["parts"] == 0
    scores[decision] = 1.8
    row = dict(zip(second.FEATURES, second.propose(q, unit, notice, anchors, units, scores, cover, 0.9, 140).row))
    assert row["second_adds"] == 0.0 and row["cover_gain"] <= 0.0  # it repeats the question's words the first has
    # an anchor inside the quoted unit is never proposed
    same = [anchors[notice], anchors[notice]]
    assert second.propose(q, unit, 0, same, units, np.array([1.0, 0.5]), cover, 0.9, 140) is None


def test_the_gate_takes_the_second_only_above_its_threshold():
    proposal = second.Proposal(None, np.zeros(len(second.FEATURES)))  # type: ignore[arg-type]
    assert second.wanted(_gate(3.0), proposal)
    assert not second.wanted(_gate(-3.0), proposal)
    assert not second.wanted(None, proposal) and not second.wanted(_gate(3.0), None)


def test_the_model_file_round_trips_and_refuses_other_features():
    gate = _gate(0.25, 0.35)
    data = json.loads(json.dumps(gate.to_json({"rows": 1})))
    again = second.Gate.from_json(data)
    assert again.threshold == 0.35 and again.trees.baseline == 0.25
    data["features"] = data["features"][:-1]
    with pytest.raises(ModelError):
        second.Gate.from_json(data)
    committed = second.load()
    assert committed is not None and 0.0 < committed.threshold <= 1.0 and committed.trees.trees


def test_the_threshold_is_the_lowest_where_half_the_second_quotes_added_make_an_answer_right():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 2000)
    y = rng.uniform(0, 1, 2000) < p**2  # the more likely, the more often right
    threshold, table = train_second.choose_threshold(p, y)
    added = {t: (a, f) for t, a, f in table}
    assert added[threshold][1] >= 0.5 * added[threshold][0]
    assert all(f < 0.5 * a for t, a, f in table if t < threshold)
    assert train_second.choose_threshold(p, np.zeros(2000, bool))[0] == 1.0  # never right: never added


def test_the_engine_quotes_the_second_unit_the_gate_asks_for(engine):
    question = "Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu cho công chức?"
    kept = engine.gate
    try:
        engine.gate = None
        alone = engine.ask(question)
        engine.gate = _gate(5.0)
        both = engine.ask(question)
    finally:
        engine.gate = kept
    assert not alone.abstained and not both.abstained
    body = re.sub(r" \[\d+\]", "", alone.answer.split("\n(Chú thích")[0])
    assert len(both.answer) > len(alone.answer) and body.strip(" …") in both.answer
