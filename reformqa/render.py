"""The chat's HTML and Markdown, as pure functions of the engine's output (no Gradio here).

The answer becomes chat Markdown whose ``[n]`` markers link to ``#cite-<turn>-<n>``; the
sources panel is HTML with each citation's passage, the quoted sentence highlighted and its
footnotes. Everything from a document or a user is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~!])")
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)
_BULLET_START = re.compile(r"^(\s*)([-+>])", re.MULTILINE)


def md_escape(text: str, line_start: bool = True) -> str:
    """Text shown literally by the chat's Markdown renderer. ``line_start`` says whether the
    text begins a line (a piece cut from the middle of one is not a list item: "12.345")."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)

    def at_line(sub: re.Pattern[str], repl: str, s: str) -> str:
        return sub.sub(lambda m: m.group(0) if m.start() == 0 and not line_start and "\n" not in m.group(1) else m.expand(repl), s)

    text = at_line(_LIST_START, r"\1\2\\\3", text)
    return at_line(_BULLET_START, r"\1\\\2", text)


def render_answer(
    text: str, turn: int, known: set[int] | None = None, highlights: list[tuple[int, int]] | None = None
) -> str:
    """Answer text as chat Markdown: [n] becomes a link to its source ``#cite-<turn>-<n>``, and
    the spans that hold what was asked (the figure, the date) are bold."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(_with_bold(text, last, m.start(), highlights or []))
        n = int(m.group(1))
        if known is None or n in known:
            out.append(f"[[{n}]](#cite-{turn}-{n})")
        else:
            out.append(md_escape(m.group(0)))
        last = m.end()
    out.append(_with_bold(text, last, len(text), highlights or []))
    return "".join(out)


def _with_bold(text: str, start: int, end: int, highlights: list[tuple[int, int]]) -> str:
    """``text[start:end]`` escaped, with the highlight spans wholly inside it in bold."""
    out, pos = [], start
    for a, b in sorted(tuple(h) for h in highlights):
        if a < pos or b > end or not text[a:b].strip():
            continue
        out += [_piece(text, pos, a), f"**{_piece(text, a, b)}**"]
        pos = b
    out.append(_piece(text, pos, end))
    return "".join(out)


def _piece(text: str, start: int, end: int) -> str:
    return md_escape(text[start:end], line_start=start == 0 or text[start - 1] == "\n")


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


def assistant_text(turn: dict[str, Any], number: int) -> str:
    if turn.get("error"):
        return turn["answer"]
    known = {int(c["n"]) for c in turn.get("citations", [])}
    body = render_answer(turn["answer"], number, known, turn.get("highlights"))
    if turn.get("rewritten"):
        body = f"*Câu hỏi được hiểu là: «{md_escape(turn['rewritten'])}»*\n\n{body}"
    return body


def answer_status(seconds: float, abstained: bool, confidence: float) -> str:
    """The status line under the chat: how long the answer took and, for an answer (not an
    abstention), how likely it is right (the engine's calibrated confidence)."""
    took = f"Trả lời trong {seconds:.1f} giây".replace(".", ",", 1)
    if abstained:
        return f"{took}."
    return f"{took}; độ tin cậy ước tính: {round(100 * confidence)} %."


def render_chat(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for i, t in enumerate(turns, 1):
        messages.append({"role": "user", "content": md_escape(t["question"])})
        messages.append({"role": "assistant", "content": assistant_text(t, i)})
    return messages


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


def megabytes(size: float) -> str:
    """``20,0`` (Vietnamese decimal comma)."""
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def upload_message(result: Any, title: str = "", passages: int = 0) -> str:
    """The Markdown shown after an upload (:class:`reformqa.uploads.UploadResult`)."""
    from reformqa.uploads import UploadStatus

    shown = md_escape(result.name)
    kept = "Các tài liệu đã có vẫn được giữ nguyên."
    status = result.status
    if status == UploadStatus.UNSUPPORTED:
        return f"**{shown}**: định dạng không được hỗ trợ. Chỉ nhận tệp .txt, .md, .docx, .pdf."
    if status == UploadStatus.TOO_LARGE:
        return f"**{shown}**: tệp quá lớn ({megabytes(result.size)} MB, tối đa {megabytes(result.limit)} MB)."
    if status == UploadStatus.EMPTY:
        return f"**{shown}**: tệp rỗng, không có nội dung."
    if status == UploadStatus.BUSY:
        return f"**{shown}**: chỉ mục đang được cập nhật bởi một tiến trình khác, vui lòng thử lại sau. {kept}"
    if status == UploadStatus.UNREADABLE:
        return (
            f"**Không đọc được tệp {shown}** — tệp hỏng, sai định dạng hoặc không có văn bản "
            f"(chi tiết: {md_escape(result.detail)}). {kept}"
        )
    notes = "".join(f"\n\n*Lưu ý: {md_escape(w)}*" for w in result.warnings)
    if status == UploadStatus.UNCHANGED:
        return f"**{shown}** đã có trong chỉ mục (nội dung không đổi).{notes}"
    verb = "Đã cập nhật" if status == UploadStatus.UPDATED else "Đã thêm"
    count = f", {passages} đoạn" if passages else ""
    return (
        f"**{verb} {shown}** vào chỉ mục: «{md_escape(title or result.name)}»{count}. "
        f"Bạn có thể đặt câu hỏi ngay.{notes}"
    )
