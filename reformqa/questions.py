"""What a question must be before any work is done for it: not empty, not too long.

Checked at the edges (``reformqa ask``, the app) before the index is loaded or the engine
runs, so an empty question is refused at once and a pasted document cannot hold a worker
for minutes while other users wait.
"""

from __future__ import annotations

#: Longest question accepted; a question is a sentence or two, this is a long paragraph.
MAX_QUESTION_CHARS = 1_000


def _vi(number: int) -> str:
    """``60.199``: Vietnamese groups thousands with dots."""
    return f"{number:,}".replace(",", ".")


class QuestionError(ValueError):
    """A question that is refused before answering; the message is for the user (vi and en)."""


def check_question(question: str | None) -> str:
    """The question stripped of surrounding space; :class:`QuestionError` if empty or too long."""
    text = (question or "").strip()
    if not text:
        raise QuestionError("Vui lòng nhập câu hỏi trước khi gửi. (The question is empty: please type a question.)")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"Câu hỏi quá dài ({_vi(len(text))} ký tự, tối đa {_vi(MAX_QUESTION_CHARS)}): hãy hỏi ngắn gọn hơn, "
            f"ví dụ một hoặc hai câu. (The question is too long: {len(text):,} characters, at most "
            f"{MAX_QUESTION_CHARS:,}; ask it in a sentence or two.)"
        )
    return text
