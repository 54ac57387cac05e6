"""The app's live engine: warmed up before it serves, at start and after a build switch."""

from __future__ import annotations

import shutil
from pathlib import Path

from answer.engine import Engine
from index import store as index_store
from reformqa.live import LiveEngine


def test_an_engine_is_warmed_up_before_it_serves_and_again_after_a_build_switch(
    corpus_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(corpus_store, store)
    loaded: list[Engine] = []

    def load(path: Path) -> Engine:
        engine = Engine.from_store(path)
        assert engine.retriever._sentences is None  # a fresh engine builds its sentences on first use
        loaded.append(engine)
        return engine

    live = LiveEngine(store, load)
    first = live.engine
    assert loaded == [first]
    assert first.retriever._sentences is not None  # built at load, not by the first user's question
    assert first.check_failures == 0  # the warm-up question is not counted

    index_store.save(store, index_store.load(store))  # a writer switches to a new build
    second = live.engine
    assert loaded == [first, second] and second is not first
    assert live.build == index_store.current_build(store).name
    assert second.retriever._sentences is not None
    answer = second.ask("Chỉ số CCHC năm 2019 của tỉnh Bắc Giang đạt bao nhiêu?")
    assert answer.citations and not answer.abstained


def test_one_blas_thread_gives_the_same_answers_and_can_be_undone(engine: Engine) -> None:
    from threadpoolctl import threadpool_info

    from eval.scoring import load_questions
    from reformqa.runtime import one_blas_thread

    questions = [q.question for q in load_questions(Path(__file__).parents[1] / "eval" / "questions.jsonl")][:12]

    def answers() -> list[tuple[str, bool, float]]:
        return [(a.answer, a.abstained, round(a.confidence, 9)) for a in map(engine.ask, questions)]

    before = answers()
    threads = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    with one_blas_thread():
        assert threads and all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
        assert answers() == before
    assert {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == threads


def test_questions_arriving_together_at_a_cold_engine_share_one_sentence_index(corpus_store: Path) -> None:
    import threading

    from index.retriever import Retriever

    retriever = Retriever.load(corpus_store)
    start = threading.Barrier(6)
    built = []

    def first_question() -> None:
        start.wait()
        built.append(retriever.sentences)

    threads = [threading.Thread(target=first_question) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 6 and all(b is built[0] for b in built)  # built once, not once per question
    assert len(built[0].table) > 0
