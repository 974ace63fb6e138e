"""The benchmark's measurements of building: ingestion, re-ingest, scale, and the app's cold start.

Each returns plain figures (dicts of numbers) for `eval.bench_report`; the ask latencies are in `eval.bench_ask`.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.chunking import chunk_document
from bot.documents import discover, load_document
from bot.embedding import (
    Embedder,
    MiniLMEmbedder,
    PassageVectors,
    SpanEmbedder,
    Spans,
    embed_separately,
)
from bot.ingest import ingest
from bot.settings import ChunkingSettings, Settings
from bot.store import ChromaConnector, IndexFolder, load_passages, read_manifest
from bot.types import Passage
from eval.bench_corpus import Derived, derive_documents
from eval.bench_scale import build_scaled_index, disk_usage, serve_probe
from eval.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent


class TimedEmbedder:
    """An `Embedder` that adds up the time spent embedding passages, so a build's time can be split."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        started = time.perf_counter()
        vectors = self._inner.embed_passages(texts, show_progress)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Spans]) -> PassageVectors:
        """As the inner embedder makes a passage's sentence vectors (pooled or separate), timed."""
        started = time.perf_counter()
        if isinstance(self._inner, SpanEmbedder):
            embedded = self._inner.embed_with_spans(texts, spans)
        else:
            embedded = embed_separately(texts, spans, self._inner.embed_passages)
        self.seconds += time.perf_counter() - started
        self.texts += embedded.model_inputs
        return embedded


@lru_cache(maxsize=1)
def bare_model() -> Any:
    """A plain `SentenceTransformer` of the bundled weights: the reference the product is measured against."""
    from bot.embedding import OFFLINE_ENVIRONMENT, bundled_model_dir, verify_model

    os.environ.update(OFFLINE_ENVIRONMENT)
    verify_model(bundled_model_dir())
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True)
    model.encode(["warm up"], show_progress_bar=False)
    return model


@lru_cache(maxsize=1)
def default_threads() -> int:
    """torch's own thread count, taken before anything set it: what bare `encode` gets in a fresh process."""
    import torch

    return int(torch.get_num_threads())


def bare_encode(texts: list[str]) -> np.ndarray:
    import torch

    torch.set_num_threads(default_threads())  # in this thread: a query encode before may have set one
    return np.asarray(bare_model().encode(texts, normalize_embeddings=True, show_progress_bar=False))


@dataclass
class Ingestion:
    """The real build of the derived documents, and what later sections reuse of it."""

    corpus: Path
    index_dir: Path
    seconds: float
    passages: int
    embed_seconds: float
    chunking: ChunkingSettings
    figures: dict[str, Any] = field(default_factory=dict)
    onnx_dir: Path | None = None
    default_backend: str = "torch"  # the product's embedding.backend: whose rate a scaled build is estimated at

    def real(self) -> tuple[Derived, dict[str, str], str, str]:
        build = IndexFolder(self.index_dir).current_build()
        assert build is not None
        manifest = read_manifest(build)
        derived = Derived(
            load_passages(build), np.load(build / "passage_vectors.npy"), np.load(build / "sentence_vectors.npy")
        )
        return derived, dict(manifest.acronyms), manifest.model_id, manifest.chunking


def chunk_folder(corpus: Path, chunking: ChunkingSettings) -> list[Passage]:
    sources, _ = discover(corpus)
    return [p for source in sources for p in chunk_document(load_document(source), chunking)]


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _bracketed(texts: list[str], encode: Callable[[list[str]], Any], middle: Callable[[], Any]) -> tuple[float, Any]:
    """Encode half the texts before `middle` and half after, so both sides see the same minutes of load."""
    half = len(texts) // 2
    before = _timed(lambda: encode(texts[:half]))
    result = middle()
    after = _timed(lambda: encode(texts[half:]))
    return before + after, result


