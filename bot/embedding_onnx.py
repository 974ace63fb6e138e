"""The bundled MiniLM on ONNX Runtime: exported here, on first use, from the checked weights (nothing downloads).

The export (torch's own exporter, which needs the `onnx` package) keeps the model's mean pooling and
normalisation in the graph and also returns the token vectors, so sentences can be pooled from a passage's
pass as `MiniLMEmbedder` does; ONNX Runtime's transformer optimiser then fuses attention and layer norms. The
vectors are those of `SentenceTransformer.encode(..., normalize_embeddings=True)` to about 1e-6, so an index
built with one backend answers with the other: both record the same model id.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding import (
    MAX_TOKENS,
    MODEL_SHA256,
    OFFLINE_ENVIRONMENT,
    PassageVectors,
    SentenceVectors,
    Spans,
    TokenOutput,
    bundled_model_dir,
    bundled_model_id,
    embed_pooled,
    embed_separately,
    file_sha256,
    limit_blas_threads,
    verify_model,
)
from bot.errors import ConfigError, ModelIntegrityError

log = logging.getLogger(__name__)
EXPORT_VERSION = "1"  # changes whenever the exported graph would differ, so an old export is made again
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MISSING_PACKAGE = (
    'embedding.backend = "onnx" needs the {name} package; install it with '
    "`make setup` (or `pip install onnx onnxruntime`), or set embedding.backend = \"torch\""
)


def export_file(onnx_dir: Path | None = None, sha256: str = MODEL_SHA256) -> Path:
    """Where the export of the bundled weights lives: in `onnx_dir`, by default beside the weights themselves."""
    folder = onnx_dir or bundled_model_dir() / "onnx"
    return folder / f"all-MiniLM-L6-v2-{sha256[:12]}-onnx{EXPORT_VERSION}.onnx"


def export_onnx(target: Path, model_dir: Path | None = None, expected_sha256: str = MODEL_SHA256) -> Path:
    """Export the bundled MiniLM to `target` (written whole, then renamed), with a record of the weights it came
    from and of its own SHA-256 beside it; refuses weights that fail the official SHA-256."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    model_dir = model_dir or bundled_model_dir()
    verify_model(model_dir, expected_sha256)
    try:
        import onnx  # noqa: F401 - torch's exporter writes the file with it
        import torch
        from onnxruntime.transformers.optimizer import optimize_model
        from transformers import AutoModel
    except ImportError as error:
        raise ConfigError(MISSING_PACKAGE.format(name=error.name)) from None

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1), tokens

    # Eager attention exports as the plain pattern the optimiser knows how to fuse into one Attention node.
    log.info("exporting the bundled MiniLM to ONNX in %s (once)", target.parent)
    logging.getLogger("onnxruntime.transformers").setLevel(logging.WARNING)  # it logs every step it takes
    encoder = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    example = (
        torch.ones((2, 8), dtype=torch.int64),
        torch.ones((2, 8), dtype=torch.int64),
        torch.zeros((2, 8), dtype=torch.int64),
    )
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    dynamic |= {"sentence_embedding": {0: "batch"}, "token_embeddings": {0: "batch", 1: "tokens"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    plain = target.with_name(f".{target.name}.{uuid.uuid4().hex}.plain")
    optimised = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, and the one without onnxscript
            torch.onnx.export(
                Pooled(encoder),
                example,
                str(plain),
                input_names=list(INPUTS),
                output_names=["sentence_embedding", "token_embeddings"],
                dynamic_axes=dynamic,
                opset_version=17,
                dynamo=False,
            )
            # Fusions only (attention, layer norm, GELU): exact arithmetic, not the approximate GELU or fp16.
            optimize_model(
                str(plain), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
            ).save_model_to_file(str(optimised))
        record = {
            "source_sha256": expected_sha256,
            "onnx_sha256": file_sha256(optimised),
            "export_version": EXPORT_VERSION,
        }
        _write_atomically(_record_file(target), json.dumps(record, indent=1))
        os.replace(optimised, target)
    finally:
        plain.unlink(missing_ok=True)
        optimised.unlink(missing_ok=True)
    return target


def _record_file(target: Path) -> Path:
    return target.with_suffix(".json")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def verify_export(target: Path, expected_sha256: str = MODEL_SHA256) -> None:
    """Refuse an export that is not, byte for byte, the one made here from the official weights."""
    try:
        record = json.loads(_record_file(target).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelIntegrityError(
            f"{_record_file(target)} cannot be read ({error}); delete {target.parent}/ and the export is made again"
        ) from None
    if record.get("source_sha256") != expected_sha256 or record.get("onnx_sha256") != file_sha256(target):
        raise ModelIntegrityError(
            f"{target} is not the export of the official all-MiniLM-L6-v2 made here; "
            f"delete {target.parent}/ and the export is made again"
        )


class OnnxEmbedder:
    """The `Embedder` protocol over the ONNX export: tokenizers and ONNX Runtime, no torch once exported.

    Questions run on one thread (as `MiniLMEmbedder`'s do, for the same reason); batches of passages on a second
    session with ONNX Runtime's default threads, opened on first use.
    """

    def __init__(
        self,
        onnx_file: Path,
        model_dir: Path | None = None,
        expected_sha256: str = MODEL_SHA256,
        sentence_vectors: SentenceVectors = "pooled",
        batch_size: int = 32,
        query_cache_size: int = 1024,
    ) -> None:
        os.environ.update(OFFLINE_ENVIRONMENT)
        model_dir = model_dir or bundled_model_dir()
        verify_model(model_dir, expected_sha256)
        verify_export(onnx_file, expected_sha256)
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ConfigError(MISSING_PACKAGE.format(name=error.name)) from None
        limit_blas_threads()
        self._onnxruntime = onnxruntime
        self._file = onnx_file
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._query_session = self._session(threads=1)
        self._batch_session: Any = None
        self._sentence_vectors = sentence_vectors
        self._model_id = bundled_model_id(expected_sha256, sentence_vectors)
        self._batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = query_cache_size

    @classmethod
    def open(cls, onnx_dir: Path | None = None, sentence_vectors: SentenceVectors = "pooled") -> OnnxEmbedder:
        """The embedder over the export in `onnx_dir` (see `export_file`), exporting the bundled weights first
        when it is not there; one process exports at a time, the others wait and use its file."""
        target = export_file(onnx_dir)
        if not target.is_file():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with (target.parent / ".export.lock").open("a+") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    if not target.is_file():
                        for stray in target.parent.glob(f".{target.name}.*"):  # an export killed half-way
                            stray.unlink(missing_ok=True)
                        export_onnx(target)
            except PermissionError as error:
                raise ConfigError(
                    f"cannot write the ONNX export in {target.parent} ({error.strerror}); set "
                    "embedding.onnx_dir (BOT_EMBEDDING__ONNX_DIR) to a writable folder"
                ) from None
        return cls(target, sentence_vectors=sentence_vectors)

    def _session(self, threads: int) -> Any:
        options = self._onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return self._onnxruntime.InferenceSession(str(self._file), options, providers=["CPUExecutionProvider"])

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return 384

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Unit vectors in the order given, batches cut from the texts sorted by length."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for first in range(0, len(order), self._batch_size):
            rows = order[first : first + self._batch_size]
            vectors[rows] = self._run(self._batch(), [encodings[i] for i in rows], with_tokens=False)[0]
        return vectors

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> PassageVectors:
        """Each text's vector and its spans' vectors: each span embedded alone, or pooled from its text's tokens."""
        if self._sentence_vectors == "separate":
            return embed_separately(texts, spans, self.embed_passages)

        def run(batch: list[str]) -> TokenOutput:
            encodings = self._tokenizer.encode_batch(batch)
            vectors, tokens = self._run(self._batch(), encodings)
            offsets = np.zeros(tokens.shape[:2] + (2,), dtype=np.int64)
            for row, encoding in enumerate(encodings):
                offsets[row, : len(encoding.offsets)] = encoding.offsets
            return vectors, tokens, offsets

        return embed_pooled(texts, spans, run, self.embed_passages, self._batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Several questions in one run (a two-part question's whole and parts), each remembered."""
        with self._cache_lock:  # the API answers on several threads
            known = {text: self._cache[text] for text in texts if text in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        fresh = [text for text in dict.fromkeys(texts) if text not in known]
        if fresh:
            vectors, _ = self._run(self._query_session, self._tokenizer.encode_batch(fresh), with_tokens=False)
            vectors.setflags(write=False)
            known |= dict(zip(fresh, vectors, strict=True))
            with self._cache_lock:
                self._cache.update((text, known[text]) for text in fresh)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [known[text] for text in texts]

    def _batch(self) -> Any:
        if self._batch_session is None:
            self._batch_session = self._session(threads=0)
        return self._batch_session

    def _run(self, session: Any, encodings: list[Any], with_tokens: bool = True) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feed["input_ids"][row, :size] = encoding.ids
            feed["attention_mask"][row, :size] = encoding.attention_mask
            feed["token_type_ids"][row, :size] = encoding.type_ids
        outputs = session.run(
            ["sentence_embedding", "token_embeddings"] if with_tokens else ["sentence_embedding"], feed
        )
        return np.array(outputs[0], dtype=np.float32), outputs[-1]
