"""The question-answering service the CLI, the app and the evaluation share."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.answering import ExtractiveAnswerer
from bot.chunking import chunking_fingerprint
from bot.embedding import Embedder, open_embedder
from bot.errors import IndexNotBuiltError
from bot.ingest import IngestReport, index_is_current, ingest
from bot.intent import normalise_question
from bot.retrieval import HybridRetriever, Retrieval
from bot.settings import Settings
from bot.store import ChromaConnector, LoadedIndex, open_index
from bot.types import Answer

log = logging.getLogger(__name__)


class Answerer(Protocol):
    """Turns retrieved passages into an answer (the extractive answerer, or a test's stand-in)."""

    def answer(self, retrieval: Retrieval, index: LoadedIndex) -> Answer: ...


@dataclass(frozen=True)
class Health:
    ready: bool
    documents: int
    passages: int
    model: str
    built_at: float | None
    index_age_seconds: float | None
    detail: str


def chroma_connector(settings: Settings) -> ChromaConnector:
    return ChromaConnector(settings.chroma_host, settings.chroma_port)


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False) -> IngestReport:
    """Bring the index up to date with the corpus folder (see `bot.ingest.ingest`)."""
    return ingest(settings.corpus_dir, settings.index_dir, embedder, settings.chunking, chroma_connector(settings),
                  rebuild=rebuild)


class QuestionAnswerer:
    """Answers questions from one opened index; build it with `QuestionAnswerer.open(settings)`."""

    def __init__(self, settings: Settings, embedder: Embedder, index: LoadedIndex,
                 answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self._retriever = HybridRetriever(index, embedder, settings.retrieval)
        self._answerer = answerer or ExtractiveAnswerer(settings.answer)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None,
             answerer: Answerer | None = None) -> QuestionAnswerer:
        """Load the model and the index, first bringing the index up to date when `auto_ingest` is on."""
        embedder = embedder or open_embedder(settings.embedding)
        current = settings.corpus_dir.is_dir() and index_is_current(
            settings.corpus_dir, settings.index_dir, embedder.model_id, settings.chunking)
        if settings.auto_ingest and settings.corpus_dir.is_dir() and not current:
            log.info("index in %s is missing or stale; updating it from %s", settings.index_dir, settings.corpus_dir)
            log.info(build_index(settings, embedder).summary())
        elif not current and settings.corpus_dir.is_dir():
            log.warning("index in %s does not match %s; run `python -m bot ingest`", settings.index_dir,
                        settings.corpus_dir)
        index = open_index(settings.index_dir, chroma_connector(settings), embedder.model_id,
                           chunking_fingerprint(settings.chunking))
        if answerer is None and settings.answer.mode == "llm":
            from bot.generative import GenerativeAnswerer, llm_completer

            answerer = GenerativeAnswerer(settings.answer, llm_completer(settings.answer.llm))
        return cls(settings, embedder, index, answerer)

    def ask(self, question: Any) -> Answer:
        """Answer one question; bad input gets a polite answer that says what to change, never an exception."""
        started = time.perf_counter()
        problem = self._question_problem(question)
        if problem:
            answer = Answer(text=problem, sentences=(), citations=(), abstained=True, reason="invalid question")
        else:
            retrieval = self._retriever.retrieve(normalise_question(" ".join(str(question).split())))
            answer = self._answerer.answer(retrieval, self.index)
        return replace(answer, latency_ms=round((time.perf_counter() - started) * 1000, 3))

    def _question_problem(self, question: Any) -> str | None:
        if not isinstance(question, str):
            return "Please ask the question as text."
        text = question.strip()
        if not text:
            return "Please type a question, for example: Who implements the OSH partnership?"
        limit = self.settings.answer.max_question_chars
        if len(text) > limit:
            return (f"That question is {len(text):,} characters long; the limit is {limit:,}. "
                    "Please ask it in a sentence or two.")
        if not any(ch.isalnum() for ch in text):
            return "Please ask the question in words."
        return None

    def health(self) -> Health:
        manifest = self.index.manifest
        return Health(
            ready=True,
            documents=len(manifest.documents),
            passages=manifest.passage_count,
            model=manifest.model_id,
            built_at=manifest.built_at,
            index_age_seconds=round(time.time() - manifest.built_at, 1),
            detail=f"build {manifest.build}",
        )


def not_ready_health(error: IndexNotBuiltError | Exception, model: str) -> Health:
    return Health(False, 0, 0, model, None, None, str(error))