def measure_ingestion(
    corpus: Path, work: Path, copies: int, embedder: Embedder, chunking: ChunkingSettings, with_onnx: bool
) -> Ingestion:
    """Our full build of `copies` shuffled copies of the corpus against bare encode of the same passages: with
    `embedder` (the product's default, sentence vectors pooled from each passage's pass) and with each sentence
    embedded separately; then the same two with the ONNX backend, exported here."""
    derived_corpus = work / "derived-corpus"
    derive_documents(corpus, derived_corpus, copies)
    texts = [p.index_text for p in chunk_folder(derived_corpus, chunking)]
    embedder.embed_passages(["warm up"])
    timed = TimedEmbedder(embedder)
    index_dir = work / "ingest-index"
    bare_seconds, report = _bracketed(texts, bare_encode, lambda: _build(derived_corpus, index_dir, timed, chunking))
    bare = len(texts) / bare_seconds
    figures = _ingest_figures(report, bare)
    figures |= {"bare_passages_per_second": round(bare, 2), "embed_seconds": round(timed.seconds, 2)}
    result = Ingestion(derived_corpus, index_dir, report.seconds, report.passages, timed.seconds, chunking, figures)
    separate = MiniLMEmbedder(sentence_vectors="separate")
    separate.embed_passages(["warm up"])
    seconds, separate_report = _bracketed(
        texts, bare_encode, lambda: _build(derived_corpus, work / "separate-index", separate, chunking)
    )
    figures["separate"] = _ingest_figures(separate_report, len(texts) / seconds)
    if with_onnx:
        figures["onnx"] = _measure_onnx_ingestion(derived_corpus, work, texts, chunking, result)
    return result


def _build(corpus: Path, index_dir: Path, embedder: Embedder, chunking: ChunkingSettings) -> Any:
    return ingest(corpus, index_dir, embedder, chunking, ChromaConnector(), rebuild=True)


def _ingest_figures(report: Any, bare: float) -> dict[str, Any]:
    ours = report.passages / report.seconds
    return {
        "documents": len(report.added),
        "passages": report.passages,
        "texts_embedded": report.embedded,
        "build_seconds": round(report.seconds, 2),
        "passages_per_second": round(ours, 2),
        "bare_torch_per_second": round(bare, 2),  # bare encode in this build's own bracket: what `ratio` divides by
        "ratio": round(ours / bare, 3),
    }


def _measure_onnx_ingestion(
    corpus: Path, work: Path, texts: list[str], chunking: ChunkingSettings, result: Ingestion
) -> dict[str, Any]:
    from bot.embedding_onnx import OnnxEmbedder
    from bot.errors import ConfigError

    onnx_dir = work / "onnx"
    try:
        export_seconds = _timed(lambda: OnnxEmbedder.open(onnx_dir))
    except ConfigError as error:
        return {"skipped": str(error)}
    result.onnx_dir = onnx_dir
    figures: dict[str, Any] = {"export_seconds": round(export_seconds, 2)}
    for sentence_vectors in ("pooled", "separate"):
        onnx = OnnxEmbedder.open(onnx_dir, sentence_vectors=sentence_vectors)  # type: ignore[arg-type]
        onnx.embed_passages(["warm up"])
        if sentence_vectors == "pooled":
            gap = np.abs(onnx.embed_passages(texts[:16]) - bare_encode(texts[:16]))
            figures["max_abs_difference"] = float(gap.max())
            torch_seconds, onnx_seconds = _bracketed(
                texts, bare_encode, lambda: _timed(lambda: onnx.embed_passages(texts))  # noqa: B023 - called at once
            )
            figures["bare_passages_per_second"] = round(len(texts) / onnx_seconds, 2)
            figures["bare_torch_bracket_per_second"] = round(len(texts) / torch_seconds, 2)
            figures["bare_ratio_to_bare_torch"] = round(torch_seconds / onnx_seconds, 3)
        seconds, report = _bracketed(
            texts, bare_encode, lambda: _build(corpus, work / f"onnx-{sentence_vectors}-index", onnx, chunking)  # noqa: B023
        )
        row = _ingest_figures(report, len(texts) / seconds)
        row["ratio_to_bare_torch"] = row.pop("ratio")
        figures |= row if sentence_vectors == "pooled" else {"separate": row}
    return figures


