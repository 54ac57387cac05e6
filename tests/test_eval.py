"""The eval scorer on crafted results, and the shipped question set's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.scoring import Question, QuestionFileError, load_questions, score_one, summarise

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"


def _result(answer: str, abstained: bool = False, quote: str = "", footnotes=(), article=None):
    return {
        "id": "x",
        "answer": answer,
        "abstained": abstained,
        "citations": [
            {"n": 1, "document": "Luật số 80/2025/QH15", "source": "a.md", "section": "Chương V",
             "article": article, "quote": quote or answer, "footnotes": list(footnotes), "score": 0.1}
        ],
        "timings_ms": {"retrieve": 10.0, "answer": 2.0},
    }


def test_facts_must_all_be_in_the_answer_with_number_normalisation():
    q = Question("x", "?", ["34.881", "hồ sơ"], [], True, "figure")
    assert score_one(q, _result("Tiếp nhận 34,881 hồ sơ [1]"))["correct"]
    assert not score_one(q, _result("Tiếp nhận 34.882 hồ sơ [1]"))["correct"]
    assert not score_one(q, _result("Tiếp nhận 34.881 hồ sơ [1]", abstained=True))["correct"]


def test_refs_may_sit_in_the_citations():
    q = Question("x", "?", ["Khiển trách"], ["Điều 36"], True, "legal")
    assert score_one(q, _result("Khiển trách [1]", article="Điều 36"))["correct"]
    assert not score_one(q, _result("Khiển trách [1]", article="Điều 35"))["correct"]


def test_citation_accuracy_needs_the_fact_in_the_cited_source():
    q = Question("x", "?", ["1118/QĐ-UBND"], [], True, "footnote")
    good = _result("Quyết định 1118/QĐ-UBND [1]", quote="Tổ công tác²",
                   footnotes=[{"number": 2, "text": "Quyết định số 1118/QĐ-UBND"}])
    bad = _result("Quyết định 1118/QĐ-UBND [1]", quote="Tổ công tác")
    assert score_one(q, good)["citation_ok"] and not score_one(q, bad)["citation_ok"]


def test_unanswerable_questions_score_abstention():
    q = Question("u", "?", [], [], False, "unanswerable")
    results = [{**_result("Không tìm thấy", abstained=True), "id": "u"}]
    summary = summarise([q], results)
    assert summary["overall"]["abstention_recall"] == 1.0
    assert summary["overall"]["abstention_precision"] == 1.0


def test_question_file_format(tmp_path: Path):
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 100
    assert sum(not q.answerable for q in questions) >= 10
    bad = tmp_path / "q.jsonl"
    bad.write_text(json.dumps({"id": "1", "question": "?"}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionFileError, match="missing field"):
        load_questions(bad)
