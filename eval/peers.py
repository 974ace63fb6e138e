"""The systems compared in one run, on the same questions: ours, its two retrievers alone, a stock build.

- `ours`: the product as configured (dense + BM25 fused, extractive answers).
- `bm25` / `dense`: the product with `retrieval.mode` set to `lexical` / `dense`: one retriever alone.
- `llama-index`: what a user builds in an afternoon: `SimpleDirectoryReader` over the corpus folder,
  a `VectorStoreIndex` over Chroma with the same bundled MiniLM model, default chunking. No LLM is
  available offline, so its answer is the text of its top retrieved node, cited as that node.

Every system answers with a `bot.types.Answer`, so results share one format. For a benchmark:

    peer = build_llama_index_peer(Path("corpus"))
    answer = peer.ask("Who implements the OSH partnership?")   # answer.text, answer.citations[0].source
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.embedding import Embedder
from bot.settings import Settings
from bot.types import Answer, AnswerSentence, Citation
from eval.errors import PeerError

SYSTEM_NAMES = ("ours", "bm25", "dense", "llama-index")
PEER_TOP_K = 6  # passages listed per question, as many as the product retrieves by default
DESCRIPTIONS = {
    "ours": "the product: dense + BM25 fused by reciprocal rank, extractive cited answer",
    "bm25": "the product with retrieval.mode = lexical (BM25 alone)",
    "dense": "the product with retrieval.mode = dense (MiniLM in Chroma alone)",
    "llama-index": "stock llama-index VectorStoreIndex over Chroma, same MiniLM, default settings; "
    "answer = top node's text",
}
_MODES = {"ours": None, "bm25": "lexical", "dense": "dense"}
_NEEDS_FILE_READERS = {".pdf", ".docx"}  # without llama-index-readers-file they would be indexed as raw bytes
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class System:
    """A named question answerer; `ask` returns the product's `Answer` with `retrieved` and `latency_ms`."""

    name: str
    description: str
    ask: Callable[[str], Answer]


def product_system(name: str, settings: Settings, embedder: Embedder, answerer: Any = None) -> System:
    """Our product, with the retrieval mode `name` stands for ('ours', 'bm25', 'dense')."""
    from bot.service import QuestionAnswerer

    if name not in _MODES:
        raise PeerError(f"unknown product variant {name!r}; use one of {sorted(_MODES)}")
    mode = _MODES[name]
    if mode is not None:
        settings = settings.model_copy(
            update={"retrieval": settings.retrieval.model_copy(update={"mode": mode})}
        )
    service = QuestionAnswerer.open(settings, embedder, answerer=answerer)
    return System(name, DESCRIPTIONS[name], service.ask)


