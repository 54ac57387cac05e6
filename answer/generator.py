"""Optional generator: a local OpenAI-compatible server behind llama-index's LLM interface.

Off by default. Set ``REFORMQA_LLM_URL`` (e.g. ``http://127.0.0.1:8080/v1``) to a llama.cpp,
Ollama or vLLM server on this machine. Its answer must pass the same citation check as the
extractive one, otherwise the extractive answer stands.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM

from answer.citations import Citation

log = logging.getLogger(__name__)
ENV_URL = "REFORMQA_LLM_URL"
ENV_MODEL = "REFORMQA_LLM_MODEL"

PROMPT = (
    "Bạn là trợ lý trả lời câu hỏi về cải cách hành chính. Chỉ dùng các đoạn trích dưới đây. "
    "Trả lời ngắn gọn bằng tiếng Việt (1-3 câu), giữ nguyên số liệu như văn bản, và đặt [n] "
    "sau mỗi ý lấy từ đoạn [n]. Nếu các đoạn không trả lời được, hãy nói không tìm thấy.\n\n"
    "{sources}\n\nCâu hỏi: {question}\nTrả lời:"
)


class OpenAICompatibleLLM(CustomLLM):
    """Completion through ``POST {url}/chat/completions`` on a local server."""

    url: str
    model: str = "local"
    timeout: float = 60.0

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        body = json.dumps(
            {"model": self.model, "messages": [{"role": "user", "content": prompt}], "temperature": 0}
        ).encode()
        req = urllib.request.Request(
            self.url.rstrip("/") + "/chat/completions", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (local server)
            data = json.loads(resp.read().decode())
        return CompletionResponse(text=data["choices"][0]["message"]["content"].strip())

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)


class Generator:
    """Writes an answer from the cited sentences with an LLM; None on any failure."""

    def __init__(self, llm: CustomLLM) -> None:
        self.llm = llm

    def answer(self, question: str, citations: list[Citation]) -> str | None:
        sources = "\n".join(f"[{c.n}] {c.quote}" for c in citations)
        try:
            return self.llm.complete(PROMPT.format(sources=sources, question=question)).text
        except Exception as exc:  # the extractive answer is the fallback
            log.warning("generator failed (%s); using the extractive answer", exc)
            return None


def generator_from_env() -> Generator | None:
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return None
    return Generator(OpenAICompatibleLLM(url=url, model=os.environ.get(ENV_MODEL, "local")))
