"""Answers with citations on the real corpus, through ``Engine.ask``."""

from __future__ import annotations

from pathlib import Path

import pytest

from answer.citations import check_citations
from answer.followup import rewrite_question
from eval.rules import SETS as RULE_SETS
from eval.scoring import load_questions

EVAL = Path(__file__).resolve().parents[1] / "eval"


def test_figure_question_quotes_the_figure_with_a_citation(engine):
    ans = engine.ask("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?")
    assert not ans.abstained
    assert "81,84%" in ans.answer and "[1]" in ans.answer
    cite = ans.citations[0]
    assert "81,84%" in cite.quote and cite.quote in cite.passage_text
    assert cite.source == "bac-giang-bao-cao-cchc-6-thang-dau-2020.txt"
    assert check_citations(ans.answer, ans.citations) == []
    assert any(ans.answer[a:b] == "81,84%" for a, b in ans.highlights)  # the figure is marked
    assert len(ans.answer) <= 600


def test_footnote_question_is_answered_from_the_footnote(engine):
    ans = engine.ask("Tổ công tác tiếp nhận phản ánh của doanh nghiệp được thành lập theo quyết định nào?")
    assert not ans.abstained
    assert ans.answer.startswith("Căn cứ:") and "1118/QĐ-UBND" in ans.answer
    notes = [f for c in ans.citations for f in c.footnotes]
    assert any(f.number == 2 and "1118/QĐ-UBND ngày 03/6/2020" in f.text for f in notes)


def test_a_list_question_brings_the_items_of_the_article(engine):
    ans = engine.ask("Theo Luật Cán bộ, công chức 2025, công chức bị kỷ luật bằng những hình thức nào?")
    assert not ans.abstained
    assert any(c.article == "Điều 36" for c in ans.citations)
    assert "Khiển trách" in ans.answer and "Cảnh cáo" in ans.answer


def test_a_long_list_is_quoted_to_its_last_item(engine):
    ans = engine.ask("Theo Nghị định 172/2025/NĐ-CP, những trường hợp nào chưa xem xét xử lý kỷ luật cán bộ, công chức?")
    assert not ans.abstained and len(ans.answer) > 800  # a list may run past the 600 characters of other answers
    assert "ốm nặng" in ans.answer and "mang thai" in ans.answer and "đang bị khởi tố" in ans.answer
    assert check_citations(ans.answer, ans.citations) == []


def test_effect_date_comes_from_the_documents_own_effect_clause(engine):
    ans = engine.ask("Luật Cán bộ, công chức số 80/2025/QH15 có hiệu lực thi hành từ ngày nào?")
    assert not ans.abstained
    assert "Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2025" in ans.answer
    assert ans.citations[0].article == "Điều 44"
    # a question asking only that of a document it names: its effect clause, its date line
    ans = engine.ask("Nghị định 48/2013/NĐ-CP sửa đổi các nghị định về kiểm soát thủ tục hành chính có hiệu lực từ ngày nào?")
    assert not ans.abstained and "01 tháng 7 năm 2013" in ans.answer
    ans = engine.ask("Chỉ thị 012/CT-UBND của tỉnh Đắk Lắk được ban hành ngày nào?")
    assert not ans.abstained and "Đắk Lắk, ngày" in ans.answer and "26 tháng 11 năm 2025" in ans.answer
    assert check_citations(ans.answer, ans.citations) == []
    # asking both of them, both places are quoted
    ans = engine.ask("Quyết định 1378/QĐ-BNV được ban hành ngày nào và có hiệu lực từ khi nào?")
    assert "25 tháng 11 năm 2025" in ans.answer and "kể từ ngày ký ban hành" in ans.answer


def test_who_signed_is_answered_from_the_signature_block(engine):
    ans = engine.ask("Ai ký Quyết định 1378/QĐ-BNV?")
    assert not ans.abstained
    assert "KT. BỘ TRƯỞNG" in ans.answer and "Vũ Chiến Thắng" in ans.answer
    assert ans.citations[0].source == "quyet-dinh-1378-qd-bnv-tthc-noi-bo.md"
    assert check_citations(ans.answer, ans.citations) == []
    # asked with the date, the date line and the signature are both quoted
    both = engine.ask("Chỉ thị 012/CT-UBND của Đắk Lắk ký ngày nào, ai ký?")
    assert "26 tháng 11 năm 2025" in both.answer and "Trương Công Thái" in both.answer
    # a decree whose text has no signature block does not say who signed it
    assert engine.ask("Ai ký Nghị định 172/2025/NĐ-CP?").abstained


