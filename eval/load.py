"""``python -m eval.load --store DIR``: many users asking the app at once, on loopback only.

The app (``reformqa serve``) is started in its own process on 127.0.0.1; 20 simulated users
(each a gradio client, i.e. a browser session) ask 5 questions each, one after the other in
their own conversation, all users at the same time. Every request is bounded in time and the
run stops by itself. The same conversations are then asked one user at a time, so the
answers under load can be compared with single-user answers.

Reported: wait per question (sent -> whole answer received) p50/p95, errors, answers that
differ from the single-user run, throughput and the server's memory (peak and at the end).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.scoring import load_questions

log = logging.getLogger("eval.load")

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "eval" / "questions.jsonl"
USERS = 20
PER_USER = 5
REQUEST_TIMEOUT = 120.0  # seconds one question may take before it counts as an error
RUN_TIMEOUT = 900.0  # the whole concurrent run
TARGET_P95 = 3.0


@dataclass
class Turn:
    question: str
    answer: str = ""
    wait: float = 0.0
    error: str = ""


@dataclass
class LoadResult:
    users: int
    per_user: int
    single: list[list[Turn]]
    loaded: list[list[Turn]]
    seconds: float
    peak_mb: float
    end_mb: float
    concurrency: int
    server_cpu: float = 0.0  # CPU seconds the server used during the loaded pass
    notes: list[str] = field(default_factory=list)

    def waits(self, runs: list[list[Turn]]) -> list[float]:
        return [t.wait for user in runs for t in user if not t.error]

    @property
    def errors(self) -> int:
        return sum(bool(t.error) for user in self.loaded for t in user)

    @property
    def differing(self) -> int:
        return sum(
            a.answer != b.answer or bool(a.error)
            for su, lu in zip(self.single, self.loaded) for a, b in zip(su, lu)
        )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` (linear between ranks; 0 for none)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``reformqa serve`` in a child process on a free loopback port."""

    def __init__(self, store: Path, concurrency: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "REFORMQA_HOST": "127.0.0.1", "REFORMQA_PORT": str(self.port),
               "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False"}
        env.pop("REFORMQA_AUTH", None)
        if concurrency:
            env["REFORMQA_CONCURRENCY"] = str(concurrency)
        self.log = open(os.devnull, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reformqa.cli", "serve", "--store", str(store)],
            env=env, cwd=REPO, stdout=self.log, stderr=self.log,
        )

    def wait_ready(self, seconds: float = 240.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {self.proc.returncode} before serving")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:  # loopback only
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the app did not answer on {self.url} within {seconds:.0f} s")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float]:
        """Peak (VmHWM) and current (VmRSS) resident memory of the server process."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) / 1024
        return fields.get("VmHWM", 0.0), fields.get("VmRSS", 0.0)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def last_answer(chat: list[dict[str, Any]]) -> str:
    if not chat:
        return ""
    content = chat[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def conversation(url: str, questions: list[str], start: threading.Barrier | None = None) -> list[Turn]:
    """One user: a new session, the questions one after the other, each bounded in time."""
    from gradio_client import Client

    turns = [Turn(q) for q in questions]
    client = Client(url, verbose=False, analytics_enabled=False)
    try:
        if start is not None:
            start.wait(timeout=RUN_TIMEOUT)
        for turn in turns:
            t0 = time.perf_counter()
            try:
                chat, _sources, _box, status = client.submit(
                    turn.question, [], api_name="/ask"
                ).result(timeout=REQUEST_TIMEOUT)
                turn.answer = last_answer(chat)
                if not chat:
                    turn.error = f"no answer ({status})"
            except Exception as exc:  # a failed or timed-out request is counted, not raised
                turn.error = f"{type(exc).__name__}: {exc}"[:200]
            turn.wait = time.perf_counter() - t0
    finally:
        client.close()
    return turns


def run_load(store: Path, users: int = USERS, per_user: int = PER_USER, questions: Path = QUESTIONS,
             concurrency: int | None = None) -> LoadResult:
    texts = [q.question for q in load_questions(questions)]
    if len(texts) < users * per_user:
        texts = (texts * (users * per_user // len(texts) + 1))
    plans = [texts[u * per_user : (u + 1) * per_user] for u in range(users)]
    server = Server(store, concurrency)
    try:
        server.wait_ready()
        conversation(server.url, ["khởi động"])  # load the model outside the timings
        log.info("loaded pass: %d users at once, %d questions each", users, per_user)
        loaded: list[list[Turn]] = [[] for _ in plans]
        start = threading.Barrier(users)

        def user(i: int) -> None:
            loaded[i] = conversation(server.url, plans[i], start)

        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, RUN_TIMEOUT - (time.perf_counter() - t0)))
        seconds, server_cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
        for i, plan in enumerate(plans):
            if not loaded[i]:
                loaded[i] = [Turn(q, error="not finished within the run's time limit") for q in plan]
        peak, end = server.memory_mb()
        # after the loaded pass, so that it gains nothing from vectors this pass leaves cached
        log.info("single-user pass: %d users one after the other", users)
        single = [conversation(server.url, plan) for plan in plans]
    finally:
        server.stop()
    from app import ask_concurrency

    limit = concurrency or int(os.environ.get("REFORMQA_CONCURRENCY") or 0) or ask_concurrency()
    return LoadResult(users, per_user, single, loaded, seconds, peak, end, limit, server_cpu)


def load_table(result: LoadResult) -> str:
    loaded, single = result.waits(result.loaded), result.waits(result.single)
    total = result.users * result.per_user
    p50, p95 = percentile(loaded, 50), percentile(loaded, 95)
    rows = [
        ("users × questions (loopback, each user one conversation)", f"{result.users} × {result.per_user} = {total}", ""),
        ("questions answered at once by the app (REFORMQA_CONCURRENCY)", str(result.concurrency), ""),
        ("wait per question under load, p50 / p95 (sent → whole answer)", f"{p50:.2f} / {p95:.2f} s",
         f"p95 ≤ {TARGET_P95:.0f} s " + ("✓" if p95 <= TARGET_P95 else "✗")),
        ("wait, max", f"{max(loaded, default=0):.2f} s", ""),
        ("same questions one user at a time (after, warm), p50 / p95", f"{percentile(single, 50):.2f} / {percentile(single, 95):.2f} s", ""),
        ("errors (failed or over 120 s)", str(result.errors), "0 " + ("✓" if result.errors == 0 else "✗")),
        ("answers different from the single-user run", f"{result.differing} of {total}",
         "0 " + ("✓" if result.differing == 0 else "✗")),
        ("throughput under load", f"{total / result.seconds:.1f} questions/s ({result.seconds:.0f} s)", ""),
        ("server CPU per question under load (all threads)", f"{result.server_cpu / total:.2f} s", ""),
        ("server memory, peak / at the end", f"{result.peak_mb:.0f} / {result.end_mb:.0f} MB", ""),
    ]
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def load_section(store: Path) -> str:
    t0 = time.perf_counter()
    result = run_load(store)
    return "\n".join([
        "### Load: 20 users at once",
        "",
        "The app in its own process on 127.0.0.1; each simulated user is a gradio client session "
        "asking 5 questions of `eval/questions.jsonl` in a row (100 different questions), all users "
        "at once; clients and server share the machine's cores.",
        "",
        load_table(result),
        "",
        f"_Load section: {time.perf_counter() - t0:.0f} s._",
    ])


def main(argv: list[str] | None = None) -> int:
    from eval.bench import configure_logging, publish
    from index import store as index_store

    p = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__.split("\n")[0])
    p.add_argument("--store", help="index folder (default: $REFORMQA_STORE or storage/)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "bench.md")
    args = p.parse_args(argv)
    configure_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    store = index_store.store_dir(args.store)
    if not index_store.exists(store):
        log.error("no index in %s: build it with `reformqa ingest corpus/ --store %s`", store, store)
        return 2
    load0 = os.getloadavg()
    publish("load", ["## `python -m eval.load`: concurrent users", "", load_section(store)], load0, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
