"""Parsing the real corpus: footnotes, page breaks, structure, references, markdown."""

from __future__ import annotations

import json
import re

import pytest

from ingest.metadata import signature
from ingest.pipeline import parse_file
from ingest.references import find_references
from ingest.vietnamese import contains, fold_tone_placement, match_key
from tests.conftest import CORPUS, DECREE_63, LAW_80, REPORT


@pytest.fixture(scope="module")
def report():
    return parse_file(REPORT)


def test_report_has_58_footnotes_each_linked_once(report):
    assert [f.number for f in report.footnotes] == list(range(1, 59))
    linked = [f.number for p in report.passages for f in p.footnotes]
    assert sorted(linked) == list(range(1, 59))
    # definitions are gone from the body
    assert not any(re.search(r"^\s*[¹²³⁴⁵⁶⁷⁸⁹]+\s+(Quyết định|Công văn)", p.text, re.M) for p in report.passages)


def test_footnote_text_travels_with_its_passage(report):
    passage = next(p for p in report.passages if "Tổ công tác²" in p.text)
    assert [f.number for f in passage.footnotes] == [2]
    assert passage.footnotes[0].text == "Quyết định số 1118/QĐ-UBND ngày 03/6/2020"
    assert "1118/QĐ-UBND" in [r.number for r in passage.references]


@pytest.mark.parametrize(
    "joined",
    [
        "đã chú trọng đẩy manh công tác tuyên truyền",
        "Chủ tịch UBND tỉnh đã ban hành Báo cáo số 17/BC-UBND",
        "Kế hoạch số 91-KH/TU ngày 14/01/2020 thực hiện Nghị quyết số 52-NQ/TW",
    ],
)
def test_sentences_broken_by_page_breaks_read_continuously(report, joined):
    assert any(joined in p.text for p in report.passages), joined


def test_report_sections(report):
    sections = {p.section for p in report.passages}
    assert "II. KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH > 2. Cải cách thủ tục hành chính và thực hiện cơ chế một cửa, một cửa liên thông" in sections
    figure = next(p for p in report.passages if "34.881 hồ sơ" in p.text)
    assert figure.section.startswith("II. KẾT QUẢ")


def test_decree_63_has_37_articles_and_law_80_has_45():
    decree = parse_file(DECREE_63)
    assert decree.articles == [f"Điều {i}" for i in range(1, 38)]
    assert decree.metadata["number"] == "63/2010/NĐ-CP"
    assert decree.metadata["type"] == "Nghị định"
    law = parse_file(LAW_80)
    assert law.articles == [f"Điều {i}" for i in range(1, 46)]
    assert law.metadata["number"] == "80/2025/QH15"
    art36 = [p for p in law.passages if p.article == "Điều 36"]
    assert art36 and art36[0].section.startswith("Chương V")
    assert "Khiển trách" in " ".join(p.text for p in art36)


def test_amending_decree_does_not_take_quoted_articles_as_its_own():
    doc = parse_file(CORPUS / "nghi-dinh-48-2013-nd-cp-sua-doi-kiem-soat-tthc.md")
    assert doc.articles == ["Điều 1", "Điều 2", "Điều 3", "Điều 4", "Điều 5"]


def test_markdown_is_cleaned_for_search_and_hard_wraps_joined():
    doc = parse_file(CORPUS / "dak-lak-chi-thi-012-ct-ubnd-2025-cai-cach-tthc.md")
    assert doc.metadata["number"] == "012/CT-UBND"
    assert doc.metadata["date"] == "26/11/2025"
    text = "\n".join(p.text for p in doc.passages)
    assert "**" not in text
    # a sentence wrapped over two source lines reads as one
    assert "tỉnh Đắk Lắk đã có nhiều nỗ lực trong việc triển khai" in text


def test_every_passage_span_points_into_the_source(report):
    source = REPORT.read_text(encoding="utf-8")
    for p in report.passages:
        a, b = p.span
        assert 0 <= a < b <= len(source)
        first_words = " ".join(p.text.split()[:3])
        assert first_words in " ".join(source[a:b].split())


def test_inspect_json_shape(report):
    data = json.loads(json.dumps(report.to_inspect_json(), ensure_ascii=False))
    assert set(data) == {"document", "source", "metadata", "footnotes", "passages"}
    assert set(data["footnotes"][0]) == {"number", "text"}
    assert set(data["passages"][0]) == {"id", "section", "article", "text", "footnotes", "references"}


def test_legal_references_are_structured():
    refs = find_references(
        "theo Quyết định số 1118/QĐ-UBND ngày 03/6/2020 và Nghị định 61/2018/NĐ-CP ngày 23/4/2018"
    )
    assert [(r.kind, r.number, r.date) for r in refs] == [
        ("Quyết định", "1118/QĐ-UBND", "03/6/2020"),
        ("Nghị định", "61/2018/NĐ-CP", "23/4/2018"),
    ]


