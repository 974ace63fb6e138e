"""An ONNX Runtime backend for the bundled MiniLM, exported here from the checked weights (nothing downloads).

The export (torch's own ONNX exporter; it needs the `onnx` package) folds mean pooling and normalisation
into the graph, so one `run` gives the same unit vectors as `SentenceTransformer.encode(...,
normalize_embeddings=True)`, to about 1e-7. Used by the benchmark to compare throughput and recall;
`OnnxEmbedder` follows the `bot.embedding.Embedder` protocol, so it can build and query an index.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.embedding import MODEL_NAME, MODEL_SHA256, OFFLINE_ENVIRONMENT, bundled_model_dir, verify_model
from eval.errors import EvalError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length in sentence-transformers


class OnnxUnavailable(EvalError):
    """The ONNX backend cannot be built here (a package is missing); the benchmark skips it and says why."""


def export_onnx(target: Path, model_dir: Path | None = None) -> Path:
    """Export the bundled MiniLM (pooled and normalised) to `target`; refuses weights that fail the SHA-256."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    model_dir = model_dir or bundled_model_dir()
    verify_model(model_dir)
    try:
        import onnx  # noqa: F401 - torch's exporter needs it to write the file
        import onnxruntime  # noqa: F401
        import torch
        from transformers import AutoModel
    except ImportError as error:
        raise OnnxUnavailable(f"the ONNX backend needs {error.name}; pip install onnx onnxruntime") from None

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    encoder = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    example = {name: torch.ones((2, 8), dtype=torch.int64) for name in INPUTS}
    example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.int64)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"embedding": {0: "batch"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, and the only one without onnxscript
        torch.onnx.export(
            Pooled(encoder),
            tuple(example[name] for name in INPUTS),
            str(target),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return target


class OnnxEmbedder:
    """The `Embedder` protocol over an exported MiniLM: tokenizers + onnxruntime, no torch at query time."""

    def __init__(self, onnx_file: Path, model_dir: Path | None = None, threads: int = 0, batch_size: int = 32) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise OnnxUnavailable(f"the ONNX backend needs {error.name}; pip install onnxruntime tokenizers") from None
        model_dir = model_dir or bundled_model_dir()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._batch_size = batch_size

    @property
    def model_id(self) -> str:
        return f"{MODEL_NAME}@{MODEL_SHA256[:12]}"

    @property
    def dimension(self) -> int:
        return 384

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Unit vectors in the order given; batches are cut from texts sorted by length, as ST does."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for first in range(0, len(order), self._batch_size):
            rows = order[first : first + self._batch_size]
            vectors[rows] = self._run([encodings[i] for i in rows])
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([self._tokenizer.encode(text)])[0]

    def _run(self, encodings: list) -> np.ndarray:  # type: ignore[type-arg]
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feed["input_ids"][row, :size] = encoding.ids
            feed["attention_mask"][row, :size] = encoding.attention_mask
            feed["token_type_ids"][row, :size] = encoding.type_ids
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
