"""The chat app end to end over HTTP: a real index, a real server on loopback, gradio_client.

The server (and the small index it serves) is started once per session by
:func:`shared_live_app`; ``tests/test_browser.py`` drives the same server in Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# No telemetry from gradio / gradio_client: the tests run offline, on loopback only.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
SUBSET = [
    ROOT / "corpus" / "bac-giang-bao-cao-cchc-6-thang-dau-2020.txt",
    ROOT / "corpus" / "luat-can-bo-cong-chuc-80-2025-qh15.md",
]
Q_INDEX = "Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?"
Q_UNANSWERABLE = "Chỉ số CCHC năm 2023 của tỉnh Hà Giang là bao nhiêu?"
LAW_ID = "luat-can-bo-cong-chuc-80-2025-qh15.md"
REPORT_ID = "bac-giang-bao-cao-cchc-6-thang-dau-2020.txt"


# --------------------------------------------------------------------------------------------
# One live server per session, shared with test_browser.py
# --------------------------------------------------------------------------------------------


@dataclass
class LiveApp:
    url: str
    store: Path
    corpus: Path
    demo: object
    started_in: float


_live: LiveApp | None = None
_live_lock = threading.Lock()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_live_app(tmp_path_factory: pytest.TempPathFactory) -> LiveApp:
    """Index two real corpus documents into a tmp store and serve the app on 127.0.0.1."""
    global _live
    with _live_lock:
        if _live is not None:
            return _live
        import app
        from index.builder import ingest

        t0 = time.perf_counter()
        base = tmp_path_factory.mktemp("app")
        corpus, store = base / "corpus", base / "store"
        corpus.mkdir()
        for path in SUBSET:
            shutil.copy(path, corpus)
        report = ingest([corpus], store)
        assert report.ok, report.failed
        demo = app.build_app(store)
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        _live = LiveApp(f"http://127.0.0.1:{port}/", store, corpus, demo, time.perf_counter() - t0)
        return _live


def stop_live_app() -> None:
    global _live
    with _live_lock:
        if _live is not None:
            _live.demo.close()
            _live = None


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    yield shared_live_app(tmp_path_factory)
    stop_live_app()


@pytest.fixture()
def client(live_app: LiveApp):
    """A fresh client: a new session, so an empty conversation."""
    from gradio_client import Client

    c = Client(live_app.url, verbose=False, analytics_enabled=False)
    yield c
    c.close()


def ask(client, question: str, documents: list[str] | None = None) -> dict:
    chat, sources, box, status = client.predict(question, documents or [], api_name="/ask")
    return {"chat": chat, "sources": sources, "box": box, "status": status, "answer": last_answer(chat)}


def last_answer(chat: list[dict]) -> str:
    if not chat:
        return ""
    content = chat[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def upload(client, path: Path) -> tuple[str, list[str]]:
    from gradio_client import handle_file

    message, documents, *_ = client.predict([handle_file(str(path))], api_name="/upload")
    return message, [doc_id for _, doc_id in documents["choices"]]


# --------------------------------------------------------------------------------------------
# Pure helpers (no server)
# --------------------------------------------------------------------------------------------


def test_parse_auth(tmp_path: Path) -> None:
    from app import parse_auth

    assert parse_auth(None) is None
    assert parse_auth("  ") is None
    assert parse_auth("an:mật-khẩu,binh:p:w") == [("an", "mật-khẩu"), ("binh", "p:w")]
    users = tmp_path / "users.txt"
    users.write_text("# tài khoản\nan:1\n\nbinh:2\n", encoding="utf-8")
    assert parse_auth(str(users)) == [("an", "1"), ("binh", "2")]
    with pytest.raises(ValueError):
        parse_auth("chi-co-ten")


def test_rendering_escapes_and_links_markers() -> None:
    from reformqa.render import render_answer, render_sources

    md = render_answer("Giá trị <b>*x*</b> đạt 81,84% [1], xem [2].", turn=3, known={1})
    assert "[[1]](#cite-3-1)" in md
    assert "<b>" not in md and "&lt;b&gt;" in md and "\\*x\\*" in md
    assert "(#cite-3-2)" not in md  # a marker with no source stays plain text

    text = "Năm 2024 đã số hóa 12.345 hồ sơ [1]\n1. Điều một [1]"
    md = render_answer(text, turn=1, known={1}, highlights=[(19, 25)])
    assert "**12.345** hồ sơ" in md  # a bold figure mid-line is not a list item
    assert "\n1\\. Điều một" in md  # a real line start is

    passage = "Câu đầu. Câu <script>được</script> trích¹. Câu sau."
    quote = "Câu <script>được</script> trích¹."
    start = passage.index(quote)
    turn = {
        "question": "Hỏi <i>gì</i>?",
        "answer": "Trả lời [1]",
        "citations": [
            {
                "n": 1, "document": "Văn bản <A>", "source": "a.md", "section": "Chương I > Điều 2. Phạm vi",
                "article": "Điều 2", "quote": quote, "footnotes": [{"number": 1, "text": "Ghi chú <x>"}],
                "passage_text": passage, "quote_span": [start, start + len(quote)],
            }
        ],
    }
    html = render_sources([turn])
    assert 'id="cite-1-1"' in html and 'class="citation"' in html
    assert "<script>" not in html and "<A>" not in html and "<x>" not in html and "<i>" not in html
    assert "<mark>Câu &lt;script&gt;được&lt;/script&gt; trích¹.</mark>" in html
    assert "Điều 2. Phạm vi" in html and "Ghi chú &lt;x&gt;" in html

    from reformqa.render import answer_status

    assert answer_status(0.14, False, 0.9035) == "Trả lời trong 0,1 giây; độ tin cậy ước tính: 90 %."
    assert answer_status(1.26, True, 0.2) == "Trả lời trong 1,3 giây."


def test_missing_index_is_built_from_the_corpus_folder(tmp_path: Path) -> None:
    from app import ensure_index
    from index import store as index_store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ghi-chu.md").write_text(
        "# Ghi chú\n\nNăm 2024, xã Tân Dĩnh tiếp nhận 321 hồ sơ trực tuyến.\n", encoding="utf-8"
    )
    store = tmp_path / "store"
    ensure_index(store, corpus)
    assert index_store.exists(store)
    build = index_store.current_build(store)
    ensure_index(store, corpus)  # an existing index is left alone
    assert index_store.current_build(store) == build


# --------------------------------------------------------------------------------------------
# Through the HTTP API of the running app
# --------------------------------------------------------------------------------------------


def test_endpoints_are_named(client) -> None:
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/ask", "/new_chat", "/upload", "/feedback"} <= names


def test_answer_with_citation_and_highlighted_quote(client) -> None:
    r = ask(client, Q_INDEX)
    assert "81,84%" in r["answer"]
    assert "[1]" in r["answer"]
    assert "(#cite-1-1)" in r["answer"]  # [1] links to its source in the panel
    assert r["box"] == ""  # the question box is cleared
    sources = r["sources"]
    assert 'id="cite-1-1"' in sources and 'class="citation"' in sources
    mark = sources[sources.index("<mark>") : sources.index("</mark>")]
    assert "81,84%" in mark
    assert "Báo cáo Kết quả công tác cải cách hành chính" in sources
    assert re.search(r"độ tin cậy ước tính: (\d+) %", r["status"])  # how likely the answer is right


def test_unanswerable_question_abstains(client) -> None:
    r = ask(client, Q_UNANSWERABLE)
    assert "Không tìm thấy" in r["answer"]
    assert "Các đoạn gần nhất" in r["sources"]
    assert 'class="citation"' in r["sources"] and "<mark>" not in r["sources"]  # nothing is quoted
    assert "độ tin cậy" not in r["status"]  # an abstention gives no confidence


def test_empty_question_is_a_friendly_message(client) -> None:
    r = ask(client, "   ")
    assert "Vui lòng nhập câu hỏi" in r["status"]
    assert r["chat"] == []


def test_followup_uses_history_and_shows_the_rewritten_question(client) -> None:
    first = ask(client, Q_INDEX)
    assert "81,84%" in first["answer"]
    r = ask(client, "Còn năm 2018 thì sao?")
    assert len(r["chat"]) == 4
    assert "Câu hỏi được hiểu là" in r["answer"] and "2018" in r["answer"]
    # Earlier answer's sources stay reachable, under their own ids.
    assert 'id="cite-1-1"' in r["sources"] and 'id="cite-2-1"' in r["sources"]
    chat, sources, _, _ = client.predict(api_name="/new_chat")
    assert chat == [] and "cite-" not in sources


def test_documents_filter_limits_the_search(client) -> None:
    r = ask(client, Q_INDEX, documents=[LAW_ID])
    assert "81,84%" not in r["answer"]
    assert "bac-giang" not in r["sources"]  # only the law's passages were searched
    r = ask(client, "Hình thức kỷ luật đối với công chức gồm những gì?", documents=[LAW_ID])
    assert "Buộc thôi việc" in r["answer"]
    assert "Điều 36" in r["sources"]


def test_upload_then_ask_about_it(client, live_app: LiveApp, tmp_path: Path) -> None:
    doc = tmp_path / "thong-bao-so-hoa-tan-yen.md"
    doc.write_text(
        "# Thông báo số 777/TB-UBND về kết quả số hóa hồ sơ\n\n"
        "## I. Kết quả\n\n"
        "Trong năm 2024, Ủy ban nhân dân huyện Tân Yên đã số hóa 12.345 hồ sơ thủ tục hành chính "
        "cho người dân trên địa bàn.\n\n"
        "Việc số hóa giúp giảm thời gian giải quyết hồ sơ.\n",
        encoding="utf-8",
    )
    message, documents = upload(client, doc)
    assert message.startswith("**Đã thêm thong-bao-so-hoa-tan-yen.md**"), message
    assert "thong-bao-so-hoa-tan-yen.md" in message
    assert "uploads/thong-bao-so-hoa-tan-yen.md" in documents and LAW_ID in documents
    assert (live_app.store / "uploads" / doc.name).is_file()
    r = ask(client, "Năm 2024 huyện Tân Yên đã số hóa bao nhiêu hồ sơ thủ tục hành chính?")
    assert "12.345" in r["answer"], r["answer"]
    assert "thong-bao-so-hoa-tan-yen.md" in r["sources"]
    # The same file again changes nothing.
    again, _ = upload(client, doc)
    assert "đã có trong chỉ mục" in again


def test_bad_upload_is_reported_and_the_index_survives(client, live_app: LiveApp, tmp_path: Path) -> None:
    before = ask(client, Q_INDEX)
    assert "81,84%" in before["answer"]
    bad = tmp_path / "x.pdf"
    bad.write_bytes(os.urandom(4096))
    message, documents = upload(client, bad)
    assert "Không đọc được tệp x.pdf" in message
    assert "giữ nguyên" in message
    assert not (live_app.store / "uploads" / "x.pdf").exists()
    assert LAW_ID in documents and REPORT_ID in documents
    client.predict(api_name="/new_chat")
    after = ask(client, Q_INDEX)
    assert "81,84%" in after["answer"]


def test_upload_limits(client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "lon.txt"
    big.write_text("Báo cáo.\n" * 2000, encoding="utf-8")
    monkeypatch.setenv("REFORMQA_MAX_UPLOAD_MB", "0.001")
    message, _ = upload(client, big)
    assert "quá lớn" in message
    monkeypatch.delenv("REFORMQA_MAX_UPLOAD_MB")
    empty = tmp_path / "rong.md"
    empty.write_bytes(b"")
    message, _ = upload(client, empty)
    assert "rỗng" in message


def test_feedback_is_stored_in_sqlite(client, live_app: LiveApp) -> None:
    assert client.predict(-1, True, api_name="/feedback") == "Chưa có câu trả lời nào để đánh giá."
    r = ask(client, Q_INDEX)
    assert "81,84%" in r["answer"]
    assert client.predict(-1, False, api_name="/feedback") == "Cảm ơn phản hồi của bạn!"
    assert client.predict(1, True, api_name="/feedback") == "Cảm ơn phản hồi của bạn!"  # message index 1
    with sqlite3.connect(live_app.store / "feedback.sqlite3") as con:
        rows = con.execute(
            "SELECT ts, question, answer, liked, citations_json FROM feedback WHERE question = ? ORDER BY rowid",
            (Q_INDEX,),
        ).fetchall()
    assert [row[3] for row in rows][-2:] == [0, 1]
    ts, question, answer, _, citations_json = rows[-1]
    assert ts and question == Q_INDEX and "81,84%" in answer and "[1]" in answer
    citations = json.loads(citations_json)
    assert citations[0]["n"] == 1 and "81,84%" in citations[0]["quote"]


# --------------------------------------------------------------------------------------------
# Nobody blocked: long questions refused at once, questions answered side by side
# --------------------------------------------------------------------------------------------

CONCURRENT = [
    Q_INDEX,
    "Hình thức kỷ luật đối với công chức gồm những gì?",
    "Cấp tỉnh tiếp nhận bao nhiêu hồ sơ?",
    Q_UNANSWERABLE,
]


def test_a_huge_question_is_refused_at_once(client) -> None:
    """The issue's case: a 60,000-character question held the only worker for 140 s."""
    r = ask(client, "Chỉ số cải cách hành chính? " * 2_200)
    assert "quá dài" in r["status"] and "too long" in r["status"]
    assert r["chat"] == []


