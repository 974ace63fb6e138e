"""A deterministic stand-in for the embedding model, for tests where the model is not what is tested."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np


class HashingEmbedder:
    """Bag of hashed words → a unit vector: texts sharing words are close, and nothing is downloaded.

    Counts its calls, so a test can tell how much was embedded.
    """

    def __init__(self, model_id: str = "test/hashing-embedder@1", dimension: int = 64) -> None:
        self._model_id = model_id
        self._dimension = dimension
        self.embedded = 0
        self.progress_requested = False

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self._dimension] += 1.0 if digest[4] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        self.embedded += len(texts)
        self.progress_requested |= show_progress
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(len(texts), self._dimension)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)
