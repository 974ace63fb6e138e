from pathlib import Path

import numpy as np
import pytest

from bot.embedding import MODEL_SHA256, MiniLMEmbedder, bundled_model_dir, verify_model
from bot.errors import ModelIntegrityError


def test_bundled_weights_are_the_official_release() -> None:
    verify_model(bundled_model_dir(), MODEL_SHA256)


def test_other_weights_are_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError, match="force-reinstall"):
        verify_model(tmp_path)
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify_model(tmp_path / "elsewhere")


def test_embeddings_are_normalised_and_meaningful(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed_passages(["Crane inspections at the harbour.", "Inspecting harbour cranes.",
                                       "A recipe for chocolate cake."])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    query = embedder.embed_query("Inspecting harbour cranes.")
    assert float(query @ vectors[1]) == pytest.approx(1.0, abs=1e-3)
    assert embedder.embed_query("Inspecting harbour cranes.") is query  # repeated questions are cached


def test_questions_embedded_together_are_the_vectors_of_each_alone(embedder: MiniLMEmbedder) -> None:
    texts = ["Who runs the harbour crane inspections?", "Who runs the harbour crane inspections, and when?",
             "when (Who runs the harbour crane inspections)"]
    together = embedder.embed_queries(texts)
    assert np.allclose(np.stack(together), embedder.embed_passages(texts), atol=1e-5)
    assert all(embedder.embed_query(text) is vector for text, vector in zip(texts, together, strict=True))


def test_a_lazy_embedder_checks_the_weights_at_once_and_loads_the_model_on_first_use(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError):
        MiniLMEmbedder(tmp_path, lazy=True)
    lazy = MiniLMEmbedder(lazy=True)
    assert lazy.embed_query("Inspecting harbour cranes.").shape == (384,)
