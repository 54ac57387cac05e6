"""Resource limits on generated hostile files: zip bombs, huge parts, endless text, repetition."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ingest import limits
from ingest.pipeline import parse_file
from ingest.readers import read_source
from ingest.source import IngestError
from reformqa.questions import MAX_QUESTION_CHARS, QuestionError, check_question
from tests.conftest import ROOT
from tests.docgen import make_docx

PARAGRAPH = b"<w:p><w:r><w:t>C\xe1\xba\xa3i c\xc3\xa1ch h\xc3\xa0nh ch\xc3\xadnh.</w:t></w:r></w:p>"


def _zip_bomb(path: Path, megabytes: int) -> Path:
    """A .docx whose document.xml unpacks to ``megabytes`` MB (the file itself is a few hundred KB)."""
    good = make_docx(path.with_name("mau.docx"), ["Nội dung."])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "word/document.xml":
                dst.writestr(item, src.read(item.filename))
        with dst.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            block = PARAGRAPH * (1024 * 1024 // len(PARAGRAPH))
            for _ in range(megabytes):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return path


def test_zip_bomb_docx_is_refused_without_unpacking_it(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bom.docx", 200)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # small on disk, under the upload limit
    probe = (  # VmHWM: this process's peak memory since exec (ru_maxrss would count its parent's)
        "import re, sys\n"
        "from ingest.readers import read_source\n"
        "from ingest.source import IngestError\n"
        "try:\n    read_source(sys.argv[1])\nexcept IngestError as exc:\n    print(exc)\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=300,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    message, peak_mb = out.stdout.strip().splitlines()
    assert message.startswith("bom.docx:") and "not a normal Word document" in message, message
    assert "200 MB" in message and "save it again" in message and "lưu lại" in message
    assert int(peak_mb) < 250, f"reading the bomb took {peak_mb} MB"  # a 200 MB part was never unpacked


def test_docx_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "nhieu-phan.docx", ["Nội dung."])
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(limits.MAX_DOCX_PARTS):
            zf.writestr(f"word/media/anh{i}.bin", b"x")
    with pytest.raises(IngestError, match="parts") as info:
        read_source(path)
    assert "nhieu-phan.docx" in str(info.value)


def test_huge_text_run_in_docx_is_explained_without_parser_jargon(tmp_path: Path) -> None:
    """libxml2 refuses a text node over 10 MB with 'try XML_PARSE_HUGE'; the user sees plain words."""
    path = tmp_path / "mot-doan-lon.docx"
    good = make_docx(tmp_path / "mau.docx", ["Nội dung."])
    text = b"ab " * (4 * 1024 * 1024)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"N\xe1\xbb\x99i dung.", text)
            dst.writestr(item, data)
    with pytest.raises(IngestError) as info:
        read_source(path)
    message = str(info.value)
    assert "XML_PARSE" not in message and "libxml" not in message.lower()
    assert "not a normal Word document" in message and "10 MB" in message


def test_pdf_past_the_page_limit_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(limits.MAX_PDF_PAGES + 1):
        writer.add_blank_page(width=200, height=200)
    path = tmp_path / "qua-nhieu-trang.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(IngestError, match="pages") as info:
        read_source(path)
    assert "split" in str(info.value) and "chia nhỏ" in str(info.value)


def test_text_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qua-dai.txt"
    path.write_bytes(b"van ban " * (limits.MAX_TEXT_CHARS // 8 + 1))
    with pytest.raises(IngestError, match="million characters"):
        read_source(path)


def test_one_huge_token_is_cut_before_it_can_reach_the_embedder(tmp_path: Path) -> None:
    path = tmp_path / "mot-tu.txt"
    path.write_text("Báo cáo tháng 6.\n\n" + "x" * 2_000_000 + "\n", encoding="utf-8")
    doc = parse_file(path)
    assert max(len(p.text) for p in doc.passages) < 1_000
    assert any("without a space cut" in n for n in doc.notices)


def test_long_text_without_sentence_ends_is_split_into_bounded_passages(tmp_path: Path) -> None:
    path = tmp_path / "khong-cham.txt"
    words = " ".join(f"mục{i}" for i in range(20_000))  # 150,000 characters, no sentence end
    path.write_text(f"Danh sách\n\n{words}\n", encoding="utf-8")
    doc = parse_file(path)
    assert len(doc.passages) >= len(words) // limits.MAX_SENTENCE_CHARS
    assert max(len(p.text) for p in doc.passages) <= limits.MAX_SENTENCE_CHARS


def test_a_repeated_paragraph_is_indexed_once(tmp_path: Path) -> None:
    para = "Năm 2019, Chỉ số cải cách hành chính của tỉnh đạt 75,12%, xếp thứ 40/63. Tỉnh tiếp tục cải cách. "
    path = tmp_path / "lap-lai.txt"
    path.write_text(para * 4_000, encoding="utf-8")  # one line, 400 KB
    doc = parse_file(path)
    assert len(doc.passages) <= 3
    assert any("repeated passage" in n for n in doc.notices)


def test_a_document_adds_at_most_the_passage_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_PASSAGES_PER_DOCUMENT", 40)
    path = tmp_path / "nhieu-dong.txt"
    path.write_text("\n\n".join(f"Mục {i}: hồ sơ số {i * 7919 % 10007} đã được tiếp nhận." for i in range(3_000)),
                    encoding="utf-8")
    doc = parse_file(path)
    assert len(doc.passages) == 40
    assert any("only the first 40" in n and "split the file" in n for n in doc.notices)


@pytest.mark.slow
def test_a_huge_repetitive_file_does_not_change_the_known_answer(corpus_store: Path, tmp_path: Path) -> None:
    """The issue's case: one big file of a repeated paragraph, added to the corpus, used to turn
    the known question into a confident wrong answer."""
    from answer.engine import Engine
    from index.builder import ingest

    store = tmp_path / "store"
    shutil.copytree(corpus_store, store)
    para = (
        "Năm 2019, Chỉ số cải cách hành chính của tỉnh đạt 75,12%, xếp thứ 40/63 tỉnh, thành phố. "
        "Tỉnh tiếp tục đẩy mạnh cải cách thủ tục hành chính, nâng cao chất lượng phục vụ người dân. "
    )
    big = tmp_path / "them" / "lap-lai.txt"
    big.parent.mkdir()
    big.write_text(para * (2_000_000 // len(para)), encoding="utf-8")  # one 2.6 MB line
    report = ingest([big], store)
    assert report.ok and len(report.added) == 1
    assert any("repeated passage" in w for _, w in report.warnings)
    answer = Engine.from_store(store).ask("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?")
    assert "81,84%" in answer.answer and not answer.abstained


def test_question_limits() -> None:
    assert check_question("  Chỉ số CCHC?  ") == "Chỉ số CCHC?"
    with pytest.raises(QuestionError, match="Vui lòng nhập câu hỏi"):
        check_question("   ")
    with pytest.raises(QuestionError, match="quá dài") as info:
        check_question("a" * (MAX_QUESTION_CHARS + 1))
    assert "too long" in str(info.value)


def test_cli_refuses_an_empty_or_huge_question_before_loading_the_index(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REFORMQA_STORE": str(tmp_path / "khong-co")}
    for question, words in (("  ", "empty"), ("câu hỏi " * 7_500, "too long")):
        out = subprocess.run([sys.executable, "-m", "reformqa.cli", "ask", question, "--json"],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert out.returncode == 2 and words in out.stderr, out.stderr
        assert "no index" not in out.stderr and "Traceback" not in out.stderr  # the index was never opened
        assert not out.stdout.strip() or json.loads(out.stdout) is None


def test_ten_thousand_footnotes_are_parsed_and_each_linked(tmp_path: Path) -> None:
    """One of the issue's stalls: a markdown file with 10,000 footnotes."""
    body = "\n\n".join(f"Câu thứ {i} nói về cải cách hành chính[^{i}]." for i in range(1, 10_001))
    notes = "\n".join(f"[^{i}]: Quyết định số {i}/QĐ-UBND ngày 01/01/2020" for i in range(1, 10_001))
    path = tmp_path / "nhieu-chu-thich.md"
    path.write_text(f"# Báo cáo\n\n{body}\n\n{notes}\n", encoding="utf-8")
    doc = parse_file(path)
    assert len(doc.footnotes) == 10_000
    linked = sorted(f.number for p in doc.passages for f in p.footnotes)
    assert linked == list(range(1, 10_001))
    assert len(doc.passages) <= limits.MAX_PASSAGES_PER_DOCUMENT
