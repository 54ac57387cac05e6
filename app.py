"""ReformQA chat app: a thin Gradio layer (Vietnamese UI) over :class:`answer.engine.Engine`.

No answering logic lives here: the app renders what the engine returns (answer text with
[n] markers, citations with the quoted sentence and its footnotes), uploads files through
:func:`index.builder.ingest` and stores thumbs up/down in SQLite.

Environment:
    REFORMQA_HOST           address to bind (default 127.0.0.1)
    REFORMQA_PORT           port (default 7860)
    REFORMQA_AUTH           "user:pass,user2:pass2" or the path of a file with one user:pass a line
    REFORMQA_MAX_UPLOAD_MB  largest accepted upload in MB (default 20)
    REFORMQA_STORE          index folder (default storage/), or ``reformqa serve --store``
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

# An offline tool: no usage analytics or version checks (read by gradio and gradio_client).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from answer.engine import EmptyQuestionError, Engine
from index import store as index_store
from index.builder import ingest
from index.store import store_dir

log = logging.getLogger("reformqa.app")

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
DEFAULT_MAX_UPLOAD_MB = 20.0
STREAM_WORDS = 4  # words added per streamed chunk
STREAM_DELAY = 0.015  # seconds between chunks

EXAMPLES = [
    "Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?",
    "Tổ công tác tiếp nhận phản ánh của doanh nghiệp được thành lập theo quyết định nào?",
    "Hình thức kỷ luật đối với công chức gồm những gì?",
]

MSG_EMPTY = "Vui lòng nhập câu hỏi trước khi gửi."
MSG_SEARCHING = "Đang tìm trong tài liệu…"
MSG_ERROR = "Xin lỗi, đã có lỗi khi trả lời câu hỏi này. Vui lòng thử lại hoặc đặt câu hỏi khác."
MSG_THANKS = "Cảm ơn phản hồi của bạn!"
MSG_NO_ANSWER_TO_RATE = "Chưa có câu trả lời nào để đánh giá."


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


def max_upload_mb() -> float:
    try:
        return float(os.environ.get("REFORMQA_MAX_UPLOAD_MB") or DEFAULT_MAX_UPLOAD_MB)
    except ValueError:
        log.warning("REFORMQA_MAX_UPLOAD_MB is not a number; using %s", DEFAULT_MAX_UPLOAD_MB)
        return DEFAULT_MAX_UPLOAD_MB


# --------------------------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------------------------


class FeedbackStore:
    """Thumbs up/down in ``<store>/feedback.sqlite3``, one row per vote."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS feedback ("
                "ts TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, "
                "liked INTEGER NOT NULL, citations_json TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: str, liked: bool, citations: list[dict[str, Any]]) -> None:
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            question,
            answer,
            int(bool(liked)),
            json.dumps(citations, ensure_ascii=False),
        )
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)", row)
        log.info("feedback %s: %s", "👍" if liked else "👎", question[:80])

    def rows(self) -> list[dict[str, Any]]:
        with closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY rowid")]


# --------------------------------------------------------------------------------------------
# Index and engine
# --------------------------------------------------------------------------------------------


def ensure_index(store: Path, corpus: Path = CORPUS) -> None:
    """Build the index from ``corpus`` if ``store`` has none yet."""
    if index_store.exists(store):
        return
    log.info("no index in %s: building it from %s (this takes a minute or two)", store, corpus)

    def progress(name: str, i: int, total: int) -> None:
        log.info("[%d/%d] %s", i, total, name)

    report = ingest([corpus], store, progress=progress)
    for _, reason in report.failed:
        log.warning("not indexed: %s", reason)
    if not index_store.exists(store):
        raise index_store.IndexMissingError(f"could not build an index in {store} from {corpus}")
    log.info("index ready: %d passages", report.passages)


