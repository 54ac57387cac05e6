"""Answers with citations on real corpus questions; the citation check; abstention."""

from __future__ import annotations

import re

from answer.citations import Citation, check_citations
from answer.followup import rewrite_question
from answer.question import QuestionKind, classify_question


def test_figure_question_quotes_the_figure_with_a_citation(engine):
    ans = engine.ask("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?")
    assert not ans.abstained
    assert "81,84%" in ans.answer and "[1]" in ans.answer
    cite = ans.citations[0]
    assert "81,84%" in cite.quote and cite.quote in cite.passage_text
    assert cite.source == "bac-giang-bao-cao-cchc-6-thang-dau-2020.txt"
    assert check_citations(ans.answer, ans.citations) == []


def test_footnote_question_is_answered_from_the_footnote(engine):
    ans = engine.ask("Tổ công tác tiếp nhận phản ánh của doanh nghiệp được thành lập theo quyết định nào?")
    assert not ans.abstained
    assert "1118/QĐ-UBND" in ans.answer
    notes = [f for c in ans.citations for f in c.footnotes]
    assert any(f.number == 2 and "1118/QĐ-UBND ngày 03/6/2020" in f.text for f in notes)


def test_legal_question_cites_the_article(engine):
    ans = engine.ask("Theo Luật Cán bộ, công chức 2025, công chức bị kỷ luật bằng những hình thức nào?")
    assert not ans.abstained
    assert any(c.article == "Điều 36" for c in ans.citations)
    assert "Khiển trách" in ans.answer


def test_unanswerable_question_abstains_and_shows_nearest(engine):
    ans = engine.ask("Chỉ số CCHC năm 2023 của tỉnh Hà Giang là bao nhiêu?")
    assert ans.abstained
    assert ans.answer.startswith("Không tìm thấy thông tin này trong tài liệu")
    assert ans.citations  # the nearest passages are listed


def test_json_shape_is_exact(engine):
    data = engine.ask("Cấp xã tiếp nhận bao nhiêu hồ sơ?").to_json()
    assert set(data) == {"question", "answer", "abstained", "citations", "timings_ms"}
    assert set(data["timings_ms"]) == {"retrieve", "answer"}
    assert set(data["citations"][0]) == {
        "n", "document", "source", "section", "article", "quote", "footnotes", "score"
    }


def test_citation_check_catches_markers_without_sources():
    cite = Citation(1, "doc", "a.txt", "I.", None, "Câu trích.", [], 0.5, "a#1", "Câu trích. Khác.")
    assert check_citations("Câu trích. [1]", [cite]) == []
    assert "marker [2] has no source" in check_citations("Câu trích. [1] [2]", [cite])
    assert "citation [1] is not used in the answer" in check_citations("Không có dấu.", [cite])
    bad = Citation(1, "doc", "a.txt", "I.", None, "Không có trong đoạn.", [], 0.5, "a#1", "Câu trích.")
    assert check_citations("x [1]", [bad]) == ["citation [1] quote is not in its passage"]


def test_question_kinds():
    assert classify_question("Chỉ số CCHC đạt bao nhiêu?") == QuestionKind.FIGURE
    assert classify_question("Tổ công tác được thành lập theo quyết định nào?") == QuestionKind.REFERENCE
    assert classify_question("Nghị định có hiệu lực từ ngày nào?") == QuestionKind.DATE
    assert classify_question("Hình thức kỷ luật gồm những gì?") == QuestionKind.LIST
    assert classify_question("Những nguyên nhân chủ quan là gì?") == QuestionKind.LIST
    assert classify_question("Việc ra mắt AI được thực hiện vào thời gian nào?") == QuestionKind.DATE
    assert classify_question("Thủ tục hành chính là gì?") == QuestionKind.DEFINITION


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


