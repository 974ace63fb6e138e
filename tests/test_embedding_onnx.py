"""The ONNX backend: exported here from the checked weights, the same vectors as torch, refused when tampered with."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from bot.embedding import MiniLMEmbedder, open_embedder
from bot.embedding_onnx import OnnxEmbedder, export_file
from bot.errors import ConfigError, ModelIntegrityError
from bot.service import QuestionAnswerer
from bot.settings import EmbeddingSettings

pytestmark = pytest.mark.slow  # the export runs torch's exporter and the optimiser: several seconds

TEXTS = [
    "Crane inspections at the harbour.",
    "Who funds the harbour crane inspections, and since when?",
    "The Department of Inspection for Factories and Establishments (DIFE) inspects garment factories. "
    "It was strengthened with Danish support from 2018.",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("onnx")
    OnnxEmbedder.open(folder)  # exports
    return folder


def test_the_export_gives_the_torch_vectors_and_the_same_model_id(onnx_dir: Path, embedder: MiniLMEmbedder) -> None:
    onnx = open_embedder(EmbeddingSettings(backend="onnx", onnx_dir=onnx_dir))
    assert isinstance(onnx, OnnxEmbedder)
    assert onnx.model_id == embedder.model_id  # an index built with one backend opens with the other
    assert np.allclose(onnx.embed_passages(TEXTS), embedder.embed_passages(TEXTS), atol=1e-5)
    together = onnx.embed_queries(TEXTS)
    assert np.allclose(np.stack(together), embedder.embed_passages(TEXTS), atol=1e-5)
    assert onnx.embed_query(TEXTS[1]) is together[1]  # remembered


def test_pooled_sentences_match_torch(onnx_dir: Path) -> None:
    second = TEXTS[2].index("It was")
    spans = [[(0, second - 1), (second, len(TEXTS[2]))]]
    onnx = OnnxEmbedder.open(onnx_dir, sentence_vectors="pooled").embed_with_spans(TEXTS[2:], spans)
    torch = MiniLMEmbedder(sentence_vectors="pooled").embed_with_spans(TEXTS[2:], spans)
    assert np.allclose(onnx.spans[0], torch.spans[0], atol=1e-4)
    assert onnx.model_inputs == torch.model_inputs == 1


def test_an_index_built_with_torch_answers_alike_through_onnx(onnx_dir: Path, seed_answerer: QuestionAnswerer) -> None:
    onnx = QuestionAnswerer.open(seed_answerer.settings, OnnxEmbedder.open(onnx_dir))
    for question in (
        "Who implements the OSH partnership?",
        "When did the Improving Fire and General Building Safety project end?",
        "What is the capital of France?",
    ):
        ours, theirs = seed_answerer.ask(question), onnx.ask(question)
        assert (theirs.text, theirs.abstained) == (ours.text, ours.abstained)


def test_a_changed_export_is_refused_and_the_message_says_how_to_redo_it(onnx_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "onnx"
    copy.mkdir()
    original = export_file(onnx_dir)
    for path in (original, original.with_suffix(".json")):
        (copy / path.name).write_bytes(path.read_bytes())
    tampered = export_file(copy)
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelIntegrityError, match="delete .* and the export is made again"):
        OnnxEmbedder.open(copy)


def test_without_the_onnx_package_the_error_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"needs the onnx package; install it .* or set embedding.backend"):
        OnnxEmbedder.open(tmp_path / "onnx")
