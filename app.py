"""ReformQA chat app: a thin Gradio layer (Vietnamese UI) over :class:`answer.engine.Engine`.

Only wiring lives here: questions are checked by :mod:`reformqa.questions`, answered by the
engine of :mod:`reformqa.live` (reloaded when the index changes), rendered by
:mod:`reformqa.render`; uploads go through :mod:`reformqa.uploads` (under the store's writer
lock) and votes into :mod:`reformqa.feedback`. Several questions are answered at once; uploads
are taken one at a time. An answer is shown whole as soon as it is ready (it is extractive and
takes well under a second): streaming it in pieces only made everyone wait longer under load.

Environment:
    REFORMQA_HOST           address to bind (default 127.0.0.1)
    REFORMQA_PORT           port (default 7860)
    REFORMQA_AUTH           "user:pass,user2:pass2" or the path of a file with one user:pass a line
    REFORMQA_MAX_UPLOAD_MB  largest accepted upload in MB (default 20)
    REFORMQA_CONCURRENCY    questions answered at the same time (default 8)
    REFORMQA_STORE          index folder (default storage/), or ``reformqa serve --store``
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

# An offline tool: no usage analytics or version checks (read by gradio and gradio_client).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from answer.engine import EmptyQuestionError
from index import store as index_store
from index.builder import ingest
from index.progress import IngestStep
from index.store import store_dir
from ingest.readers import SUPPORTED_SUFFIXES
from reformqa.feedback import FeedbackStore
from reformqa.live import LiveEngine
from reformqa.questions import QuestionError, check_question
from reformqa.render import (
    EMPTY_SOURCES,
    SOURCES_CSS,
    SOURCES_JS,
    answer_status,
    citation_record,
    megabytes,
    render_chat,
    render_sources,
    upload_message,
)
from reformqa.runtime import one_blas_thread
from reformqa.uploads import add_upload

log = logging.getLogger("reformqa.app")

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_CONCURRENCY = 8
REFRESH_SECONDS = 5.0  # how often an open page checks for documents added elsewhere

EXAMPLES = [
    "Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?",
    "Tổ công tác tiếp nhận phản ánh của doanh nghiệp được thành lập theo quyết định nào?",
    "Hình thức kỷ luật đối với công chức gồm những gì?",
]

MSG_SEARCHING = "Đang tìm trong tài liệu…"
MSG_ERROR = "Xin lỗi, đã có lỗi khi trả lời câu hỏi này. Vui lòng thử lại hoặc đặt câu hỏi khác."
MSG_THANKS = "Cảm ơn phản hồi của bạn!"
MSG_NO_ANSWER_TO_RATE = "Chưa có câu trả lời nào để đánh giá."

# Gradio ships Source Sans Pro SemiBold (600) as a 55-glyph Latin subset, so semi-bold
# Vietnamese text mixes fonts letter by letter; serve the full Bold face for weight 600.
FONT_FIX = """<style>
@font-face { font-family: 'Source Sans Pro'; font-weight: 600; font-style: normal;
  src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2'); }
</style>"""


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """``REFORMQA_AUTH``: "user:pass,user2:pass2" or a file with one "user:pass" a line."""
    if not value or not value.strip():
        return None
    value = value.strip()
    path = Path(value).expanduser()
    if path.is_file():
        entries = path.read_text(encoding="utf-8").splitlines()
    else:
        entries = value.split(",")
    pairs = []
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise ValueError(f"REFORMQA_AUTH: expected user:pass, got {entry.split(':')[0]!r}…")
        pairs.append((user.strip(), password))
    return pairs or None


def _number_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default


def max_upload_mb() -> float:
    return _number_env("REFORMQA_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)


def ask_concurrency() -> int:
    return max(1, int(_number_env("REFORMQA_CONCURRENCY", DEFAULT_CONCURRENCY)))


def ensure_index(store: Path, corpus: Path = CORPUS) -> None:
    """Build the index from ``corpus`` if ``store`` has none yet."""
    if index_store.exists(store):
        return
    log.info("no index in %s: building it from %s (this takes a minute or two)", store, corpus)
    report = ingest([corpus], store, progress=lambda step: log.info("%s", step.describe()))
    for _, reason in report.failed:
        log.warning("not indexed: %s", reason)
    if not index_store.exists(store):
        raise index_store.IndexMissingError(f"could not build an index in {store} from {corpus}")
    log.info("index ready: %d passages", report.passages)


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------


def build_app(store: Path) -> gr.Blocks:
    """The chat app over the index in ``store`` (built from ``corpus/`` if missing)."""
    store = Path(store)
    ensure_index(store)
    live = LiveEngine(store)
    feedback_store = FeedbackStore.in_store(store)

    def ask(question: str, documents: list[str] | None, turns: list[dict[str, Any]]):
        turns = list(turns or [])
        try:
            question = check_question(question)
        except QuestionError as exc:
            yield render_chat(turns), render_sources(turns), gr.skip(), str(exc), turns
            return
        pending = {"question": question, "answer": MSG_SEARCHING, "error": True}
        yield render_chat([*turns, pending]), render_sources(turns), "", "", turns
        history = [(t["question"], t["answer"]) for t in turns if not t.get("error")]
        started = time.perf_counter()
        try:
            result = live.engine.ask(question, documents=list(documents or []) or None, history=history)
        except EmptyQuestionError as exc:
            yield render_chat(turns), render_sources(turns), "", str(exc), turns
            return
        except Exception:
            log.exception("answering %r failed", question)
            turn = {"question": question, "answer": MSG_ERROR, "error": True, "citations": []}
            turns.append(turn)
            yield render_chat(turns), render_sources(turns), "", "", turns
            return
        elapsed = time.perf_counter() - started
        log.info("answered in %.1f s (abstained=%s): %s", elapsed, result.abstained, question[:80])
        turn = {
            "question": question,
            "answer": result.answer,
            "abstained": result.abstained,
            "rewritten": result.rewritten,
            "citations": [citation_record(c) for c in result.citations],
            "highlights": [list(span) for span in result.highlights],
        }
        turns.append(turn)
        status = answer_status(elapsed, result.abstained, result.confidence)
        yield render_chat(turns), render_sources(turns), "", status, turns

    def pick_example(event: gr.SelectData) -> str:
        value = event.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    def new_chat():
        return [], EMPTY_SOURCES, "", "", []

    def record(turns: list[dict[str, Any]], index: int, liked: bool) -> str:
        rated = [t for t in (turns or []) if not t.get("error")]
        if not rated:
            return MSG_NO_ANSWER_TO_RATE
        if index is None or int(index) < 0:
            turn = rated[-1]
        else:
            i = int(index) // 2  # chat messages alternate question, answer
            if i >= len(turns) or turns[i].get("error"):
                return MSG_NO_ANSWER_TO_RATE
            turn = turns[i]
        feedback_store.add(turn["question"], turn["answer"], liked, turn.get("citations", []))
        return MSG_THANKS

    def on_like(turns: list[dict[str, Any]], data: gr.LikeData) -> str:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        vote = data.liked.lower() if isinstance(data.liked, str) else data.liked
        if vote in (True, "like"):
            return record(turns, index, True)
        if vote in (False, "dislike"):
            return record(turns, index, False)
        return ""  # the thumb was clicked off again: nothing to record

    def feedback(index: float, liked: bool, turns: list[dict[str, Any]]) -> str:
        return record(turns, int(index) if index is not None else -1, bool(liked))

    def document_list(shown: str | None = None):
        """The filter's choices and the build they come from; nothing when the page is current."""
        build = live.refresh()
        if shown is not None and shown == build:
            return gr.skip(), gr.skip()
        return gr.update(choices=live.document_choices()), build

    def upload(files: Any, progress: gr.Progress = gr.Progress()):  # noqa: B008 (gradio injects it)
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        if not paths:
            return "Chưa chọn tệp nào.", *document_list()

        def step(s: IngestStep) -> None:
            progress((s.done, s.total), desc=s.describe_vi())

        def waiting(holder: str) -> None:
            progress(0, desc="Đang chờ một lần cập nhật chỉ mục khác kết thúc…")

        messages = []
        for p in paths:
            result = add_upload(store, Path(p), max_bytes=int(max_upload_mb() * 1024 * 1024),
                                progress=step, on_wait=waiting)
            doc = next((d for d in live.documents() if d["id"] == result.doc_id), None) if result.changed else None
            messages.append(upload_message(result, doc["title"] if doc else "", doc["passages"] if doc else 0))
        return "\n\n".join(messages), *document_list()

    with gr.Blocks(title="ReformQA — Hỏi đáp cải cách hành chính", analytics_enabled=False) as demo:
        turns = gr.State([])
        shown_build = gr.State(live.build)
        gr.Markdown(
            "## ReformQA — Hỏi đáp tài liệu cải cách hành chính\n"
            "Trả lời từ các báo cáo và văn bản pháp luật đã nạp, kèm trích dẫn [n] tới đoạn văn gốc. "
            "Nếu tài liệu không có thông tin, hệ thống sẽ nói rõ là không tìm thấy."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="Hỏi đáp",
                    height=520,
                    elem_id="chat",
                    placeholder="**Đặt câu hỏi về các tài liệu đã nạp**, hoặc bấm một câu hỏi mẫu:",
                    buttons=["copy"],
                    latex_delimiters=[],
                    examples=[{"text": q} for q in EXAMPLES],
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Nhập câu hỏi, ví dụ: Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                    )
                    send = gr.Button("Gửi", variant="primary", scale=1, min_width=80, elem_id="send")
                status = gr.Markdown("", elem_id="status")
                new = gr.Button("Cuộc trò chuyện mới", size="sm", variant="secondary")
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(
                    EMPTY_SOURCES,
                    label="Nguồn trích dẫn",
                    show_label=True,
                    container=True,
                    elem_id="sources",
                    css_template=SOURCES_CSS,
                    js_on_load=SOURCES_JS,
                    head=FONT_FIX,
                    max_height=640,
                )
                with gr.Accordion("Văn bản", open=True):
                    documents = gr.CheckboxGroup(
                        choices=live.document_choices(),
                        label="Chỉ hỏi trong các văn bản đã chọn (để trống = tất cả)",
                        elem_id="documents",
                    )
                with gr.Accordion("Thêm tài liệu", open=True, elem_id="add-documents"):
                    gr.Markdown(
                        f"Tệp .txt, .md, .docx hoặc .pdf, tối đa {megabytes(max_upload_mb() * 1024 * 1024)} MB. "
                        "Tài liệu mới được thêm vào chỉ mục; các tài liệu đã có không bị ảnh hưởng."
                    )
                    files = gr.UploadButton(
                        "Chọn tệp để tải lên…",
                        file_types=list(SUPPORTED_SUFFIXES),
                        file_count="multiple",
                        type="filepath",
                        elem_id="upload",
                        variant="secondary",
                    )
                    upload_status = gr.Markdown("", elem_id="upload-status")
        # The `feedback` API endpoint (the chat's thumbs use the same code through .like).
        fb_index = gr.Number(-1, visible=False)
        fb_liked = gr.Checkbox(True, visible=False)
        fb_send = gr.Button(visible=False)
        refresh = gr.Timer(REFRESH_SECONDS)

        ask_outputs = [chatbot, sources, question, status, turns]
        gr.on(
            [question.submit, send.click],
            ask,
            [question, documents, turns],
            ask_outputs,
            api_name="ask",
            show_progress="hidden",
            concurrency_id="ask",
            concurrency_limit=ask_concurrency(),
        )
        # A click on an example question in the empty chat asks it.
        chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
            ask, [question, documents, turns], ask_outputs, api_visibility="private", show_progress="hidden",
            concurrency_id="ask", concurrency_limit=ask_concurrency(),
        )
        new.click(new_chat, None, ask_outputs, api_name="new_chat")
        chatbot.clear(new_chat, None, ask_outputs, api_visibility="private")
        chatbot.like(on_like, [turns], status, api_visibility="private")
        fb_send.click(feedback, [fb_index, fb_liked, turns], status, api_name="feedback")
        files.upload(
            upload, [files], [upload_status, documents, shown_build], api_name="upload",
            concurrency_id="ingest", concurrency_limit=1,
        )
        # Documents added by another page's upload or by `reformqa ingest` appear in every page.
        demo.load(document_list, None, [documents, shown_build], api_visibility="private", queue=False)
        refresh.tick(document_list, shown_build, [documents, shown_build], api_name="documents",
                     show_progress="hidden", queue=False)
    return demo


def main(store: str | None = None) -> None:
    """Serve the app on ``REFORMQA_HOST``:``REFORMQA_PORT`` (``reformqa serve``)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    host = os.environ.get("REFORMQA_HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("REFORMQA_PORT") or 7860)
    except ValueError:
        raise SystemExit("REFORMQA_PORT must be a port number") from None
    try:
        auth = parse_auth(os.environ.get("REFORMQA_AUTH"))
    except (OSError, ValueError) as exc:
        raise SystemExit(str(exc)) from None
    one_blas_thread()
    demo = build_app(store_dir(store))
    log.info("ReformQA: http://%s:%d%s", host, port, " (login required)" if auth else "")
    demo.queue(default_concurrency_limit=1).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Đăng nhập ReformQA" if auth else None,
        max_file_size=int(max_upload_mb() * 1024 * 1024),
        show_error=False,
    )


if __name__ == "__main__":
    main()
