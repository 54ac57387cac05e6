"""Tests for ingest.readers on real files written to tmp_path (no mocks, no network)."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from ingest.readers import SUPPORTED_SUFFIXES, TCVN3_TO_UNICODE, decode_tcvn3, normalize_text, read_source
from ingest.source import IngestError
from tests.docgen import (
    DEJAVU_SANS,
    PAGE_BREAK,
    TCVN3_ENCODE,
    make_docx,
    make_pdf,
    make_scanned_pdf,
    to_tcvn3,
    write_text,
)

VI = (
    "Ủy ban nhân dân tỉnh đã ban hành Kế hoạch cải cách hành chính năm 2020. "
    "Các cơ quan, đơn vị thực hiện việc tiếp nhận hồ sơ của người dân trong ngày."
)
VI_LONG = (
    f"{VI}\n\nĐiều 1. Phạm vi điều chỉnh\n"
    "Nghị định này quy định về kiểm soát thủ tục hành chính; trách nhiệm của cán bộ, công chức "
    "được giao nhiệm vụ giải quyết thủ tục hành chính cho tổ chức, cá nhân.\n"
)
needs_font = pytest.mark.skipif(not DEJAVU_SANS.is_file(), reason="DejaVu Sans font not installed")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_ingest_error(path: Path, *words: str) -> IngestError:
    with pytest.raises(IngestError) as info:
        read_source(path)
    message = str(info.value)
    assert message.startswith(path.name + ":"), message
    for word in words:
        assert word.lower() in message.lower(), message
    return info.value


# ----------------------------------------------------------------------------- plain text


def test_utf8_nfd_input_becomes_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", VI_LONG)
    assert decomposed != VI_LONG
    path = tmp_path / "bao-cao.txt"
    path.write_bytes(decomposed.encode("utf-8"))
    src = read_source(path)
    assert src.text == VI_LONG
    assert unicodedata.is_normalized("NFC", src.text)
    assert (src.format, src.encoding, src.footnotes, src.path) == ("txt", "utf-8", {}, path)


def test_markdown_is_returned_raw(tmp_path: Path) -> None:
    md = "# Kế hoạch\n\n**Điều 1.** Nội dung[^1]\n\n[^1]: Quyết định số 12/QĐ-UBND\n"
    path = tmp_path / "KE-HOACH.MD"  # suffix is case-insensitive
    path.write_text(md, encoding="utf-8")
    src = read_source(path)
    assert (src.text, src.format, src.footnotes) == (md, "md", {})


@pytest.mark.parametrize(
    ("codec", "expected"),
    [("utf-8-sig", "utf-8"), ("utf-16", "utf-16"), ("utf-16-be", "utf-16")],
)
def test_bom_encodings(tmp_path: Path, codec: str, expected: str) -> None:
    data = VI_LONG.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    src = read_source(path)
    assert src.text == VI_LONG  # BOM stripped
    assert src.encoding == expected


def test_normalisation_of_line_ends_nbsp_and_controls(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("\ufeffDòng\u00a0một\r\nDòng hai\rDòng\x07 ba\tcột\x0cTrang 2".encode())
    assert read_source(path).text == "Dòng một\nDòng hai\nDòng ba\tcột\nTrang 2"
    assert normalize_text("a\u00a0b\u200b\x1bc\u0085\r\n\ufeff") == "a bc\n"


def test_cp1258_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "cu.txt", VI_LONG, "cp1258")
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\xcc" in data or b"\xec" in data  # combining tone marks really used
    src = read_source(path)
    assert src.encoding == "cp1258"
    assert src.text == VI_LONG


def test_tcvn3_file(tmp_path: Path) -> None:
    text = VI_LONG.replace("Ủy", "Uỷ")  # VN3 has no code for a capital with a tone mark
    path = write_text(tmp_path / "abc.txt", text, "tcvn3")
    assert b"c\xf1a" in path.read_bytes()  # "của" in TCVN3
    src = read_source(path)
    assert src.encoding == "tcvn3"
    assert src.text == text


def test_tcvn3_known_bytes() -> None:
    assert decode_tcvn3(b"C\xb8c c\xa9u h\xe1i c\xf1a ng\xad\xeai d\xa9n") == "Các câu hỏi của người dân"
    expected = {0xB5: "à", 0xB8: "á", 0xB6: "ả", 0xB7: "ã", 0xB9: "ạ", 0xA8: "ă", 0xA9: "â", 0xAA: "ê",
                0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ", 0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô",
                0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ", 0xE8: "ố", 0xF9: "ự", 0xFE: "ỵ"}  # fmt: skip
    for byte, char in expected.items():
        assert TCVN3_TO_UNICODE[byte] == char


def test_tcvn3_table_matches_independent_encoder() -> None:
    """The reader's table and docgen's encoder (built by vowel x tone) are exact inverses."""
    assert len(TCVN3_TO_UNICODE) == 12 * 5 + 7 + 7  # toned vowels, ăâêôơưđ, ĂÂÊÔƠƯĐ
    assert {v: k for k, v in TCVN3_TO_UNICODE.items()} == TCVN3_ENCODE
    letters = "".join(sorted(TCVN3_ENCODE))
    assert decode_tcvn3(to_tcvn3(letters)) == letters


def test_tcvn3_upper_case_font_is_restored(tmp_path: Path) -> None:
    text = (
        "BỘ NỘI VỤ\n\nSố: 12/QĐ-BNV\n\nQUYẾT ĐỊNH VỀ VIỆC BAN HÀNH QUY CHẾ\n\n"
        "ĐIỀU 1. Về việc ban hành quy chế của Ủy ban nhân dân tỉnh và các sở."
    )
    path = tmp_path / "vntimeh.txt"
    path.write_bytes(to_tcvn3(text, fold_upper=True))
    src = read_source(path)
    assert src.encoding == "tcvn3"
    assert src.text == text.replace("Ủy", "ủy")  # a lone capital with a tone cannot be recovered


def test_tcvn3_place_names_without_common_words(tmp_path: Path) -> None:
    text = "Bảo Thắng, Mường Khương, Bát Xát, Sa Pa"
    path = write_text(tmp_path / "dia-danh.txt", text, "tcvn3")
    src = read_source(path)
    assert (src.encoding, src.text) == ("tcvn3", text)


def test_latin1_text_without_vietnamese_stays_cp1258(tmp_path: Path) -> None:
    path = tmp_path / "fr.txt"
    path.write_bytes("Le comité a été créé à Genève.".encode("cp1258"))
    src = read_source(path)
    assert (src.encoding, src.text) == ("cp1258", "Le comité a été créé à Genève.")


def test_mostly_utf8_with_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "hong.txt"
    path.write_bytes(VI_LONG.encode() + b"\xff" + VI.encode())
    src = read_source(path)
    assert src.encoding == "utf-8"
    assert src.text.startswith(VI_LONG)


# ----------------------------------------------------------------------------- docx


def test_docx_real_footnotes(tmp_path: Path) -> None:
    # w:ids 7 and 3 appear in that order: numbering follows appearance, not the ids.
    notes = {
        "7": "Quyết định số 1118/QĐ-UBND ngày 03/6/2020",
        "3": "Nghị định số 61/2018/NĐ-CP ngày 23/4/2018",
    }
    path = make_docx(
        tmp_path / "bao-cao.docx",
        [
            "# BÁO CÁO CẢI CÁCH HÀNH CHÍNH",
            "Tỉnh ban hành Kế hoạch[^7] triển khai cơ chế một cửa.",
            "Thực hiện theo Nghị định[^3] về một cửa liên thông.",
        ],
        footnotes=notes,
    )
    src = read_source(path)
    assert src.format == "docx"
    assert src.footnotes == {1: notes["7"], 2: notes["3"]}
    paragraphs = src.text.split("\n\n")
    assert paragraphs == [
        "BÁO CÁO CẢI CÁCH HÀNH CHÍNH",
        "Tỉnh ban hành Kế hoạch¹ triển khai cơ chế một cửa.",
        "Thực hiện theo Nghị định² về một cửa liên thông.",
    ]
    assert "[^" not in src.text


def test_docx_many_footnotes_use_multi_digit_superscripts(tmp_path: Path) -> None:
    notes = {str(i): f"Ghi chú số {i}" for i in range(1, 13)}
    text = " ".join(f"câu {i}[^{i}]." for i in range(1, 13))
    src = read_source(make_docx(tmp_path / "nhieu.docx", [text], footnotes=notes))
    assert "câu 12¹²." in src.text and "câu 9⁹." in src.text
    assert src.footnotes[12] == "Ghi chú số 12"
    assert len(src.footnotes) == 12


def test_docx_table_rows(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "bang.docx",
        ["Kết quả như sau:", "[[table]]", "Hết."],
        table=[["a", "b"], ["Chỉ số", "Điểm"], ["PAR INDEX", "85,5"]],
    )
    src = read_source(path)
    assert src.text.split("\n\n") == [
        "Kết quả như sau:",
        "a | b",
        "Chỉ số | Điểm",
        "PAR INDEX | 85,5",
        "Hết.",
    ]


def test_docx_footnote_inside_table_cell(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "bang-ghi-chu.docx",
        ["Mở đầu[^1]."],
        footnotes={"1": "Ghi chú một", "2": "Ghi chú trong bảng"},
        table=[["Chỉ tiêu[^2]", "100%"]],
    )
    src = read_source(path)
    assert src.text.split("\n\n") == ["Mở đầu¹.", "Chỉ tiêu² | 100%"]
    assert src.footnotes == {1: "Ghi chú một", 2: "Ghi chú trong bảng"}


# ----------------------------------------------------------------------------- pdf


@needs_font
def test_pdf_round_trip(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "bao-cao.pdf", ["BÁO CÁO", VI, PAGE_BREAK, "Trang cuối."])
    src = read_source(path)
    assert (src.format, src.footnotes, src.encoding) == ("pdf", {}, "utf-8")
    assert unicodedata.is_normalized("NFC", src.text)
    assert squash(VI) in squash(src.text)
    first, last = src.text.split("\n\n")  # pages joined by a blank line
    assert squash(first).startswith("BÁO CÁO")
    assert squash(last) == "Trang cuối."


@needs_font
def test_pdf_owner_password_only_is_readable(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "han-che.pdf", [VI], owner_password="chu-so-huu")
    assert squash(VI) in squash(read_source(path).text)


@needs_font
def test_pdf_with_user_password(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "mat-khau.pdf", [VI], owner_password="o", user_password="u")
    assert_ingest_error(path, "encrypted", "password")


@needs_font
def test_scanned_pdf_says_ocr_not_supported(tmp_path: Path) -> None:
    path = make_scanned_pdf(tmp_path / "scan.pdf")
    assert_ingest_error(path, "no text layer", "OCR")


@needs_font
def test_truncated_pdf(tmp_path: Path) -> None:
    full = make_pdf(tmp_path / "full.pdf", [VI] * 5).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(full[: len(full) // 2])
    assert_ingest_error(path, "corrupt")


def test_pdf_garbage(tmp_path: Path) -> None:
    path = tmp_path / "rac.pdf"
    path.write_bytes(
        b"%PDF-1.7\n" + bytes(random.Random(1).randrange(256) for _ in range(4000)) + b"\n%%EOF\n"
    )
    assert_ingest_error(path, "pdf")


# ----------------------------------------------------------------------------- errors


def test_unsupported_extension_names_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "so-lieu.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    err = assert_ingest_error(path, "unsupported", ".xlsx")
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(err)


def test_missing_file(tmp_path: Path) -> None:
    assert_ingest_error(tmp_path / "khong-co.txt", "not found")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "thu-muc.md").mkdir()
    assert_ingest_error(tmp_path / "thu-muc.md", "not a regular file")


@pytest.mark.parametrize("content", [b"", b"  \r\n\t \n", "\ufeff\u00a0\n".encode()])
def test_empty_text_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "rong.txt"
    path.write_bytes(content)
    assert_ingest_error(path, "empty" if not content else "no text")


def test_binary_with_nul_bytes_in_txt(tmp_path: Path) -> None:
    path = tmp_path / "anh.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert_ingest_error(path, "binary", "PNG")


def test_text_with_a_stray_nul_byte_is_read_and_the_byte_reported(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(VI.encode() + b"\x00" + VI.encode())
    src = read_source(path)
    assert src.text == VI + VI and src.encoding == "utf-8"
    assert any("NUL" in n for n in src.notices)


def test_text_full_of_nul_bytes_is_binary_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "nhieu-nul.txt"
    path.write_bytes((VI.encode() + b"\x00\x00\x00") * 40)
    assert_ingest_error(path, "binary", "NUL", "UTF-8")


def test_binary_without_nul_bytes_in_md(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "rac.md"
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(5000)))
    assert_ingest_error(path, "binary")


def test_docx_that_is_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(bytes(random.Random(3).randrange(256) for _ in range(3000)))
    assert_ingest_error(path, "corrupt", "zip")


def test_docx_zip_without_document_xml(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "thieu.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "xin chào")
    assert_ingest_error(path, "corrupt", "document")


def test_docx_with_broken_xml(tmp_path: Path) -> None:
    import zipfile

    good = make_docx(tmp_path / "tot.docx", ["Nội dung."])
    path = tmp_path / "xml-hong.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    assert_ingest_error(path, "corrupt")


def test_old_doc_renamed_to_docx(tmp_path: Path) -> None:
    path = tmp_path / "cu.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert_ingest_error(path, ".doc")


def test_empty_docx(tmp_path: Path) -> None:
    assert_ingest_error(make_docx(tmp_path / "trang.docx", ["", "   "]), "no text")


def test_error_messages_have_no_traceback_text(tmp_path: Path) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x01" * 100)
    err = assert_ingest_error(path)
    assert not re.search(r"Traceback|File \"", str(err))


def _raw_docx(path: Path, body: str, endnotes: str | None = None) -> Path:
    """A minimal hand-written .docx, for WordprocessingML features python-docx cannot write."""
    import zipfile

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="word/main.xml"/></Relationships>',
        )
        zf.writestr("word/main.xml", f"<w:document {w} {mc}><w:body>{body}</w:body></w:document>")
        if endnotes is not None:
            zf.writestr(
                "word/_rels/main.xml.rels",
                f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{rel}/endnotes" Target="notes/en.xml"/></Relationships>',
            )
            zf.writestr("word/notes/en.xml", f"<w:endnotes {w}>{endnotes}</w:endnotes>")
    return path


def test_docx_tracked_changes_hidden_text_text_boxes_and_endnotes(tmp_path: Path) -> None:
    box = "<w:txbxContent><w:p><w:r><w:t>Hộp chữ</w:t></w:r></w:p></w:txbxContent>"
    body = (
        "<w:p><w:r><w:t xml:space='preserve'>Giữ </w:t></w:r>"
        "<w:del><w:r><w:delText>đã xoá </w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t xml:space='preserve'>mới thêm </w:t></w:r></w:ins>"
        "<w:r><w:rPr><w:vanish/></w:rPr><w:t>ẩn</w:t></w:r>"
        "<w:r><w:t>dòng</w:t><w:br/><w:t>hai</w:t><w:endnoteReference w:id='5'/></w:r></w:p>"
        f"<w:p><w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:drawing>{box}</w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
        "<w:sectPr/>"
    )
    notes = (
        "<w:endnote w:type='separator' w:id='-1'><w:p><w:r><w:separator/></w:r></w:p></w:endnote>"
        "<w:endnote w:id='5'><w:p><w:r><w:endnoteRef/></w:r>"
        "<w:r><w:t xml:space='preserve'> Luật số 80/2025/QH15</w:t>"
        "</w:r></w:p></w:endnote>"
    )
    src = read_source(_raw_docx(tmp_path / "thu-cong.docx", body, notes))
    assert src.text == "Giữ mới thêm dòng\nhai¹\n\nHộp chữ"
    assert src.footnotes == {1: "Luật số 80/2025/QH15"}


# ----------------------------------------------------------------------------- legacy and odd encodings


def test_vni_file_is_converted_and_said_so(tmp_path: Path) -> None:
    path = write_text(tmp_path / "vni.txt", VI_LONG, "vni")
    src = read_source(path)
    assert src.text == VI_LONG and src.encoding == "vni"
    assert any("VNI" in n for n in src.notices)


def test_vni_typed_into_a_unicode_file_is_converted(tmp_path: Path) -> None:
    from tests.docgen import to_vni

    path = tmp_path / "vni-unicode.md"
    path.write_text(to_vni(VI_LONG).decode("cp1252"), encoding="utf-8")  # VNI-Times text saved as UTF-8
    src = read_source(path)
    assert src.text == VI_LONG and src.encoding == "vni (utf-8)"


def test_unicode_vietnamese_is_never_taken_for_vni(tmp_path: Path) -> None:
    path = write_text(tmp_path / "unicode.txt", VI_LONG * 3, "utf-8")
    assert read_source(path).text == VI_LONG * 3


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "khong-bom.txt"
    path.write_bytes(VI_LONG.encode(codec))
    src = read_source(path)
    assert src.text == VI_LONG and src.encoding == codec
    assert any("UTF-16" in n for n in src.notices)
