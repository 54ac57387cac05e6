"""Scoring answers against a question set: accuracy, citations, abstention, recall, latency."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.vietnamese import match_key

FIELDS = ("id", "question", "facts", "refs", "answerable", "kind")


class QuestionFileError(ValueError):
    """A question file that does not follow the format."""


@dataclass
class Question:
    id: str
    question: str
    facts: list[str]
    refs: list[str]
    answerable: bool
    kind: str


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question file; errors name the line."""
    questions = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionFileError(f"{path}:{no}: not JSON ({exc.msg})") from None
        missing = [f for f in FIELDS if f not in data]
        if missing:
            raise QuestionFileError(f"{path}:{no}: missing field(s) {', '.join(missing)}")
        questions.append(Question(**{f: data[f] for f in FIELDS}))
    return questions


def _has(text: str, fact: str) -> bool:
    return match_key(fact) in match_key(text)


def citation_text(result: dict[str, Any]) -> str:
    """Everything the citations show: document, section, article, quote, footnotes."""
    parts = []
    for c in result.get("citations", []):
        parts += [c.get("document", ""), c.get("section", ""), c.get("article") or "", c.get("quote", "")]
        parts += [f.get("text", "") for f in c.get("footnotes", [])]
    return "\n".join(parts)


def score_one(q: Question, result: dict[str, Any]) -> dict[str, Any]:
    """Per-question verdicts.

    * correct: answerable, not abstained, every fact in the answer, every ref in answer or citations;
      unanswerable: abstained.
    * citation_ok: answered, has citations, and every fact and ref is supported by the citations.
    * retrieved: a fact (or ref) appears in the top-5 retrieved passages (``retrieved_text``).
    """
    answer = result.get("answer", "")
    abstained = bool(result.get("abstained"))
    cites = citation_text(result)
    if not q.answerable:
        return {"correct": abstained, "citation_ok": None, "retrieved": None}
    facts_ok = all(_has(answer, f) for f in q.facts)
    refs_ok = all(_has(answer, r) or _has(cites, r) for r in q.refs)
    correct = (not abstained) and facts_ok and refs_ok
    citation_ok = (
        (not abstained)
        and bool(result.get("citations"))
        and all(_has(cites, f) for f in q.facts)
        and all(_has(cites, r) or _has(answer, r) for r in q.refs)
    )
    retrieved_text = result.get("retrieved_text")
    retrieved = None
    needles = q.facts or q.refs
    if retrieved_text is not None:
        retrieved = all(_has(retrieved_text, n) for n in needles) if needles else None
    candidates = result.get("candidates")
    recall = None
    if candidates is not None and needles:
        recall = any(len(c) <= RECALL_CHARS and all(_has(c, n) for n in needles) for c in candidates)
    return {"correct": correct, "citation_ok": citation_ok, "retrieved": retrieved, "candidate_recall": recall}


RECALL_CHARS = 600  # a candidate longer than an answer may be does not count for candidate recall


def summarise(questions: list[Question], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per-kind figures."""
    by_id = {r["id"]: r for r in results}
    rows = []
    for q in questions:
        r = by_id.get(q.id)
        if r is None:
            continue
        verdict = score_one(q, r)
        total_ms = sum(r.get("timings_ms", {}).values())
        rows.append((q, r, verdict, total_ms))

    def block(subset: list[tuple[Question, dict, dict, float]]) -> dict[str, Any]:
        answerable = [x for x in subset if x[0].answerable]
        unanswerable = [x for x in subset if not x[0].answerable]
        abstained = [x for x in subset if x[1].get("abstained")]
        retrieved = [x[2]["retrieved"] for x in answerable if x[2]["retrieved"] is not None]
        recall = [x[2]["candidate_recall"] for x in answerable if x[2]["candidate_recall"] is not None]
        lat = np.array([x[3] for x in subset]) if subset else np.zeros(1)
        lengths = [len(x[1].get("answer", "")) for x in subset if not x[1].get("abstained")]
        right = [bool(x[2]["correct"]) and x[0].answerable for x in subset]
        conf = [x[1].get("confidence") for x in subset]
        return {
            "n": len(subset),
            "answer_accuracy": _ratio(sum(x[2]["correct"] for x in answerable), len(answerable)),
            "citation_accuracy": _ratio(sum(bool(x[2]["citation_ok"]) for x in answerable), len(answerable)),
            "abstention_recall": _ratio(sum(bool(x[1].get("abstained")) for x in unanswerable), len(unanswerable)),
            "abstention_precision": _ratio(sum(not x[0].answerable for x in abstained), len(abstained)),
            "wrongly_abstained": _ratio(sum(bool(x[1].get("abstained")) for x in answerable), len(answerable)),
            "recall_at_5": _ratio(sum(retrieved), len(retrieved)),
            "candidate_recall": _ratio(sum(recall), len(recall)),
            "auc": _auc(right, conf),
            "median_chars": float(np.median(lengths)) if lengths else None,
            "over_600": _ratio(sum(n > 600 for n in lengths), len(lengths)),
            "check_failures": sum(int(x[1].get("check_failures", 0)) for x in subset),
            "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)),
        }

    kinds = defaultdict(list)
    for row in rows:
        kinds[row[0].kind].append(row)
    return {"overall": block(rows), "by_kind": {k: block(v) for k, v in sorted(kinds.items())}}


def _auc(labels: list[bool], scores: list[float | None]) -> float | None:
    """ROC AUC of the engine's confidence for answers that are right (None if not computable)."""
    pairs = [(s, y) for s, y in zip(scores, labels) if s is not None]
    pos = [s for s, y in pairs if y]
    neg = [s for s, y in pairs if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def format_table(summary: dict[str, Any]) -> str:
    """A plain-text table of the summary."""
    cols = [
        ("n", "n"),
        ("answer_accuracy", "answer"),
        ("citation_accuracy", "citation"),
        ("abstention_precision", "abst.P"),
        ("abstention_recall", "abst.R"),
        ("wrongly_abstained", "wrong.abst"),
        ("recall_at_5", "R@5"),
        ("candidate_recall", "cand.R"),
        ("auc", "AUC"),
        ("median_chars", "med.chars"),
        ("check_failures", "chk.fail"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
    ]
    header = f"{'kind':<14}" + "".join(f"{title:>11}" for _, title in cols)
    lines = [header, "-" * len(header)]
    for name, block in [("overall", summary["overall"]), *summary["by_kind"].items()]:
        cells = []
        for key, _ in cols:
            v = block[key]
            cells.append(f"{'-':>11}" if v is None else (f"{v:>11.3f}" if isinstance(v, float) else f"{v:>11}"))
        lines.append(f"{name:<14}" + "".join(cells))
    return "\n".join(lines)
