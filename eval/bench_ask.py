"""Ask latency, measured turn about: the floor, our library (as configured, and on torch), our API, a library over
an index built with the ONNX backend, and the llama-index peer.

Each question goes to every system in turn (the order rotating from one question to the next), so a
burst of load from another process falls on all of them alike and the ratios hold when the absolute
figures do not. The floor is the least any hybrid retriever does per question: one query embedding
with the bundled model, one Chroma lookup and one BM25 lookup, on the same index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bot.embedding import QUERY_THREADS, Embedder, open_embedder
from bot.formatting import answer_to_json
from bot.lexical import content_terms
from bot.service import QuestionAnswerer, build_index
from bot.settings import Settings
from bot.store import ChromaConnector, open_index
from bot.types import Answer
from eval.metrics import percentile, score_all, summarise
from eval.questions import Question

WARM_UPS = ("What does the warm-up question ask?", "Who funds the warm-up?", "When did the warm-up end?")
log = logging.getLogger(__name__)


def measure_asks(
    settings: Settings,
    questions: Sequence[Question],
    embedder: Embedder,
    with_api: bool,
    with_peer: bool,
    onnx_dir: Path | None,
) -> dict[str, Any]:
    """p50/p95 of every system over the same questions, ratios to the floor, and each system's recall@5."""
    import torch

    from eval.bench_sections import bare_model

    build_index(settings, embedder)
    index = open_index(settings.index_dir, ChromaConnector(), embedder.model_id, _fingerprint(settings))
    model = bare_model()
    candidates = settings.retrieval.candidates

    def floor(question: str) -> None:
        torch.set_num_threads(QUERY_THREADS)  # the floor gets the product's best setting for one query
        vector = model.encode([question], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0]
        index.collection.query(query_embeddings=[vector], n_results=min(candidates, len(index.passages)), include=[])
        index.lexical.rank(content_terms(question), candidates)

    library = QuestionAnswerer.open(settings, open_embedder(settings.embedding))  # the product as configured
    systems: dict[str, Callable[[str], Any]] = {"floor": floor, "library": library.ask}
    if settings.embedding.backend != "torch":  # the same library with the model on torch, as the floor has it
        systems["torch library"] = QuestionAnswerer.open(settings, embedder).ask
    with ExitStack() as stack:
        if with_api:
            systems["api"] = _api_asker(settings, stack)
        return _measure(systems, settings, questions, library, onnx_dir, with_peer)


def _measure(
    systems: dict[str, Callable[[str], Any]],
    settings: Settings,
    questions: Sequence[Question],
    library: QuestionAnswerer,
    onnx_dir: Path | None,
    with_peer: bool,
) -> dict[str, Any]:
    if onnx_dir is not None:
        systems["onnx library"] = _onnx_asker(settings, onnx_dir)
    if with_peer:
        from eval.peers import build_llama_index_peer

        started = time.perf_counter()
        peer = build_llama_index_peer(settings.corpus_dir, settings.retrieval.top_k)
        log.info("llama-index peer built in %.1f s", time.perf_counter() - started)
        systems["llama-index"] = peer.ask
    for ask in systems.values():
        for warm_up in WARM_UPS:
            ask(warm_up)
    latencies: dict[str, list[float]] = {name: [] for name in systems}
    answers: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    names = list(systems)
    for number, question in enumerate(questions):
        turn = names[number % len(names) :] + names[: number % len(names)]
        for name in turn:
            started = time.perf_counter()
            answer = systems[name](question.question)
            latencies[name].append((time.perf_counter() - started) * 1000)
            if isinstance(answer, Answer):
                answers[name].append({"id": question.id, **answer_to_json(answer, with_retrieved=True)})
    repeated = []
    for question in questions:  # the same questions again: the query embedding now comes from the cache
        started = time.perf_counter()
        library.ask(question.question)
        repeated.append((time.perf_counter() - started) * 1000)
    floor_p50 = percentile(latencies["floor"], 50)
    figures: dict[str, Any] = {"questions": len(questions), "systems": {}}
    for name in names:
        values = latencies[name]
        entry = {
            "p50_ms": round(percentile(values, 50), 2),
            "p95_ms": round(percentile(values, 95), 2),
            "max_ms": round(max(values), 2),
            "p50_ratio_to_floor": round(percentile(values, 50) / floor_p50, 3),
        }
        if answers[name]:
            summary = summarise(score_all(questions, answers[name]))
            entry |= {"recall_at_5": round(summary["retrieval_recall"], 4), "overall": round(summary["overall"], 4)}
        figures["systems"][name] = entry
    figures["repeated_question"] = {
        "p50_ms": round(percentile(repeated, 50), 2),
        "p95_ms": round(percentile(repeated, 95), 2),
    }
    return figures


def _fingerprint(settings: Settings) -> str:
    from bot.chunking import chunking_fingerprint

    return chunking_fingerprint(settings.chunking)


def _api_asker(settings: Settings, stack: ExitStack) -> Callable[[str], Any]:
    """POST /api/ask through FastAPI's TestClient on `create_app` (its own embedder, so no shared query cache)."""
    from fastapi.testclient import TestClient

    import app

    own = open_embedder(settings.embedding)
    app.desk.configure(settings, open_answerer=lambda s, e=None: QuestionAnswerer.open(s, e or own))
    client = stack.enter_context(TestClient(app.create_app(settings)))
    stack.callback(app.desk.reset)

    def ask(question: str) -> Answer | None:
        response = client.post("/api/ask", json={"question": question})
        response.raise_for_status()
        return None

    return ask


def _onnx_asker(settings: Settings, onnx_dir: Path) -> Callable[[str], Any]:
    """Our library over an index built and queried with the ONNX backend (its recall is compared with torch's)."""
    from bot.embedding_onnx import OnnxEmbedder

    onnx = OnnxEmbedder.open(onnx_dir)
    onnx_settings = settings.model_copy(update={"index_dir": settings.index_dir.parent / "seed-index-onnx"})
    build_index(onnx_settings, onnx)
    return QuestionAnswerer.open(onnx_settings, onnx).ask
