"""Word associations learned from answered questions (answer/associations.py), on hand-made questions;
how training and the confidence model use them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from answer import lexicon as lx
from answer.associations import Associations, count, current, from_counts, learn, total, words
from answer.features import INDEX, NAMES
from answer.selector import CONFIDENCE_FEATURES, confidence_row
from eval.examples import Example
from eval.train import with_associations

ANSWER = "Không thực hiện việc phúc khảo đối với kết quả bài thi viết trên máy vi tính."
OTHER = "Thí sinh được đăng ký dự thi tại một địa điểm do Hội đồng tuyển dụng bố trí."
CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _labelled(n: int) -> list[tuple[str, list[str], np.ndarray]]:
    # questions that say "chấm lại" where the answering sentence says "phúc khảo"
    asks = ["Bài thi có được chấm lại không?", "Thí sinh xin chấm lại bài thi thế nào?",
            "Ai quyết định việc chấm lại?", "Chấm lại bài thi trong bao lâu?"]
    return [(asks[i % len(asks)], [ANSWER, OTHER], np.array([True, False])) for i in range(n)]


def test_words_fold_case_and_tone_placement_and_keep_word_pairs():
    assert words("Phúc khảo") == words("phúc khảo") == {"phúc", "khảo", "phúc_khảo"}
    assert words("hòa giải") == words("hoà giải")
    assert not any(w.isdigit() for w in words("Trong 15 ngày"))


def test_a_pair_seen_with_answers_raises_the_answering_sentence_of_a_new_question():
    table = learn(_labelled(6))
    scores = table.scores("Kết quả bài viết trên máy tính có được chấm lại?", [OTHER, ANSWER])
    assert scores[1] > scores[0] == 0.0


def test_a_pair_seen_fewer_times_than_the_minimum_is_not_kept():
    assert learn(_labelled(2)).table == {}
    assert not learn(_labelled(6), min_count=7).table


def test_a_table_learned_without_some_questions_is_their_counts_taken_away():
    # what training uses to answer a fold of sets with a table that never saw them
    seen, more = _labelled(6), [(q, [OTHER, ANSWER], np.array([True, False])) for q, *_ in _labelled(5)]
    assert from_counts(count(seen + more), less=count(more)).table == learn(seen).table
    assert from_counts(count(seen + more)).table != learn(seen).table
    # training counts each fold of sets apart and adds them up
    assert from_counts(total([count(seen), count(more)]), less=count(more)).table == learn(seen).table


def test_a_pair_as_common_with_other_candidates_is_not_kept():
    both = [(q, [ANSWER, ANSWER + " Khác."], np.array([True, False])) for q, _, _ in _labelled(6)]
    table = learn(both)
    assert "phúc_khảo" not in table.table.get("chấm_lại", {})


def test_the_table_round_trips_through_json_and_an_empty_table_scores_zero():
    table = learn(_labelled(6))
    again = Associations.from_json(table.to_json())
    q = "Bài thi có được chấm lại không?"
    assert np.array_equal(again.scores(q, [ANSWER, OTHER]), table.scores(q, [ANSWER, OTHER]))
    assert not Associations().scores(q, [ANSWER]).any()


def test_training_recomputes_only_the_assoc_column_for_a_table_learned_without_the_question():
    q = "Kết quả bài viết trên máy tính có được chấm lại?"
    x = np.ones((2, len(NAMES)), dtype=np.float32)
    ex = Example("own", "q1", "doc", "general", True, x, np.array([False, True]), np.array([80, 70]),
                 question=q, texts=(OTHER, ANSWER))
    table = learn(_labelled(6))
    out = with_associations(ex, table)
    assert np.array_equal(out.features[:, INDEX["assoc"]], table.scores(q, [OTHER, ANSWER]))
    assert out.features[1, INDEX["assoc"]] > 0.0
    rest = [i for i in range(len(NAMES)) if i != INDEX["assoc"]]
    assert np.array_equal(out.features[:, rest], x[:, rest])
    assert (ex.features == 1.0).all()  # the example it came from is left as it was


def test_the_confidence_model_reads_the_chosen_units_associations():
    x = np.zeros((2, len(NAMES)))
    x[1, INDEX["assoc"]] = 0.7
    row = confidence_row(x, np.array([0.0, 1.0]), 1)
    assert len(row) == len(CONFIDENCE_FEATURES)
    assert row[CONFIDENCE_FEATURES.index("assoc")] == 0.7


def _strongest_by_definition(table: Associations, question: str, text: str) -> float:
    """The assoc feature as the module docstring defines it, word by word."""
    asked = {w for w in words(question) if w not in lx.ASKING_WORDS}
    strongest = [max((table.table[a].get(b, 0.0) for b in words(text) - asked), default=0.0)
                 for a in asked if a in table.table]
    return float(np.float32(sum(strongest) / len(asked))) if strongest else 0.0


def test_the_committed_table_scores_corpus_sentences_as_defined():
    table = current()
    texts = [s for p in sorted(CORPUS.glob("*.md"))[:3] for s in p.read_text(encoding="utf-8").split("\n")
             if len(s) > 40][:300]
    for question in ["Thời hạn giải quyết thủ tục hành chính là bao lâu?", "Ai chịu trách nhiệm kiểm soát TTHC?",
                     "Chỉ số hài lòng của người dân năm 2019 đạt bao nhiêu?"]:
        got = table.scores(question, texts)
        assert got.any()
        assert np.allclose(got, [_strongest_by_definition(table, question, t) for t in texts], atol=1e-6)
        assert np.array_equal(got, table.scores(question, texts))  # the second time from remembered columns