def _timed_command(arguments: list[str], expected: str) -> float:
    """Wall seconds of `python ARGUMENTS` from this folder; its output must contain `expected`."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or expected not in done.stdout:
        raise RuntimeError(f"`python {' '.join(arguments[:3])}` failed: {done.stdout[-400:]} {done.stderr[-400:]}")
    return seconds


def measure_reingest(ingestion: Ingestion, embedder: Embedder) -> dict[str, Any]:
    """Ingest the unchanged corpus again: in the library (model loaded) and as the CLI command (cold)."""
    chunking = ingestion.chunking
    library = []
    for _ in range(3):
        started = time.perf_counter()
        report = ingest(ingestion.corpus, ingestion.index_dir, embedder, chunking, ChromaConnector())
        library.append(time.perf_counter() - started)
        if not report.up_to_date:
            raise RuntimeError(f"re-ingest of an unchanged corpus rebuilt the index: {report.summary()}")
    command = _timed_command(
        ["-m", "bot", "ingest", "--corpus", str(ingestion.corpus), "--index", str(ingestion.index_dir)], "up to date"
    )
    seconds = float(np.median(library))
    return {
        "full_build_seconds": round(ingestion.seconds, 2),
        "library_seconds": round(seconds, 3),
        "ratio": round(seconds / ingestion.seconds, 4),
        "command_seconds": round(command, 2),
        "command_ratio": round(command / ingestion.seconds, 4),
        "passages": ingestion.passages,
    }


def measure_scale(
    ingestion: Ingestion,
    sizes: Sequence[int],
    work: Path,
    full: bool,
    embedder: Embedder,
    corpus: Path,
    copies: int,
    questions: Path,
    probe_questions: int,
) -> dict[str, Any]:
    """Build time, size on disk, serving memory and query latency at each size (see `eval.bench_scale`)."""
    real, acronyms, model_id, chunking = ingestion.real()
    embed_per_passage = ingestion.embed_seconds / ingestion.passages
    onnx = ingestion.figures.get("onnx", {})
    if ingestion.default_backend == "onnx" and "build_seconds" in onnx:  # the product's own rate; its whole build
        embed_per_passage = onnx["build_seconds"] / onnx["passages"]
    rows = []
    for size in sizes:
        root = work / f"scale-{size}"
        if full:
            row = _full_point(size, root, corpus, embedder, ingestion.chunking, ingestion.passages / copies)
        else:
            built = build_scaled_index(real, size, root, model_id, chunking, acronyms)
            row = {
                "passages": size,
                "index_seconds": round(built.seconds, 2),
                "embedded": False,
                "build_seconds_estimated": round(built.seconds + size * embed_per_passage, 1),
                "disk_bytes": built.disk_bytes,
            }
        row |= serve_probe(root, questions, probe_questions)
        rows.append(row)
        shutil.rmtree(root, ignore_errors=True)
    return {"embed_seconds_per_passage": round(embed_per_passage, 5), "points": rows, "full": full}


def _full_point(
    size: int, root: Path, corpus: Path, embedder: Embedder, chunking: ChunkingSettings, passages_per_copy: float
) -> dict[str, Any]:
    documents = root / "corpus"
    derive_documents(corpus, documents, max(1, math.ceil(size / passages_per_copy)), seed=size)
    started = time.perf_counter()
    report = ingest(documents, root, embedder, chunking, ChromaConnector(), rebuild=True)
    seconds = time.perf_counter() - started
    build = IndexFolder(root).current_build()
    assert build is not None
    return {
        "passages": report.passages,
        "index_seconds": None,
        "embedded": True,
        "build_seconds_estimated": round(seconds, 1),
        "disk_bytes": disk_usage(build),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure_cold_start(
    settings: Settings,
    work: Path,
    questions: Sequence[str] = (),
    timeout: float = 180.0,
) -> dict[str, Any]:
    """Seconds from starting `python app.py` to its first answer over HTTP (the index already built)."""
    import httpx

    port = free_port()
    env = os.environ.copy() | {
        "BOT_CORPUS_DIR": str(settings.corpus_dir),
        "BOT_INDEX_DIR": str(settings.index_dir),
        "BOT_RECORDS_PATH": str(work / "cold" / "records.sqlite3"),
    }
    log_file = (work / "cold-start.log").open("w")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/api/ask"
    first_answer = None
    latencies: list[float] = []
    try:
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() - started < timeout and process.poll() is None:
                try:
                    response = client.post(url, json={"question": "Who implements the OSH partnership?"})
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if response.status_code == 200:
                    first_answer = time.perf_counter() - started
                    break
                time.sleep(0.05)
            for question in questions:
                began = time.perf_counter()
                client.post(url, json={"question": question}).raise_for_status()
                latencies.append((time.perf_counter() - began) * 1000)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()
    if first_answer is None:
        tail = (work / "cold-start.log").read_text(errors="replace")[-800:]
        raise RuntimeError(f"python app.py gave no answer within {timeout:.0f} s: {tail}")
    figures: dict[str, Any] = {"first_answer_seconds": round(first_answer, 2), "imports": import_seconds()}
    if latencies:
        figures |= {
            "http_questions": len(latencies),
            "http_p50_ms": round(percentile(latencies, 50), 2),
            "http_p95_ms": round(percentile(latencies, 95), 2),
        }
    return figures


def import_seconds() -> dict[str, float]:
    """How long a fresh interpreter takes to import each heavy library (most of a cold start)."""
    seconds = {}
    for module in ("gradio", "sentence_transformers", "chromadb", "bm25s"):
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        if done.returncode == 0:
            seconds[module] = round(float(done.stdout.strip().splitlines()[-1]), 2)
    return seconds