def test_a_figure_question_is_answered_only_by_a_quote_that_shows_a_figure(engine):
    # the law speaks of annual leave but gives no number of days: the nearest clause is not an answer
    leave = engine.ask("Luật Cán bộ, công chức 2025 quy định công chức được nghỉ phép bao nhiêu ngày mỗi năm?")
    assert leave.abstained
    # a number written in words before the asked unit is a figure
    trips = engine.ask("Không để người dân đi lại bổ sung hồ sơ quá mấy lần?")
    assert not trips.abstained and "quá hai lần" in trips.answer


@pytest.mark.parametrize("question", [
    "Chỉ số CCHC năm 2023 của tỉnh Hà Giang là bao nhiêu?",  # another province and year
    "Chỉ số PAPI năm 2018 của tỉnh Bắc Giang đạt bao nhiêu điểm?",  # the report gives 2019
    # the 2019 index, in a report dated 18/02/2020: the date does not make it the 2020 index
    "Chỉ số CCHC năm 2020 của tỉnh Bắc Giang đạt bao nhiêu phần trăm?",
])
def test_what_the_documents_do_not_hold_is_not_answered(engine, question):
    ans = engine.ask(question)
    assert ans.abstained, ans.answer
    assert ans.answer.startswith("Không tìm thấy thông tin này trong tài liệu")
    assert ans.citations  # the nearest passages are listed
    assert "46,04" not in ans.answer


def test_json_shape_is_exact(engine):
    data = engine.ask("Cấp xã tiếp nhận bao nhiêu hồ sơ?").to_json()
    assert set(data) == {"question", "answer", "abstained", "citations", "timings_ms"}
    assert set(data["timings_ms"]) == {"retrieve", "answer"}
    assert set(data["citations"][0]) == {"n", "document", "source", "section", "article", "quote", "footnotes", "score"}


def test_follow_up_is_rewritten_with_the_previous_question():
    history = [("Cấp tỉnh tiếp nhận bao nhiêu hồ sơ?", "34.881 hồ sơ [1]")]
    assert rewrite_question("còn cấp huyện thì sao?", history) == "Cấp huyện tiếp nhận bao nhiêu hồ sơ?"
    assert rewrite_question("Cấp xã tiếp nhận bao nhiêu hồ sơ?", history) == "Cấp xã tiếp nhận bao nhiêu hồ sơ?"


def test_follow_up_through_the_engine(engine):
    first = engine.ask("Cấp tỉnh tiếp nhận bao nhiêu hồ sơ?")
    follow = engine.ask("còn cấp huyện thì sao?", history=[(first.question, first.answer)])
    assert "71,853" in follow.answer


def test_bracketed_numbers_in_the_source_are_not_taken_for_markers(tmp_path):
    from answer.engine import Engine
    from index.builder import ingest

    doc = tmp_path / "quy-che.md"
    doc.write_text(
        "# Quy chế đào tạo\n\nĐiều 5. Học phí\n\nSinh viên đóng học phí theo mức [32] tín chỉ "
        "và mức [400] nghìn đồng mỗi tín chỉ.\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    assert ingest([doc], store).ok
    ans = Engine.from_store(store).ask("Sinh viên đóng học phí theo mức nào?")
    assert not ans.abstained
    assert "［32］" in ans.answer and "[1]" in ans.answer
    assert "[32]" in ans.citations[0].quote  # the citation keeps the source as written


@pytest.mark.slow
def test_every_question_of_every_set_is_answered_or_refused_without_an_exception(engine):
    """No question makes ``Engine.ask`` raise, and every answer passes its own citation check."""
    for name in ("questions", *RULE_SETS):
        for q in load_questions(EVAL / f"{name}.jsonl"):
            ans = engine.ask(q.question)
            assert ans.abstained or check_citations(ans.answer, ans.citations) == [], q.id
            assert ans.check_failures == 0, q.id


def test_a_list_question_quotes_the_clause_that_lists_not_the_one_that_refers_to_it(engine):
    ans = engine.ask("Theo Luật Cán bộ, công chức 2025, người muốn đăng ký dự tuyển công chức phải đáp ứng "
                     "những điều kiện nào?")
    assert not ans.abstained
    assert "Đủ 18 tuổi trở lên" in ans.answer and "Đang cư trú tại Việt Nam" in ans.answer
