"""Shared fixtures: a real index of the real corpus, built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "bac-giang-bao-cao-cchc-6-thang-dau-2020.txt"
DECREE_63 = CORPUS / "nghi-dinh-63-2010-nd-cp-kiem-soat-tthc.md"
LAW_80 = CORPUS / "luat-can-bo-cong-chuc-80-2025-qh15.md"


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the whole corpus (about a minute on 2 cores)."""
    from index.builder import ingest

    store = tmp_path_factory.mktemp("store")
    report = ingest([CORPUS], store)
    assert report.ok, report.failed
    return store


@pytest.fixture(scope="session")
def engine(corpus_store: Path):
    from answer.engine import Engine

    return Engine.from_store(corpus_store)


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    """A folder with two small real documents, for incremental-ingest tests."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "tin-bo-noi-vu-ket-qua-cchc-2024.md", folder)
    (folder / "ghi-chu.txt").write_text(
        "BÁO CÁO\n\nI. KẾT QUẢ\n\nHuyện Lạng Giang tiếp nhận 1.234 hồ sơ trong quý I¹.\n\n"
        "¹ Quyết định số 77/QĐ-UBND ngày 05/01/2021\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def qdrant_retriever(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The corpus in Qdrant's embedded mode, searched through :class:`index.qdrant.QdrantRetriever`."""
    from index import qdrant
    from index import store as index_store

    config = qdrant.QdrantConfig(str(tmp_path_factory.mktemp("qdrant")), "corpus")
    qdrant.sync(config, index_store.load(corpus_store), index_store.current_build(corpus_store).name)
    return qdrant.QdrantRetriever.connect(config)


@pytest.fixture(scope="session", params=["local", "qdrant"])
def any_retriever(request: pytest.FixtureRequest, corpus_store: Path):
    """The corpus through each retriever backend: in-process, and Qdrant in embedded mode."""
    from index.retriever import Retriever

    if request.param == "local":
        return Retriever.load(corpus_store)
    return request.getfixturevalue("qdrant_retriever")
