"""Follow-up questions ("còn cấp huyện thì sao?") rewritten with the previous turn."""

from __future__ import annotations

import re

_FOLLOWUP = re.compile(
    r"^\s*(?:còn|thế còn|vậy còn|vậy|thế|với|đối với)\s+(?P<topic>.+?)\s*(?:thì sao|thì thế nào|thì như thế nào|như thế nào|ra sao|thì)?\s*\??\s*$",
    re.IGNORECASE,
)


def rewrite_question(question: str, history: list[tuple[str, str]]) -> str:
    """Make an elliptical follow-up self-contained using the last user question.

    ``history`` holds (user question, answer) pairs, oldest first. The topic of the follow-up
    replaces the phrase of the previous question that starts with the same word
    (``cấp tỉnh`` -> ``cấp huyện``); otherwise it is appended.
    """
    if not history:
        return question
    m = _FOLLOWUP.match(question)
    if not m or len(question.split()) > 12:
        return question
    topic = m.group("topic").strip(" ?")
    previous = history[-1][0].strip()
    head = topic.split()[0]
    pattern = re.compile(rf"\b{re.escape(head)}\s+\w+(?:\s+\w+)?", re.IGNORECASE)
    hit = pattern.search(previous)
    if hit and len(topic.split()) <= 3:
        width = len(topic.split())
        words = hit.group().split()[:width]
        old = " ".join(words)
        if old[:1].isupper():
            topic = topic[:1].upper() + topic[1:]
        return previous.replace(old, topic, 1)
    return f"{previous.rstrip(' ?')} — {topic}?"