def test_effect_date_comes_from_the_documents_own_effect_clause(engine):
    # "… trước ngày Luật này có hiệu lực thi hành" (Điều 45) must not pass for the effect clause
    ans = engine.ask("Luật Cán bộ, công chức số 80/2025/QH15 có hiệu lực thi hành từ ngày nào?")
    assert not ans.abstained
    assert "Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2025" in ans.answer
    assert ans.citations[0].article == "Điều 44"


def test_a_name_said_once_nearby_still_counts(engine):
    # the news item names the minister in its opening, then says "Bộ trưởng"
    ans = engine.ask("Theo Bộ trưởng Phạm Thị Thanh Trà, hiện nay còn bao nhiêu bộ và cơ quan ngang bộ?")
    assert not ans.abstained
    assert "17 bộ và cơ quan ngang bộ" in ans.answer


def test_asked_measure_names_what_is_counted():
    from answer.constraints import asked_measure, measure_missing

    assert asked_measure("Có bao nhiêu thí sinh trúng tuyển?") == ["thí", "sinh", "trúng", "tuyển"]
    assert asked_measure("Mức phạt tiền là bao nhiêu đồng?") == ["mức", "phạt", "tiền"]
    assert asked_measure("Tỉnh xếp thứ mấy?") == ["xếp", "thứ"]
    assert asked_measure("Chỉ số đạt bao nhiêu phần trăm?") == ["chỉ", "số"]
    # acronyms match their long form and generic ones need not be repeated
    assert measure_missing("Ban hành bao nhiêu văn bản quy phạm pháp luật?", "ban hành 11 văn bản QPPL") == []
    assert measure_missing("Tiếp nhận bao nhiêu hồ sơ TTHC?", "tiếp nhận 71,853 hồ sơ") == []
    # accents matter: "ưu tiên" does not speak of "tiền"
    assert measure_missing("Phải nộp bao nhiêu tiền?", "thứ tự ưu tiên lựa chọn") == ["tiền"]


def test_a_near_miss_figure_question_abstains_but_its_neighbour_is_answered(engine):
    # the report gives candidates present at the exam (356), not how many passed
    passed = engine.ask("Đợt xét tuyển viên chức y tế của Bắc Giang có bao nhiêu thí sinh trúng tuyển?")
    assert passed.abstained
    present = engine.ask("Kỳ sát hạch xét tuyển viên chức y tế ở Bắc Giang có bao nhiêu thí sinh có mặt?")
    assert not present.abstained and "356 thí sinh có mặt" in present.answer


def test_issue_date_comes_from_the_header_or_the_adoption_clause(engine):
    signed = engine.ask("Nghị định 48/2013/NĐ-CP được ban hành ngày nào?")
    assert signed.answer.startswith("Hà Nội, ngày 14 tháng 05 năm 2013")
    adopted = engine.ask("Luật Cán bộ, công chức số 80/2025/QH15 được thông qua ngày nào?")
    assert "kỳ họp thứ 9 thông qua ngày 24 tháng 6 năm 2025" in adopted.answer


def test_an_acronym_in_the_question_may_be_spelled_out_in_the_source():
    from answer.constraints import missing_terms

    context = "đối với giáo viên trung học cơ sở (530 chỉ tiêu)"
    assert missing_terms("Bao nhiêu chỉ tiêu cho giáo viên THCS?", context) == []
    assert missing_terms("Bao nhiêu chỉ tiêu cho giáo viên THPT?", context) == ["thpt"]


def test_a_two_part_question_quotes_the_sentence_before_too(engine):
    ans = engine.ask(
        "Công tác tuyên truyền cải cách hành chính ở Bắc Giang được đẩy mạnh ra sao, "
        "Báo Bắc Giang và Đài Phát thanh và truyền hình Bắc Giang làm được bao nhiêu tin, bài?"
    )
    assert "hình thức đa dạng" in ans.answer and "trên 300 tin" in ans.answer
    assert check_citations(ans.answer, ans.citations) == []


