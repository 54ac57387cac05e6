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
