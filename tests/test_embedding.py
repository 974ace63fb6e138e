from pathlib import Path

import numpy as np
import pytest

from bot.embedding import MODEL_SHA256, MiniLMEmbedder, bundled_model_dir, bundled_model_id, pool_spans, verify_model
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


def test_a_span_is_the_mean_of_the_tokens_it_overlaps_and_a_cut_off_span_is_left_empty() -> None:
    tokens = np.array([[9.0, 9.0], [3.0, 0.0], [0.0, 1.0], [0.0, 3.0], [9.0, 9.0]])
    offsets = np.array([[0, 0], [0, 3], [4, 7], [7, 11], [0, 0]])  # [CLS] "one" "two" "##ish" [SEP]
    pooled = pool_spans(tokens, offsets, [(0, 3), (4, 11), (12, 16)])
    assert pooled[0] == pytest.approx([1.0, 0.0])
    assert pooled[1] == pytest.approx([0.0, 1.0])  # (0, 1) + (0, 3), normalised
    assert pooled[2] == pytest.approx([0.0, 0.0])  # past the last token: the text was cut off before it


def test_pooled_sentences_share_the_passage_pass_and_cut_off_ones_are_embedded_alone() -> None:
    pooled = MiniLMEmbedder(sentence_vectors="pooled")
    first = "Crane inspections at the harbour are done by the port authority."
    last = "Inspectors also visit the bakery on Tuesdays."
    text = f"{first} {'Filler words about nothing in particular. ' * 60}{last}"
    spans = [(0, len(first)), (len(text) - len(last), len(text))]
    embedded = pooled.embed_with_spans([text], [spans])
    assert embedded.model_inputs == 2  # the passage, and the last sentence, which the 256 tokens do not reach
    assert np.allclose(embedded.texts[0], pooled.embed_passages([text])[0], atol=1e-5)
    sentences = embedded.spans[0]
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    assert np.allclose(sentences[1], pooled.embed_passages([last])[0], atol=1e-5)
    assert float(sentences[0] @ pooled.embed_query("Who inspects the harbour cranes?")) > 0.5
    assert pooled.model_id == bundled_model_id() != bundled_model_id(sentence_vectors="separate")
