"""``make train``'s last step: map the confidence model's probability onto how often answers are right.

The confidence model (``eval/train.py``) learns right answers against unanswerable near misses,
leaving out answerable questions whose chosen unit misses the answer, so its probability runs
high: measured on question sets it never learned from, answers it gives 0.9 or more are right
about nine times in ten, not 0.99. This step answers :data:`CALIBRATION_SETS` (question sets
others wrote over ``corpus/``, never trained on by any model) with no abstention threshold, and
fits Platt scaling (a slope and an intercept on the probability's log-odds) to whether each answer
is right. The slope is positive, so the order of confidences is kept; the engine's decisions
(abstaining, the second quote) read the model's own probability and do not change. Only the
probability an answer reports does. Writes ``calibration`` into ``answer/selector.json`` and a
section of ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from answer import selector as selection
from answer.engine import Engine
from answer.selector import Calibration, log_odds
from eval.bench import configure_logging
from eval.runner import run_question
from eval.scoring import load_questions, score_one
from eval.train import REPO, REPORT
from eval.train_rerank import replace_section
from index.retriever import Retriever
from index.store import store_dir

log = logging.getLogger("eval.calibrate")

SECTION = "## Calibration of the reported confidence"
# judged sets written by others over corpus/ that no model learns from (their answers do not change)
CALIBRATION_SETS = ("blind17", "blind24", "blind25", "blind27", "blind28", "blind29", "blind30", "blind31",
                    "blind32", "blind33", "blind34", "blind35", "blind36", "blind37", "blind38", "blind39")
WORKERS = 2
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)


_engine: Engine | None = None  # each worker's engine, with no threshold and no calibration


def _start(store: str, model: Path) -> None:
    global _engine
    plain = replace(selection.load(model), threshold=0.0, calibration=Calibration())
    _engine = Engine(Retriever.load(Path(store)), selector=plain)  # no generator: the quotes are what is scored


def answered(name: str) -> list[tuple[float, bool]]:
    """(the confidence model's probability, whether the answer is right) for every question of set
    ``name`` the engine answers with no abstention threshold (an unanswerable one answered is wrong);
    run in a worker."""
    engine = _engine
    assert engine is not None
    out = []
    for q in load_questions(REPO / "eval" / f"{name}.jsonl"):
        result = run_question(engine, q)
        if not result["abstained"]:
            out.append((float(result["confidence"]), bool(q.answerable and score_one(q, result)["correct"])))
    log.info("%s: %d answers", name, len(out))
    return out


def fit(p: np.ndarray, right: np.ndarray) -> Calibration:
    """Platt scaling: the slope and intercept on ``p``'s log-odds that maximise the likelihood of ``right``."""
    z = log_odds(p)
    y = right.astype(np.float64)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = w[0] * z + w[1]
        prob = 1.0 / (1.0 + np.exp(-s))
        value = float(np.sum(np.logaddexp(0.0, s) - y * s))
        return value, np.array([np.sum((prob - y) * z), np.sum(prob - y)])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(1e-3, None), (None, None)])
    return Calibration(float(result.x[0]), float(result.x[1]))


def reliability(p: np.ndarray, right: np.ndarray, reported: np.ndarray
                ) -> list[tuple[float, float, int, float, float, float]]:
    """Per bin of the model's probability ``p``: its bounds, the answers in it, their mean probability,
    their mean ``reported`` probability and the share of them right."""
    rows = []
    for lo, hi in zip(BINS, BINS[1:]):
        inside = (p >= lo) & ((p < hi) if hi < 1.0 else (p <= hi))
        if inside.any():
            rows.append((lo, hi, int(inside.sum()), float(p[inside].mean()), float(reported[inside].mean()),
                         float(right[inside].mean())))
    return rows


def brier(p: np.ndarray, right: np.ndarray) -> float:
    return float(np.mean((p - right) ** 2))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="corpus index (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--model", type=Path, default=selection.MODEL_PATH,
                   help=f"selector model to calibrate, in place (default {selection.MODEL_PATH})")
    p.add_argument("--report", type=Path, default=REPORT, help=f"training report (default {REPORT})")
    p.add_argument("--sets", nargs="+", default=list(CALIBRATION_SETS), help="question sets to calibrate on")
    args = p.parse_args(argv)
    configure_logging()
    t0 = time.perf_counter()
    store = str(store_dir(args.store))
    with multiprocessing.get_context("fork").Pool(WORKERS, _start, (store, args.model)) as pool:
        per_set = pool.map(answered, args.sets, chunksize=1)
    pairs = [pair for rows in per_set for pair in rows]
    prob = np.array([c for c, _ in pairs])
    right = np.array([r for _, r in pairs], dtype=bool)
    calibration = fit(prob, right)
    reported = calibration.apply(prob)
    data = json.loads(args.model.read_text(encoding="utf-8"))
    data["calibration"] = calibration.to_json()
    data.setdefault("meta", {})["calibration"] = {"sets": list(args.sets), "answers": len(pairs)}
    args.model.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    lines = [
        SECTION, "",
        f"`python -m eval.calibrate` ({(time.perf_counter() - t0) / 60:.0f} min): {len(pairs):,} answers to "
        f"{', '.join(args.sets)} given with no abstention threshold ({right.mean():.3f} right). Platt scaling: "
        f"slope {calibration.slope:.3f}, intercept {calibration.intercept:.3f}; Brier score "
        f"{brier(prob, right):.4f} → {brier(reported, right):.4f} (in sample: two parameters). The engine's "
        "decisions read the model's own probability; only what an answer reports changes.", "",
        "| model's probability | answers | mean probability | reported | share right |", "|---|---|---|---|---|",
        *(f"| {lo:.1f}–{hi:.1f} | {n:,} | {mean:.3f} | {shown:.3f} | {share:.3f} |"
          for lo, hi, n, mean, shown, share in reliability(prob, right, reported)), "",
    ]
    replace_section(args.report, SECTION, lines)
    log.info("wrote %s and %s", args.model, args.report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