def test_questions_from_several_users_at_once_get_the_answers_each_gets_alone(live_app: LiveApp) -> None:
    """Four users ask at once; the app answers several questions side by side (uploads one at a
    time), and each user gets the answer the question gets alone."""
    from gradio_client import Client

    import app

    fns = live_app.demo.fns.values() if isinstance(live_app.demo.fns, dict) else live_app.demo.fns
    limits = {f.api_name: f.concurrency_limit for f in fns}
    assert limits["ask"] == app.ask_concurrency() > 1 and limits["upload"] == 1
    clients = [Client(live_app.url, verbose=False, analytics_enabled=False) for _ in CONCURRENT]
    try:
        alone = [ask(c, q)["answer"] for c, q in zip(clients, CONCURRENT)]
        for c in clients:
            c.predict(api_name="/new_chat")
        jobs = [c.submit(q, [], api_name="/ask") for c, q in zip(clients, CONCURRENT)]
        together = [last_answer(job.result(timeout=300)[0]) for job in jobs]
        assert together == alone
    finally:
        for c in clients:
            c.close()


def test_a_question_is_answered_while_another_user_uploads_a_document(live_app: LiveApp, tmp_path: Path) -> None:
    """An upload is embedded for seconds; a question asked meanwhile does not wait behind it."""
    from gradio_client import Client, handle_file

    doc = tmp_path / "bao-cao-dai-yen-dung.md"
    doc.write_text("# Báo cáo số 321/BC-UBND về cải cách hành chính huyện Yên Dũng\n\n" + "\n\n".join(
        f"Trong tháng {m % 12 + 1} năm {2010 + m // 12}, xã thứ {m} của huyện Yên Dũng tiếp nhận {100 + 7 * m} hồ sơ, "
        f"giải quyết đúng hạn {90 + m % 10} hồ sơ và số hóa {40 + m} hồ sơ thủ tục hành chính." for m in range(120)),
        encoding="utf-8")
    uploader = Client(live_app.url, verbose=False, analytics_enabled=False)
    reader = Client(live_app.url, verbose=False, analytics_enabled=False)
    try:
        job = uploader.submit([handle_file(str(doc))], api_name="/upload")
        deadline = time.monotonic() + 60
        while not (live_app.store / "uploads" / doc.name).is_file() and time.monotonic() < deadline:
            time.sleep(0.02)  # bounded: the upload has begun once its file is kept in the store
        assert not job.done(), "the upload finished too fast to show anything"
        answer = ask(reader, Q_INDEX)["answer"]
        assert not job.done(), "the question waited for the upload to finish"
        assert "81,84%" in answer
        message = job.result(timeout=300)[0]
        assert "Đã thêm" in message, message
    finally:
        uploader.close()
        reader.close()


def test_an_upload_shows_in_the_document_filter_of_pages_already_open(live_app: LiveApp, tmp_path: Path) -> None:
    from gradio_client import Client

    uploader = Client(live_app.url, verbose=False, analytics_enabled=False)
    reader = Client(live_app.url, verbose=False, analytics_enabled=False)  # a page opened before the upload
    try:
        doc = tmp_path / "thong-bao-luc-ngan.md"
        doc.write_text("# Thông báo số 88/TB-UBND\n\nNăm 2024, huyện Lục Ngạn số hóa 2.468 hồ sơ.\n", encoding="utf-8")
        message, _ = upload(uploader, doc)
        assert "Đã thêm" in message
        update = reader.predict(api_name="/documents")
        choices = update[0] if isinstance(update, (list, tuple)) else update
        assert "uploads/thong-bao-luc-ngan.md" in [doc_id for _, doc_id in choices["choices"]]
    finally:
        uploader.close()
        reader.close()
