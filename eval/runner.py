"""``reformqa eval``: every question through the same code as ``ask``."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from answer.engine import Engine
from eval.scoring import Question, format_table, load_questions, summarise

log = logging.getLogger(__name__)
DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
INTERNAL = {"retrieved_text", "candidates", "confidence", "check_failures"}  # not part of the ask --json line


def run_question(engine: Engine, q: Question, k: int = 5) -> dict[str, Any]:
    """The ``ask --json`` object plus ``id`` (and the top-5 text, for recall@5)."""
    ans = engine.ask(q.question, k=k)
    result = {"id": q.id, **ans.to_json()}
    result["retrieved_text"] = "\n".join(
        h.passage.search_text + "\n" + h.passage.document + "\n" + (h.passage.article or "")
        for h in ans.nearest[:5]
    )
    result["candidates"] = ans.evidence
    result["confidence"] = ans.confidence
    result["check_failures"] = ans.check_failures
    return result


def run_eval(
    engine: Engine, questions_path: Path = DEFAULT_QUESTIONS, out: Path | None = None, k: int = 5
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    questions = load_questions(questions_path)
    engine.ask("khởi động", k=k)  # warm-up: load the model once, outside the timings
    results = [run_question(engine, q, k) for q in questions]
    if out is not None:
        with Path(out).open("w", encoding="utf-8") as fh:
            for r in results:
                line = {key: v for key, v in r.items() if key not in INTERNAL}
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    summary = summarise(questions, results)
    return summary, results


def report(summary: dict[str, Any]) -> str:
    return format_table(summary)