def test_vietnamese_matching_folds_forms_but_display_keeps_source():
    assert fold_tone_placement("hòa thủy khỏe") == "hoà thuỷ khoẻ"
    assert contains("Hiện đại hoá nền hành chính", "hiện đại hóa")
    nfd = "Ho\u0300a"  # NFD input
    assert match_key(nfd) == match_key("hoà")
    assert match_key("34.881 hồ sơ") == match_key("34,881 hồ sơ")
    assert match_key("81,84%") != match_key("8184%")


def test_a_bold_numbered_paragraph_is_a_heading_even_when_long():
    doc = parse_file(CORPUS / "quyet-dinh-1378-qd-bnv-tthc-noi-bo.md")
    deadline = next(p for p in doc.passages if "Trong 15 (mười lăm) ngày" in p.text)
    # the procedure's full name (over 300 characters, set in bold) heads its fields
    assert "1. Thủ tục thẩm định việc chuyển giao đơn vị sự nghiệp công lập" in deadline.section


def test_a_date_in_the_legal_basis_is_not_the_documents_date():
    # Nghị định 170/2025 has no place-date line; "Căn cứ Luật … ngày 18 tháng 02 năm 2025" is not its date
    doc = parse_file(CORPUS / "nghi-dinh-170-2025-nd-cp-tuyen-dung-cong-chuc.md")
    assert doc.metadata.get("date") != "18/02/2025"
    # its annex heading names it with its date: "(Kèm theo Nghị định số 170/2025/NĐ-CP ngày 30 tháng 6 năm 2025 …)"
    assert doc.metadata["date"] == "30/06/2025"
    assert parse_file(CORPUS / "nghi-dinh-172-2025-nd-cp-ky-luat-can-bo-cong-chuc.md").metadata["date"] == "30/06/2025"


def test_articles_an_amending_decree_writes_are_named_in_the_section_path():
    doc = parse_file(CORPUS / "nghi-dinh-48-2013-nd-cp-sua-doi-kiem-soat-tthc.md")
    check = next(p for p in doc.passages if "định kỳ hàng năm hoặc đột xuất" in p.text)
    assert check.article == "Điều 1"  # the decree's own article
    assert check.section.endswith("“Điều 35a. Kiểm tra việc thực hiện hoạt động kiểm soát thủ tục hành chính”")
    # once the quote closes, the amending article's own clauses are not inside the quoted one
    clause = next(p for p in doc.passages if p.text.startswith("5. Sửa đổi về thời hạn ban hành"))
    assert "“Điều" not in clause.section


@pytest.mark.parametrize(("text", "role", "name"), [
    ("- Lưu: VT, VP.\n|\n**KT. BỘ TRƯỞNG**\nTHỨ TRƯỞNG\nVũ Chiến Thắng\n|", "KT. BỘ TRƯỞNG**\nTHỨ TRƯỞNG", "Vũ Chiến Thắng"),
    ("**TM. ỦY BAN NHÂN\nDÂN**\n**KT. CHỦ TỊCH**\n**PHÓ CHỦ TỊCH**\n**Phạm Văn Thịnh**", None, "Phạm Văn Thịnh"),
    ("| Nơi nhận: - Lưu: Văn thư, TCCV (3b). | TM. CHÍNH PHỦ THỦ TƯỚNG Nguyễn Tấn Dũng |",
     "TM. CHÍNH PHỦ THỦ TƯỚNG", "Nguyễn Tấn Dũng"),
    ("**CHỦ TỊCH QUỐC HỘI**\n\n*(Đã ký)*\n\n**Trần Thanh Mẫn**", "CHỦ TỊCH QUỐC HỘI", "Trần Thanh Mẫn"),
])
def test_a_signature_block_gives_the_signing_title_and_the_signer(text, role, name):
    m = signature(text)
    assert m is not None and m.group("name") == name
    assert role is None or m.group("role") == role


@pytest.mark.parametrize("text", [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
    "BÁO CÁO\nKết quả công tác cải cách hành chính",
    "ỦY BAN NHÂN DÂN TỈNH BẮC NINH\nSố: 141/KH-UBND",
])
def test_a_heading_in_capitals_is_not_a_signature(text):
    assert signature(text) is None


def test_each_signed_document_of_the_corpus_has_its_signer():
    signed = {}
    for path in sorted(CORPUS.iterdir()):
        for passage in parse_file(path).passages:
            m = signature(passage.text)
            if m:
                signed.setdefault(path.name, m.group("name"))
    assert signed["quyet-dinh-1378-qd-bnv-tthc-noi-bo.md"] == "Vũ Chiến Thắng"
    assert signed["luat-can-bo-cong-chuc-80-2025-qh15.md"] == "Trần Thanh Mẫn"
    assert signed["nghi-dinh-48-2013-nd-cp-sua-doi-kiem-soat-tthc.md"] == "Nguyễn Tấn Dũng"
    assert "nghi-dinh-172-2025-nd-cp-ky-luat-can-bo-cong-chuc.md" not in signed  # the text ends unsigned