class Backend:
    """The state shared by all sessions: the store, the loaded engine, the feedback db."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.uploads = store / "uploads"
        self.engine = Engine.from_store(store)
        self.feedback = FeedbackStore(store / "feedback.sqlite3")
        self._ingest_lock = threading.Lock()

    def document_choices(self) -> list[tuple[str, str]]:
        return [(d["title"] or d["id"], d["id"]) for d in self.engine.documents()]

    def add_file(self, upload: Path, progress: gr.Progress) -> tuple[bool, str]:
        """Validate, copy into ``uploads/`` and ingest one uploaded file; (ok, message)."""
        name = _safe_name(upload.name)
        shown = _md_escape(name)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            return False, (
                f"**{shown}**: định dạng không được hỗ trợ. "
                f"Chỉ nhận tệp {', '.join(SUPPORTED_SUFFIXES)}."
            )
        limit = max_upload_mb()
        size = upload.stat().st_size
        if size > limit * 1024 * 1024:
            return False, f"**{shown}**: tệp quá lớn ({_mb(size)} MB, tối đa {_mb(limit * 1024 * 1024)} MB)."
        if size == 0:
            return False, f"**{shown}**: tệp rỗng, không có nội dung."

        def step(what: str, i: int, total: int) -> None:
            if what.startswith("embedding "):
                progress((i, total), desc=f"Đang tạo chỉ mục cho {what.removeprefix('embedding ')}")
            else:
                progress((i, total), desc=f"Đang đọc {what}")

        with self._ingest_lock:
            self.uploads.mkdir(parents=True, exist_ok=True)
            dest = self.uploads / name
            backup = dest.with_name(f".{name}.previous") if dest.exists() else None
            if backup:
                os.replace(dest, backup)
            shutil.copyfile(upload, dest)
            progress(0, desc=f"Đang đọc {name}")
            try:
                report = ingest([dest], self.store, progress=step)
            except Exception:
                log.exception("ingest of %s failed", dest)
                _restore(dest, backup)
                return False, f"**{shown}**: lỗi khi thêm vào chỉ mục. Các tài liệu đã có vẫn được giữ nguyên."
            if report.failed:
                _restore(dest, backup)
                reason = "; ".join(r for _, r in report.failed)
                log.warning("upload rejected: %s", reason)
                return False, (
                    f"**Không đọc được tệp {shown}** — tệp hỏng, sai định dạng hoặc không có văn bản "
                    f"(chi tiết: {_md_escape(reason)}). Các tài liệu đã có vẫn được giữ nguyên."
                )
            if backup:
                backup.unlink(missing_ok=True)
            if report.unchanged and not report.changed:
                return True, f"**{shown}** đã có trong chỉ mục (nội dung không đổi)."
            self.engine = Engine.from_store(self.store)
        doc = next((d for d in self.engine.documents() if d.get("source") == name), None)
        title = doc["title"] if doc else name
        verb = "Đã cập nhật" if report.updated else "Đã thêm"
        parts = f", {doc['passages']} đoạn" if doc and doc.get("passages") else ""
        return True, f"**{verb} {shown}** vào chỉ mục: «{_md_escape(title)}»{parts}. Bạn có thể đặt câu hỏi ngay."


def _restore(dest: Path, backup: Path | None) -> None:
    dest.unlink(missing_ok=True)
    if backup and backup.exists():
        os.replace(backup, dest)


def _safe_name(name: str) -> str:
    name = Path(name).name.strip().replace("\x00", "")
    name = re.sub(r"[\\/:*?\"<>|\s]+", "-", name).strip(".-") or "tai-lieu"
    return name[:150]


def _mb(size: float) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


# --------------------------------------------------------------------------------------------
# Rendering (pure functions of the engine's output)
# --------------------------------------------------------------------------------------------

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~!])")
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)
_BULLET_START = re.compile(r"^(\s*)([-+>])", re.MULTILINE)


def _md_escape(text: str) -> str:
    """Text shown literally by the chat's Markdown renderer."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _LIST_START.sub(r"\1\2\\\3", text)
    return _BULLET_START.sub(r"\1\\\2", text)


