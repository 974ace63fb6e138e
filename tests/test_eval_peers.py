"""The systems compared: the stock llama-index peer another benchmark imports, and our retrieval variants."""

from pathlib import Path

import pytest

from bot.embedding import MiniLMEmbedder
from eval.errors import PeerError
from eval.peers import build_llama_index_peer, open_systems
from tests.conftest import settings_for


@pytest.mark.slow
def test_llama_index_peer_answers_with_its_top_node_offline(
    tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # any attempt to reach a hub fails instead of downloading
    peer = build_llama_index_peer(tiny_corpus, top_k=3)
    answer = peer.ask("Which method did the harbour board introduce in 2019 for crane inspections?")
    assert not answer.abstained
    top = answer.citations[0]
    assert top.source == "harbour-cranes.txt"  # relative to the corpus folder, as the product cites
    assert "zephyrine" in answer.text and answer.text == top.text
    assert answer.sentences[0].citation == 0
    assert len(answer.retrieved) == 3 and answer.retrieved[0] == top
    assert answer.confidence == pytest.approx(top.score, abs=1e-4) and answer.latency_ms > 0
    assert "metadata.toml" not in {c.source for c in answer.retrieved}


@pytest.mark.slow
def test_product_variants_use_one_retriever_each(
    embedder: MiniLMEmbedder, tiny_corpus: Path, tmp_path: Path
) -> None:
    settings = settings_for(tiny_corpus, tmp_path / "index")
    systems = {s.name: s for s in open_systems(["ours", "bm25", "dense"], settings, embedder)}
    question = "What does the quillometer count?"  # a made-up word: only BM25 can match it exactly
    for name in ("ours", "bm25", "dense"):
        answer = systems[name].ask(question)
        assert answer.retrieved, name
    assert "quillometer" in systems["bm25"].ask(question).retrieved[0].text


def test_an_empty_corpus_says_what_to_point_at(tmp_path: Path) -> None:
    (tmp_path / "notes.xyz").write_text("nothing the product reads", encoding="utf-8")
    with pytest.raises(PeerError, match="holds no documents the product reads"):
        build_llama_index_peer(tmp_path)


def test_unknown_systems_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PeerError, match="unknown system gpt; choose from ours, bm25, dense, llama-index"):
        open_systems(["ours", "gpt"], settings_for(tmp_path, tmp_path / "index"), embedder=None)  # type: ignore[arg-type]


@pytest.mark.slow
def test_documents_the_stock_reader_cannot_read_are_left_out_and_named(
    tiny_corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tiny_corpus / "scan.pdf").write_bytes(b"%PDF-1.4 binary that would be indexed as text")
    with caplog.at_level("WARNING", logger="eval.peers"):
        peer = build_llama_index_peer(tiny_corpus)
    assert "scan.pdf" in caplog.text
    assert all(c.source != "scan.pdf" for c in peer.retrieve("binary PDF"))