def test_the_asked_aspect_picks_the_item_that_names_it(engine):
    from answer.constraints import asked_aspect

    assert asked_aspect("Điều kiện về độ tuổi như thế nào?") == ["độ", "tuổi"]
    ans = engine.ask("Luật Cán bộ, công chức 2025 quy định về độ tuổi đăng ký dự tuyển công chức như thế nào?")
    assert "Đủ 18 tuổi trở lên" in ans.answer


def test_an_inline_list_is_quoted_whole(engine):
    ans = engine.ask("Chỉ thị 012/CT-UBND của Đắk Lắk nêu những nguyên nhân chủ quan nào của tồn tại, hạn chế?")
    assert "chưa được quan tâm đúng mức" in ans.answer and "hạ tầng công nghệ thông tin" in ans.answer


def test_a_ratio_is_not_a_year_and_an_aside_is_not_cut():
    from answer.constraints import conflicting_facets

    assert not conflicting_facets("năm 2020 cắt giảm bao nhiêu TTHC?", "cắt giảm thời gian 503/2003 TTHC")
    assert conflicting_facets("năm 2020 cắt giảm bao nhiêu TTHC?", "ban hành ngày 18/12/2019")


def test_figures_in_a_parenthesis_stay_together(engine):
    ans = engine.ask(
        "Năm 2020 khi công bố bộ TTHC của các sở, Bắc Giang cắt giảm thời gian giải quyết "
        "cho bao nhiêu TTHC, tổng cộng bao nhiêu ngày?"
    )
    assert "503/2003 TTHC" in ans.answer and "3.997 ngày" in ans.answer


def test_a_list_under_a_clause_title_comes_with_its_title_in_order(engine):
    ans = engine.ask("Theo Nghị định 170/2025/NĐ-CP, những trường hợp nào không thực hiện điều động công chức?")
    lines = ans.answer.splitlines()
    assert "5. Các trường hợp không thực hiện điều động" in lines
    items = [line.lstrip("… ")[:2] for line in lines if re.match(r"^(… )?[a-zđ]\)", line)]
    assert items[:2] == ["a)", "b)"] and len(items) == len(set(items)) >= 4
    # an item after one left out for length says so
    assert all(line.startswith("… ") for line in lines if line.lstrip("… ")[:2] in {"d)"} and "c)" not in items)


def test_a_field_named_by_its_label_is_read_from_the_named_procedure(engine):
    basis = engine.ask("Theo Quyết định 1378/QĐ-BNV, căn cứ pháp lý của các thủ tục hành chính nội bộ là văn bản nào?")
    assert "283/2025/NĐ-CP" in basis.answer
    deadline = engine.ask(
        "Theo Quyết định 1378/QĐ-BNV, thời hạn giải quyết thủ tục thẩm định việc chuyển giao "
        "đơn vị sự nghiệp công lập giữa các bộ là bao lâu?"
    )
    assert "15 (mười lăm) ngày" in deadline.answer
    assert "Thủ tục thẩm định việc chuyển giao" in deadline.citations[0].section


def test_only_lettered_field_headings_count_as_labels(engine):
    from answer.lookups import labelled_sentences
    from ingest.models import Passage

    passages = engine.retriever.passages
    fields = labelled_sentences("Căn cứ pháp lý của thủ tục hành chính nội bộ này là gì?", passages)
    assert fields and all(p.section.endswith("l) Căn cứ pháp lý của thủ tục hành chính") for p, _ in fields)
    topic = Passage("x#0", "x", "Quy chế", "x.md", "Cấp bảng điểm sinh viên", None, "Trong quá trình học …", (0, 1))
    assert labelled_sentences("Khi nào được cấp bảng điểm sinh viên?", [topic]) == []


def test_measure_words_fold_generic_heads_and_i_y_spelling():
    from answer.constraints import measure_missing

    assert measure_missing("1 tín chỉ có mấy tiết lí thuyết?", "15 tiết học lý thuyết") == []
    assert measure_missing("Số lượng tín chỉ tối thiểu là bao nhiêu?", "từ 30 tín chỉ trở lên, tối thiểu") == []