def render_answer(text: str, turn: int, known: set[int] | None = None) -> str:
    """Answer text as chat Markdown: [n] becomes a link to its source ``#cite-<turn>-<n>``."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(_md_escape(text[last : m.start()]))
        n = int(m.group(1))
        if known is None or n in known:
            out.append(f"[[{n}]](#cite-{turn}-{n})")
        else:
            out.append(_md_escape(m.group(0)))
        last = m.end()
    out.append(_md_escape(text[last:]))
    return "".join(out)


def citation_record(c: Any) -> dict[str, Any]:
    """A :class:`answer.citations.Citation` as plain data (kept in the session state)."""
    return {
        "n": c.n,
        "document": c.document,
        "source": c.source,
        "section": c.section,
        "article": c.article,
        "quote": c.quote,
        "footnotes": [{"number": f.number, "text": f.text} for f in c.footnotes],
        "score": round(float(c.score), 6),
        "passage_id": c.passage_id,
        "passage_text": c.passage_text,
        "quote_span": list(c.quote_span),
    }


def _where(c: dict[str, Any]) -> str:
    section = c.get("section") or ""
    if c.get("article"):
        last = section.split(" > ")[-1]
        return last if last.startswith(c["article"]) else c["article"]
    return section or "—"


def _passage_html(c: dict[str, Any], highlight: bool = True) -> str:
    text = c.get("passage_text") or ""
    if not highlight and text:
        return f'<p class="passage">{html.escape(text)}</p>'
    quote = c.get("quote") or ""
    start, end = (c.get("quote_span") or (0, 0))[:2]
    if not (0 <= start < end <= len(text)):
        found = text.find(quote) if quote else -1
        start, end = (found, found + len(quote)) if found >= 0 else (0, 0)
    if not text:
        return f'<p class="passage"><mark>{html.escape(quote)}</mark></p>'
    if end <= start:
        quoted = f'<blockquote class="quote"><mark>{html.escape(quote)}</mark></blockquote>' if quote else ""
        return f'{quoted}<p class="passage">{html.escape(text)}</p>'
    return (
        f'<p class="passage">{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>'
        f"{html.escape(text[end:])}</p>"
    )


def _citation_html(c: dict[str, Any], turn: int, highlight: bool = True) -> str:
    n = int(c["n"])
    notes = c.get("footnotes") or []
    footnotes = ""
    if notes:
        items = "".join(
            f'<li><sup>{int(f["number"])}</sup> {html.escape(str(f["text"]))}</li>' for f in notes
        )
        footnotes = f'<div class="footnotes"><div class="fn-title">Chú thích</div><ul>{items}</ul></div>'
    meta = f"Tệp: {html.escape(c.get('source') or '')}"
    if c.get("section"):
        meta += f" · Mục: {html.escape(c['section'])}"
    return (
        f'<details class="citation" id="cite-{turn}-{n}" data-n="{n}">'
        f'<summary><span class="cite-n">[{n}]</span> <span class="cite-doc">{html.escape(c["document"])}</span>'
        f' — <span class="cite-where">{html.escape(_where(c))}</span></summary>'
        f'<div class="cite-body"><div class="cite-meta">{meta}</div>{_passage_html(c, highlight)}{footnotes}</div>'
        "</details>"
    )


EMPTY_SOURCES = (
    '<div class="sources"><p class="empty">Nguồn trích dẫn của câu trả lời sẽ hiện ở đây. '
    "Bấm vào số [n] trong câu trả lời hoặc vào từng nguồn để xem đoạn văn gốc, câu được trích "
    "(tô vàng) và chú thích của câu đó.</p></div>"
)


def render_sources(turns: list[dict[str, Any]]) -> str:
    """The sources panel: the latest answer's citations, then earlier answers' (folded)."""
    answered = [(i, t) for i, t in enumerate(turns, 1) if t.get("citations")]
    if not answered:
        return EMPTY_SOURCES
    blocks = []
    for rank, (i, t) in enumerate(reversed(answered)):
        heading = "Các đoạn gần nhất (không chứa câu trả lời)" if t.get("abstained") else "Nguồn"
        # An abstention quotes nothing: its nearest passages are shown without a highlight.
        cites = "".join(_citation_html(c, i, not t.get("abstained")) for c in t["citations"])
        question = html.escape(t["question"])
        if rank == 0:
            blocks.append(
                f'<div class="turn current" data-turn="{i}"><div class="turn-title">{heading} — '
                f"<q>{question}</q></div>{cites}</div>"
            )
        else:
            blocks.append(
                f'<details class="turn older" data-turn="{i}"><summary class="turn-title">'
                f"Câu hỏi trước: <q>{question}</q></summary>{cites}</details>"
            )
    return f'<div class="sources">{"".join(blocks)}</div>'


def _assistant_text(turn: dict[str, Any], number: int, shown: str | None = None) -> str:
    if turn.get("error"):
        return turn["answer"]
    known = {int(c["n"]) for c in turn.get("citations", [])}
    body = render_answer(turn["answer"] if shown is None else shown, number, known)
    if turn.get("rewritten"):
        body = f"*Câu hỏi được hiểu là: «{_md_escape(turn['rewritten'])}»*\n\n{body}"
    return body


def render_chat(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for i, t in enumerate(turns, 1):
        messages.append({"role": "user", "content": _md_escape(t["question"])})
        messages.append({"role": "assistant", "content": _assistant_text(t, i)})
    return messages


def _prefixes(text: str) -> Iterator[str]:
    """Growing prefixes of ``text``, a few words at a time (the streamed answer)."""
    pieces = re.split(r"(\s+)", text)
    for end in range(2 * STREAM_WORDS, len(pieces), 2 * STREAM_WORDS):
        yield "".join(pieces[:end])
    yield text


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------

SOURCES_CSS = """
.sources { font-size: var(--text-md); line-height: 1.55; padding-top: 1.6rem; }
.sources .empty { color: var(--body-text-color-subdued); padding: 0.5rem 0.25rem; }
.turn-title { font-weight: 700; margin: 0.25rem 0 0.5rem; }
details.turn.older { margin-top: 0.75rem; border-top: 1px solid var(--border-color-primary); padding-top: 0.5rem; }
details.turn.older > summary { cursor: pointer; font-weight: 500; color: var(--body-text-color-subdued); }
details.citation { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0 0 0.5rem;
  background: var(--background-fill-secondary); }
