"""Shared fixtures: the real bundled model, and real indexes built into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.embedding import MiniLMEmbedder
from bot.service import QuestionAnswerer, build_index
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
TINY_CORPUS = Path(__file__).resolve().parent / "data" / "tiny"


def settings_for(corpus: Path, index: Path, **overrides: object) -> Settings:
    return load_settings(environ={}, corpus_dir=corpus, index_dir=index, **overrides)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def seed_answerer(embedder: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory) -> QuestionAnswerer:
    settings = settings_for(SEED_CORPUS, tmp_path_factory.mktemp("seed-index"))
    build_index(settings, embedder)
    return QuestionAnswerer.open(settings, embedder)


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    """A writable copy of the tiny mixed-format collection."""
    target = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, target)
    return target