class LlamaIndexPeer:
    """A stock llama-index `VectorStoreIndex` over an in-memory Chroma collection; build it with `build`."""

    def __init__(self, index: Any, corpus_dir: Path, top_k: int = PEER_TOP_K) -> None:
        self._retriever = index.as_retriever(similarity_top_k=top_k)
        self._corpus_dir = corpus_dir.resolve()

    @classmethod
    def build(
        cls, corpus_dir: Path, top_k: int = PEER_TOP_K, model_dir: Path | None = None
    ) -> LlamaIndexPeer:
        """Read every document of `corpus_dir` the product would read and index it the default way."""
        from bot.documents import SUFFIXES
        from bot.embedding import OFFLINE_ENVIRONMENT, bundled_model_dir, verify_model

        os.environ.update(OFFLINE_ENVIRONMENT)  # the model is a local folder: nothing may be fetched
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
            from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
            from llama_index.vector_stores.chroma import ChromaVectorStore
        except ImportError as error:
            raise PeerError(
                f"the llama-index peer needs {error.name}; run `make setup` (pip install -e '.[eval]')"
            ) from None
        model_dir = model_dir or bundled_model_dir()
        verify_model(model_dir)
        files = [
            p
            for p in sorted(corpus_dir.rglob("*"))
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
        ]
        unreadable = [p for p in files if p.suffix.lower() in _NEEDS_FILE_READERS and not _has_file_readers()]
        if unreadable:
            # llama-index-readers-file would read them, but it pins pypdf and pandas below the product's
            log.warning(
                "the llama-index peer leaves out %d file(s) it reads only with llama-index-readers-file: %s",
                len(unreadable),
                ", ".join(p.name for p in unreadable),
            )
            files = [p for p in files if p not in unreadable]
        if not files:
            raise PeerError(
                f"{corpus_dir} holds no documents the product reads ({', '.join(sorted(SUFFIXES))}); "
                "point --corpus at the documents folder"
            )
        try:
            documents = SimpleDirectoryReader(input_files=[str(p) for p in files]).load_data()
        except ImportError as error:
            raise PeerError(
                f"llama-index needs {error.name} to read one of the documents; pip install {error.name}"
            ) from None
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.create_collection(f"llama-index-peer-{uuid.uuid4().hex[:8]}")
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        embed_model = HuggingFaceEmbedding(model_name=str(model_dir))
        index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embed_model)
        return cls(index, corpus_dir, top_k)

    def retrieve(self, question: str) -> tuple[Citation, ...]:
        """The top nodes for `question`, best first, as citations."""
        return tuple(self._citation(node) for node in self._retriever.retrieve(question))

    def ask(self, question: str) -> Answer:
        """The top node's text as the answer, cited as that node; never refuses (stock has no threshold)."""
        started = time.perf_counter()
        retrieved = self.retrieve(question)
        latency = round((time.perf_counter() - started) * 1000, 3)
        if not retrieved:
            return Answer(
                text="No documents were retrieved.",
                sentences=(),
                citations=(),
                abstained=True,
                reason="empty index",
                latency_ms=latency,
            )
        top = retrieved[0]
        return Answer(
            text=top.text,
            sentences=(AnswerSentence(" ".join(top.text.split()), 0),),
            citations=(top,),
            abstained=False,
            latency_ms=latency,
            retrieved=retrieved,
            confidence=round(top.score, 4),
        )

    def _citation(self, scored: Any) -> Citation:
        node, metadata = scored.node, scored.node.metadata
        path = Path(metadata.get("file_path", metadata.get("file_name", "")))
        try:
            source = path.resolve().relative_to(self._corpus_dir).as_posix()
        except ValueError:
            source = path.name
        text = node.get_content()
        start = node.start_char_idx or 0
        return Citation(
            passage_id=node.node_id,
            doc_id=source,
            text=text,
            title=path.name,
            source=source,
            section=None,
            page=_page(metadata.get("page_label")),
            start=start,
            end=node.end_char_idx if node.end_char_idx is not None else start + len(text),
            score=round(float(scored.score or 0.0), 6),
        )


def _has_file_readers() -> bool:
    try:
        return importlib.util.find_spec("llama_index.readers.file") is not None
    except ModuleNotFoundError:
        return False


def _page(label: Any) -> int | None:
    try:
        return int(label)
    except (TypeError, ValueError):
        return None


def build_llama_index_peer(corpus_dir: Path, top_k: int = PEER_TOP_K) -> LlamaIndexPeer:
    """The stock llama-index peer over `corpus_dir`, ready to `ask`. Builds in memory; nothing downloads."""
    return LlamaIndexPeer.build(corpus_dir, top_k)


def open_systems(
    names: Sequence[str],
    settings: Settings,
    embedder: Embedder,
    make_embedder: Callable[[], Embedder] | None = None,
) -> list[System]:
    """The named systems over `settings.corpus_dir`, in the order given; unknown names are refused.

    Product variants after the first get their own embedder from `make_embedder` when given, so none
    finds the questions' vectors already cached by an earlier system (which would flatter its latency).
    """
    unknown = [n for n in names if n not in SYSTEM_NAMES]
    if unknown:
        raise PeerError(f"unknown system {', '.join(unknown)}; choose from {', '.join(SYSTEM_NAMES)}")
    systems = []
    first_product = True
    for name in names:
        if name == "llama-index":
            peer = build_llama_index_peer(settings.corpus_dir, settings.retrieval.top_k)
            systems.append(System(name, DESCRIPTIONS[name], peer.ask))
            continue
        own = embedder if first_product or make_embedder is None else make_embedder()
        systems.append(product_system(name, settings, own))
        first_product = False
    return systems
