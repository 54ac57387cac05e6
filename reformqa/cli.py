"""The ``reformqa`` command: ingest, inspect, ask, eval, serve, feedback export."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from reformqa.questions import QuestionError

log = logging.getLogger("reformqa")


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", help="index folder (default: $REFORMQA_STORE or storage/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reformqa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="parse files and update the index (incremental)")
    p.add_argument("paths", nargs="*", default=["corpus"], help="files or folders (default: corpus/)")
    _store_arg(p)

    p = sub.add_parser("inspect", help="show how one file is parsed")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the parse as one JSON object")

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    p.add_argument("--doc", action="append", help="only this document (id, number or title words); repeatable")
    _store_arg(p)

    p = sub.add_parser("eval", help="score the question set")
    p.add_argument("--questions", type=Path, default=None, help="JSONL question file")
    p.add_argument("--out", type=Path, default=None, help="write one JSON line per question")
    p.add_argument("--k", type=int, default=5)
    _store_arg(p)

    p = sub.add_parser("serve", help="start the chat app")
    _store_arg(p)

    p = sub.add_parser("feedback", help="the thumbs up/down users gave in the app")
    actions = p.add_subparsers(dest="action", required=True)
    e = actions.add_parser("export", help="print or write every vote")
    e.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    e.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")
    _store_arg(e)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "faiss", "urllib3", "gradio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except UserFacingError as exc:
        log.error("%s", exc)
        return 2


class UserFacingError(Exception):
    """An error the user can fix; printed without a traceback."""


def _user_errors():
    from answer.engine import EmptyQuestionError
    from eval.scoring import QuestionFileError
    from index.embeddings import EmbeddingConfigError
    from index.lock import StoreBusyError
    from index.qdrant import QdrantUnavailableError
    from index.store import IndexMissingError
    from ingest.source import IngestError

    return (
        EmptyQuestionError, QuestionFileError, EmbeddingConfigError, IndexMissingError, IngestError,
        QdrantUnavailableError, QuestionError, StoreBusyError,
    )


def _wrap(fn):
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except QuestionError as exc:  # refused before anything heavy is imported
            raise UserFacingError(str(exc)) from None
        except Exception as exc:
            if isinstance(exc, _user_errors()):
                raise UserFacingError(str(exc)) from None
            raise

    return run


class _ProgressLog:
    """Ingest progress on stderr: every file read, embedding at most every few seconds."""

    def __init__(self, every: float = 3.0) -> None:
        self.every, self.last = every, 0.0

    def __call__(self, step) -> None:
        from index.progress import Stage

        now = time.monotonic()
        if step.stage == Stage.EMBED and step.done < step.total and now - self.last < self.every:
            return
        self.last = now
        log.info("%s", step.describe())


@_wrap
def cmd_ingest(args: argparse.Namespace) -> int:
    from index.builder import ingest
    from index.store import store_dir

    store = store_dir(args.store)

    def waiting(holder: str) -> None:
        log.warning("another ingest is writing %s (%s): waiting for it to finish…", store, holder)

    report = ingest([Path(p) for p in args.paths], store, progress=_ProgressLog(), on_wait=waiting)
    for _path, reason in report.skipped:
        log.warning("skipped: %s", reason)
    for _path, reason in report.warnings:
        log.warning("note: %s", reason)
    for _path, reason in report.failed:
        log.error("failed: %s", reason)
    log.info(
        "%d added, %d updated, %d removed, %d unchanged, %d failed, %d skipped; %d passages in %s",
        len(report.added), len(report.updated), len(report.removed), len(report.unchanged),
        len(report.failed), len(report.skipped), report.passages, store,
    )
    return 0 if report.ok else 1


@_wrap
def cmd_inspect(args: argparse.Namespace) -> int:
    from ingest.pipeline import parse_file

    doc = parse_file(Path(args.file))
    if args.json:
        print(json.dumps(doc.to_inspect_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"{doc.title}\n  source: {doc.source}\n  metadata: {doc.metadata}")
    print(f"  {len(doc.passages)} passages, {len(doc.footnotes)} footnotes, {len(doc.articles)} articles")
    for p in doc.passages:
        notes = f" footnotes={[f.number for f in p.footnotes]}" if p.footnotes else ""
        print(f"- {p.id} [{p.section}]{notes}\n    {p.text[:160]}")
    return 0


@_wrap
def cmd_ask(args: argparse.Namespace) -> int:
    from reformqa.questions import check_question

    question = check_question(args.question)  # before the index (or the engine's code) is loaded
    from answer.engine import Engine
    from reformqa.runtime import one_blas_thread

    one_blas_thread()
    engine = Engine.from_store(args.store)
    ans = engine.ask(question, k=args.k, documents=args.doc)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False))
        return 0
    print(ans.answer)
    print()
    for c in ans.citations:
        where = " > ".join(x for x in [c.section] if x)
        print(f"[{c.n}] {c.document} — {where}")
        print(f"    «{c.quote}»")
        for f in c.footnotes:
            print(f"    {f.number}) {f.text}")
    return 0


@_wrap
def cmd_eval(args: argparse.Namespace) -> int:
    from answer.engine import Engine
    from eval.runner import DEFAULT_QUESTIONS, report, run_eval
    from reformqa.runtime import one_blas_thread

    one_blas_thread()
    engine = Engine.from_store(args.store)
    summary, _ = run_eval(engine, args.questions or DEFAULT_QUESTIONS, args.out, args.k)
    print(report(summary))
    return 0


@_wrap
def cmd_feedback(args: argparse.Namespace) -> int:
    from index.store import store_dir
    from reformqa.feedback import FILE_NAME, FeedbackStore, export

    store = store_dir(args.store)
    if not (store / FILE_NAME).is_file():
        raise UserFacingError(f"no feedback in {store}: nobody has rated an answer yet (chưa có phản hồi nào)")
    text = export(FeedbackStore.in_store(store).rows(), args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        log.info("feedback written to %s", args.out)
    return 0


@_wrap
def cmd_serve(args: argparse.Namespace) -> int:
    import app

    app.main(store=args.store)
    return 0


_COMMANDS = {
    "ingest": cmd_ingest,
    "inspect": cmd_inspect,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "feedback": cmd_feedback,
}

if __name__ == "__main__":
    raise SystemExit(main())
