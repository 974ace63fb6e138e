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
