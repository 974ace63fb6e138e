"""Plain values that cross the stages: documents → passages → hits → answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "text", "item"]


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    publisher: str | None = None
    kind: str | None = None
    date: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Block:
    """A structural unit of a document's text: a heading, a paragraph, or a list item (record).

    `start`/`end` are character offsets into `Document.text`; `level` orders headings (1 = top).
    """

    kind: BlockKind
    start: int
    end: int
    level: int = 0
    page: int | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str  # the file's path relative to the corpus folder
    text: str  # the cleaned text that passages' offsets refer to
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    content_hash: str  # SHA-256 of the file's bytes


@dataclass(frozen=True)
class Span:
    """A sentence (or a record's header lines) inside a passage, as offsets into the passage text."""

    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    text: str  # exactly `document.text[start:end]`
    start: int
    end: int
    section: str | None
    page: int | None
    meta: DocumentMeta
    sentences: tuple[Span, ...]
    header: Span | None = None  # a record's title/date lines, which belong to every sentence under them

    @property
    def index_text(self) -> str:
        """The text that is embedded and indexed: the passage with the headings it sits under."""
        context = " › ".join(part for part in (self.meta.title, self.section) if part)
        return f"{context}\n{self.text}" if context else self.text

    def sentence_text(self, span: Span) -> str:
        return self.text[span.start : span.end]


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_similarity: float | None = None


@dataclass(frozen=True)
class Citation:
    passage_id: str
    doc_id: str
    text: str
    title: str
    source: str
    section: str | None
    page: int | None
    start: int
    end: int
    score: float
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    highlights: tuple[Span, ...] = ()  # the answering sentences, as offsets into `text`


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citation: int  # index into Answer.citations


@dataclass(frozen=True)
class Answer:
    text: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    abstained: bool
    reason: str | None = None
    related: tuple[Citation, ...] = ()  # closest passages, shown when the answer abstains
    latency_ms: float = 0.0
    retrieved: tuple[Citation, ...] = field(default=())  # every passage retrieved, in order, for evaluation
    confidence: float | None = None  # the evidence score the abstention threshold is compared with