details.citation > summary { cursor: pointer; padding: 0.45rem 0.65rem; }
details.citation[open] > summary { border-bottom: 1px solid var(--border-color-primary); }
details.citation.flash { outline: 3px solid var(--color-accent); }
.cite-n { font-weight: 700; color: var(--color-accent); }
.cite-doc { font-weight: 700; }
.cite-body { padding: 0.5rem 0.75rem 0.6rem; }
.cite-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.35rem; }
.passage { white-space: pre-wrap; margin: 0; }
.passage mark, .quote mark { background: #ffe58f; color: #1f1f1f; padding: 0 1px; border-radius: 2px; }
.footnotes { margin-top: 0.5rem; font-size: 0.88em; }
.footnotes .fn-title { font-weight: 700; }
.footnotes ul { margin: 0.2rem 0 0 1rem; padding: 0; list-style: none; }
"""

# Gradio ships Source Sans Pro SemiBold (600) as a 55-glyph Latin subset, so semi-bold
# Vietnamese text mixes fonts letter by letter; serve the full Bold face for weight 600.
FONT_FIX = """<style>
@font-face { font-family: 'Source Sans Pro'; font-weight: 600; font-style: normal;
  src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2'); }
</style>"""

# Clicking [n] in an answer opens that source in the panel instead of following the link.
SOURCES_JS = """
if (!window.__reformqaCitationLinks) {
  window.__reformqaCitationLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    for (let el = target; el; el = el.parentElement.closest('details')) {
      el.open = true;
      if (!el.parentElement) break;
    }
    target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    target.classList.add('flash');
    setTimeout(() => target.classList.remove('flash'), 1500);
  }, true);
}
"""


def build_app(store: Path) -> gr.Blocks:
    """The chat app over the index in ``store`` (built from ``corpus/`` if missing)."""
    store = Path(store)
    ensure_index(store)
    backend = Backend(store)

    def ask(question: str, documents: list[str] | None, turns: list[dict[str, Any]]):
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            yield render_chat(turns), render_sources(turns), "", MSG_EMPTY, turns
            return
        number = len(turns) + 1
        pending = {"question": question, "answer": MSG_SEARCHING, "error": True}
        yield render_chat([*turns, pending]), render_sources(turns), "", "", turns
        history = [(t["question"], t["answer"]) for t in turns if not t.get("error")]
        started = time.perf_counter()
        try:
            result = backend.engine.ask(question, documents=list(documents or []) or None, history=history)
        except EmptyQuestionError:
            yield render_chat(turns), render_sources(turns), "", MSG_EMPTY, turns
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
        }
        for shown in _prefixes(result.answer):
            chat = render_chat(turns)
            chat += [
                {"role": "user", "content": _md_escape(question)},
                {"role": "assistant", "content": _assistant_text(turn, number, shown)},
            ]
            yield chat, gr.skip(), "", "", turns
            time.sleep(STREAM_DELAY)
        turns.append(turn)
        status = f"Trả lời trong {elapsed:.1f} giây.".replace(".", ",", 1)
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
        backend.feedback.add(turn["question"], turn["answer"], liked, turn.get("citations", []))
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

    def upload(files: Any, progress: gr.Progress = gr.Progress()):  # noqa: B008 (gradio injects it)
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        if not paths:
            return "Chưa chọn tệp nào.", gr.update(choices=backend.document_choices())
        messages = [backend.add_file(Path(p), progress)[1] for p in paths]
        return "\n\n".join(messages), gr.update(choices=backend.document_choices())

    with gr.Blocks(title="ReformQA — Hỏi đáp cải cách hành chính", analytics_enabled=False) as demo:
        turns = gr.State([])
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
                        choices=backend.document_choices(),
                        label="Chỉ hỏi trong các văn bản đã chọn (để trống = tất cả)",
                        elem_id="documents",
                    )
                with gr.Accordion("Thêm tài liệu", open=True, elem_id="add-documents"):
                    gr.Markdown(
                        f"Tệp .txt, .md, .docx hoặc .pdf, tối đa {_mb(max_upload_mb() * 1024 * 1024)} MB. "
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

        ask_outputs = [chatbot, sources, question, status, turns]
        gr.on(
            [question.submit, send.click],
            ask,
            [question, documents, turns],
            ask_outputs,
            api_name="ask",
            show_progress="hidden",
            concurrency_id="ask",
        )
        # A click on an example question in the empty chat asks it.
        chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
            ask, [question, documents, turns], ask_outputs, api_visibility="private", show_progress="hidden",
            concurrency_id="ask",
        )
        new.click(new_chat, None, ask_outputs, api_name="new_chat")
        chatbot.clear(new_chat, None, ask_outputs, api_visibility="private")
        chatbot.like(on_like, [turns], status, api_visibility="private")
        fb_send.click(feedback, [fb_index, fb_liked, turns], status, api_name="feedback")
        files.upload(
            upload, [files], [upload_status, documents], api_name="upload", concurrency_id="ingest"
        )
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
