"""The benchmark loaders and scorers on real data: ALQAC/UIT files and a tiny real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import datasets
from eval.bench import Scores, needles_rank, own_cases, run_cases, write_section
from eval.bench_qa import contains_gold, spread, token_f1
from index.retriever import Mode
from ingest.models import Passage

needs_alqac = pytest.mark.skipif(
    not datasets.alqac_available(),
    reason=f"ALQAC 2023 not found in {datasets.bench_dir()} (set {datasets.ENV_BENCH})",
)
needs_uit = pytest.mark.skipif(
    not datasets.uit_available(),
    reason=f"UIT regulation QA not found in {datasets.bench_dir()} (set {datasets.ENV_BENCH})",
)

TEXTS = [
    ("Báo cáo CCHC", "Năm 2019, Chỉ số cải cách hành chính của tỉnh đạt 81,84%, xếp thứ 25/63 cả nước."),
    ("Luật Cán bộ", "Điều 36. Hình thức kỷ luật đối với công chức gồm khiển trách, cảnh cáo, hạ bậc lương."),
    ("Nghị định 63", "Cơ quan kiểm soát thủ tục hành chính tiếp nhận phản ánh, kiến nghị của cá nhân, tổ chức."),
    ("Tin Bộ Nội vụ", "Bộ Nội vụ dự kiến hoàn thành việc sắp xếp đơn vị hành chính cấp xã trước ngày 30/6."),
]


def _passage(i: int, document: str, text: str) -> Passage:
    article = "Điều 36" if text.startswith("Điều 36") else None
    return Passage(f"d{i}#0", f"d{i}", document, f"d{i}.md", article or "I", article, text, (0, len(text)))


@pytest.fixture(scope="module")
def tiny_retriever():
    passages = [_passage(i, doc, text) for i, (doc, text) in enumerate(TEXTS)]
    retriever, stats = datasets.build_retriever(passages, cache=None, name="tiny")
    assert not stats.cached and retriever.vectors.shape[0] == 4
    return retriever


def _question_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "q.jsonl"
    base = {"refs": [], "answerable": True, "kind": "figure"}
    path.write_text("\n".join(json.dumps({**base, **r}, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_own_recall_is_one_when_the_facts_are_indexed(tiny_retriever, tmp_path: Path):
    path = _question_file(tmp_path, [
        {"id": "a", "question": "Chỉ số cải cách hành chính năm 2019 đạt bao nhiêu và xếp thứ mấy?",
         "facts": ["81.84%", "25/63"]},
        {"id": "b", "question": "Công chức bị kỷ luật theo những hình thức nào?", "facts": [],
         "refs": ["Điều 36"], "kind": "legal"},
        {"id": "u", "question": "Thời tiết?", "facts": [], "answerable": False, "kind": "unanswerable"},
    ])
    cases = own_cases(path)
    assert len(cases) == 2  # the unanswerable question is not a retrieval case
    for mode in (Mode.HYBRID, Mode.DENSE, Mode.LEXICAL):
        assert run_cases(tiny_retriever, cases, mode).recall(5) == 1.0


def test_own_recall_is_zero_when_a_fact_is_absent(tiny_retriever, tmp_path: Path):
    path = _question_file(tmp_path, [
        {"id": "a", "question": "Chỉ số cải cách hành chính năm 2019 đạt bao nhiêu?", "facts": ["81,84%", "92,5%"]},
    ])
    scores = run_cases(tiny_retriever, own_cases(path))
    assert scores.recall(10) == 0.0 and scores.mrr() == 0.0


def test_needles_may_be_spread_over_the_top_passages(tiny_retriever):
    hits = tiny_retriever.retrieve("chỉ số cải cách hành chính và hình thức kỷ luật", k=4, mode=Mode.LEXICAL)
    rank = needles_rank(["81,84%", "khiển trách"], hits)
    assert rank is not None and rank >= 2


def test_scores_recall_and_mrr():
    scores = Scores([1, 3, None, 12])
    assert scores.recall(1) == 0.25 and scores.recall(5) == 0.5 and scores.recall(10) == 0.5
    assert scores.mrr() == pytest.approx((1 + 1 / 3) / 4)


@needs_alqac
def test_alqac_loader_yields_every_article_and_the_gold_ones():
    passages = datasets.alqac_passages()
    assert len(passages) == 2131
    assert len({p.id for p in passages}) == 2131
    keys = {datasets.alqac_key(p) for p in passages}
    questions = datasets.alqac_questions()
    assert len(questions) == 100
    gold = [ref for q in questions for ref in q.gold]
    assert gold and all(ref in keys for ref in gold)
    first = next(p for p in passages if datasets.alqac_key(p) == gold[0])
    assert first.article == f"Điều {gold[0].article_id}" and first.document == gold[0].law_id


@needs_alqac
def test_alqac_gold_answers_by_question_type():
    questions = datasets.alqac_questions()
    kinds = {q.kind for q in questions}
    assert kinds == {datasets.TRUE_FALSE, datasets.MULTIPLE_CHOICE, datasets.ESSAY}
    for q in questions:
        if q.kind == datasets.TRUE_FALSE:
            assert q.gold_answer_text is None
        else:
            assert q.gold_answer_text  # the option's text for Trắc nghiệm, the answer for Tự luận


@needs_uit
def test_uit_loader_links_questions_to_contexts():
    passages = datasets.uit_passages()
    ids = {p.id for p in passages}
    questions = datasets.uit_questions()
    assert len(passages) == 75 and len(questions) == 626
    assert all(q.context_id in ids for q in questions)
    by_id = {p.id: p for p in passages}
    assert all(q.answer in by_id[q.context_id].text for q in questions[:50])


def test_cache_key_depends_on_texts_and_model():
    assert datasets.cache_key(["a", "b"], "m") == datasets.cache_key(["a", "b"], "m")
    assert datasets.cache_key(["a", "b"], "m") != datasets.cache_key(["ab"], "m")
    assert datasets.cache_key(["a"], "m") != datasets.cache_key(["a"], "n")


def test_answer_scoring_normalises_and_ignores_citation_markers():
    assert contains_gold("Thời hạn là 10 Ngày [1].", "10 ngày")
    assert not contains_gold("Không tìm thấy", "10 ngày")
    assert token_f1("DELF_B1 hoặc TCF_niveau_3 [2]", "DELF_B1 hoặc TCF_niveau_3") == 1.0
    assert token_f1("hoàn toàn khác", "10 ngày") == 0.0
    assert 0 < token_f1("trong thời hạn 10 ngày", "10 ngày") < 1


def test_spread_takes_questions_from_every_group():
    items = [datasets.AlqacQuestion(f"{k}{i}", k, "?", [], "") for k in "ABC" for i in range(5)]
    assert [q.kind for q in spread(items, 4)] == ["A", "B", "C", "A"]
    assert len(spread(items, None)) == 15


def test_write_section_replaces_only_its_own_section(tmp_path: Path):
    path = tmp_path / "bench.md"
    write_section("bench", "one", path)
    write_section("bench-qa", "qa", path)
    write_section("bench", "two", path)
    text = path.read_text(encoding="utf-8")
    assert "two" in text and "one" not in text and "qa" in text
    assert text.count("<!-- bench:start -->") == 1


def test_bench_qa_runs_the_sets_asked_for():
    from eval.bench_qa import parse_args

    assert parse_args([]).sets == {"alqac", "uit"}
    assert parse_args(["--sets", " UIT "]).sets == {"uit"}
    for bad in ("uit,squad", ","):
        with pytest.raises(SystemExit):
            parse_args(["--sets", bad])


def test_a_failing_question_is_recorded_not_raised():
    from eval.bench_qa import ask, outcome, summary_rows

    class Broken:
        def ask(self, question: str, k: int = 5):
            raise AssertionError("citation check failed")

    answer, ms, error = ask(Broken(), "?", 5)
    assert answer is None and error and "citation check failed" in error
    row = summary_rows([outcome("UIT", "q1", answer, ms, error, "10 ngày", lambda a: 1)], 5)[0]
    assert row[1] == 1 and row[3] == 0.0 and row[5] == 0.0 and row[-1] == 1


def test_load_table_counts_errors_and_answers_that_differ():
    from eval.load import LoadResult, Turn, load_table

    single = [[Turn("a", "81,84% [1]", 0.3), Turn("b", "Không tìm thấy", 0.2)]]
    loaded = [[Turn("a", "81,84% [1]", 1.0), Turn("b", "", 2.0, error="TimeoutError")]]
    result = LoadResult(1, 2, single, loaded, seconds=3.0, peak_mb=500, end_mb=480, concurrency=8)
    assert result.errors == 1 and result.differing == 1
    table = load_table(result)
    assert "| errors (failed or over 120 s) | 1 | 0 ✗ |" in table
    assert "1 of 2" in table and "500 / 480 MB" in table
    assert "1.00 / 1.00 s" in table  # waits of failed requests are not counted


@needs_alqac
def test_alqac_laws_ingested_as_the_product_cuts_a_law():
    """Every article is found again, long ones cut into passages of the size ingest makes."""
    from ingest.passages import MAX_CHARS

    articles = datasets.alqac_passages()
    passages = datasets.alqac_ingested_passages()
    assert len(passages) > len(articles)
    assert {datasets.alqac_key(p) for p in passages} == {datasets.alqac_key(p) for p in articles}
    assert len({p.id for p in passages}) == len(passages)
    assert sum(len(p.text) > MAX_CHARS for p in passages) < 0.01 * len(passages)  # a block ingest keeps whole
    longest = max(articles, key=lambda p: len(p.text))
    pieces = [p for p in passages if datasets.alqac_key(p) == datasets.alqac_key(longest)]
    assert len(pieces) >= len(longest.text) // MAX_CHARS
    # the pieces hold the article's text in order
    assert longest.text.split("\n")[-1].strip() in pieces[-1].text


def test_each_uit_question_is_answered_by_the_fold_models_that_never_saw_its_context():
    from eval.bench_qa import run_uit
    from eval.train import FoldModels

    class Recording:
        selector, reranker = "committed selector", "committed reranker"
        seen: list[tuple[str, str]] = []

        def ask(self, question: str, k: int = 5):
            self.seen.append((self.selector, self.reranker))
            raise ValueError("not answered here")

    folds = FoldModels({"uit-reg:Quy chế A": 1, "uit-reg:Quy chế B": 0}, ["selector 0", "selector 1"])
    questions = [datasets.UitQuestion("1", "?", "x", "Quy chế A#0"), datasets.UitQuestion("2", "?", "x", "Quy chế B#3"),
                 datasets.UitQuestion("3", "?", "x", "Quy chế C#0")]
    engine = Recording()
    run_uit(engine, questions, 5, folds, rerankers=["reranker 0", "reranker 1"])
    assert engine.seen == [("selector 1", "reranker 1"), ("selector 0", "reranker 0"),
                           ("committed selector", "committed reranker")]
    assert (engine.selector, engine.reranker) == ("committed selector", "committed reranker")
    engine.seen.clear()
    run_uit(engine, questions[:1], 5, folds)  # no reranker folds: the committed reranker
    assert engine.seen == [("selector 1", "committed reranker")]
