"""Build or update the index from a corpus folder: embed only what changed, switch over atomically.

An ingest holds a lock on the index folder, removes what an interrupted ingest left behind, reads the
new and changed files, reuses the vectors of unchanged ones, writes a complete new build beside the
live one and only then switches `CURRENT` to it. Killed at any moment, it leaves the live build as it
was; the next ingest cleans up and does the work again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.chunking import chunk_document, chunking_fingerprint
from bot.documents import Skipped, SourceFile, discover, load_document
from bot.embedding import Embedder, SpanEmbedder, embed_separately
from bot.errors import DocumentError, IndexBusyError
from bot.glossary import learn_acronyms
from bot.settings import ChunkingSettings
from bot.store import (
    BuildContents,
    ChromaConnector,
    DocumentEntry,
    IndexFolder,
    Manifest,
    load_passages,
    read_manifest,
    write_build,
)
from bot.types import Passage

log = logging.getLogger(__name__)
EMBED_BATCH = 256  # passages per call to the embedder, so the progress bar moves
NAMES_SHOWN = 10  # file names listed per line of the summary


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    passages: int
    embedded: int
    seconds: float
    build: str | None
    cleaned: tuple[str, ...] = field(default=())  # builds an interrupted ingest left, removed

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.updated or self.removed) and self.build is None

    def summary(self) -> str:
        """What the ingest did, for a person: counts, the files added, updated and removed, and why files were
        skipped."""
        lines = [
            f"{'index already up to date' if self.up_to_date else 'index built: ' + str(self.build)} "
            f"({self.passages} passages, {self.embedded} texts embedded, {self.seconds:.1f} s)",
            f"  added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}, skipped {len(self.skipped)}",
        ]
        for label, names in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            if names:
                more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
                lines.append(f"  {label}: {', '.join(names[:NAMES_SHOWN])}{more}")
        lines += [f"  skipped {item.doc_id}: {item.reason}" for item in self.skipped]
        if self.cleaned:
            lines.append(f"  cleaned up {len(self.cleaned)} unfinished build(s) of an interrupted ingest")
        return "\n".join(lines)


@contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """One ingest at a time per index folder (the kernel releases the lock when a process dies)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".ingest.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(f"another ingest is writing {root}/; wait for it to finish and try again") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_is_current(corpus_dir: Path, index_root: Path, model_id: str, chunking: ChunkingSettings) -> bool:
    """Whether the live build was made from exactly these files, this model and this chunking."""
    build = IndexFolder(index_root).current_build()
    if build is None:
        return False
    manifest = read_manifest(build)
    if manifest.model_id != model_id or manifest.chunking != chunking_fingerprint(chunking):
        return False
    sources, _ = discover(corpus_dir, indexed=manifest.documents)
    known = {doc: entry.content_hash for doc, entry in manifest.documents.items()} | manifest.failed
    return {s.doc_id: s.content_hash for s in sources} == known


@dataclass
class _Plan:
    """Which files an ingest reads again and which it keeps from the live build."""

    unchanged: list[SourceFile]
    known_failures: list[SourceFile]  # unreadable last time and not changed since: not read again
    to_read: list[SourceFile]
    removed: list[str]


def _plan(sources: list[SourceFile], previous: Manifest | None, reusable: bool) -> _Plan:
    """Unless the live build is `reusable` (same model and chunking, no --rebuild), every file is read again."""
    old_hashes = {d: e.content_hash for d, e in previous.documents.items()} if previous else {}
    old_failed = previous.failed if previous else {}
    removed = sorted((set(old_hashes) | set(old_failed)) - {s.doc_id for s in sources})
    if not reusable:
        return _Plan([], [], list(sources), removed)
    unchanged = [s for s in sources if old_hashes.get(s.doc_id) == s.content_hash]
    failures = [s for s in sources if old_failed.get(s.doc_id) == s.content_hash]
    to_read = [s for s in sources if s not in unchanged and s not in failures]
    # A duplicate is read again when the file it duplicated changes or goes.
    changed = set(removed) | {s.doc_id for s in to_read}
    duplicates = previous.duplicates if previous else {}
    retried = [s for s in failures if duplicates.get(s.doc_id) in changed]
    return _Plan(unchanged, [s for s in failures if s not in retried], to_read + retried, removed)


def ingest(
    corpus_dir: Path,
    index_root: Path,
    embedder: Embedder,
    chunking: ChunkingSettings,
    chroma: ChromaConnector,
    rebuild: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """Bring the index in `index_root` up to date with `corpus_dir`; see IngestReport for what happened.

    `progress` shows bars for reading and embedding; by default only when stderr is a terminal.
    """
    started = time.perf_counter()
    show_progress = sys.stderr.isatty() if progress is None else progress
    with ingest_lock(index_root):
        folder = IndexFolder(index_root)
        cleaned = tuple(folder.remove_leftovers())
        if cleaned:
            log.info("removed %d unfinished build(s) left by an interrupted ingest", len(cleaned))
        previous_build = folder.current_build()
        previous = read_manifest(previous_build) if previous_build else None
        sources, skipped = discover(corpus_dir, indexed=previous.documents if previous else ())
        fingerprint = chunking_fingerprint(chunking)
        reusable = (previous is not None and not rebuild and previous.model_id == embedder.model_id
                    and previous.chunking == fingerprint)
        plan = _plan(sources, previous, reusable)
        known_skips = [Skipped(s.doc_id, previous.skipped.get(s.doc_id, "unreadable"))
                       for s in plan.known_failures if previous]
        if previous is not None and reusable and not plan.to_read and not plan.removed:
            return IngestReport((), (), (), tuple(s.doc_id for s in plan.unchanged), tuple(skipped + known_skips),
                                previous.passage_count, 0, time.perf_counter() - started, None, cleaned)

        kept: dict[str, list[Passage]] = {}
        old_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if previous_build and reusable and plan.unchanged:
            kept, old_vectors = _reusable(previous_build, {s.doc_id for s in plan.unchanged})
        kept_texts = {previous.documents[d].text_hash: d for d in kept if previous}
        read = _read_and_chunk(plan.to_read, chunking, kept_texts, show_progress)
        skipped += [Skipped(doc_id, reason) for doc_id, (reason, _) in read.failed.items()] + known_skips

        by_document = kept | read.passages
        ordered = [p for doc_id in sorted(by_document) for p in by_document[doc_id]]
        passage_vectors, sentence_vectors, embedded = _vectors(ordered, old_vectors, embedder, show_progress)

        build = folder.new_build()
        content_hashes = {s.doc_id: s.content_hash for s in sources}
        text_hashes = read.text_hashes | {d: previous.documents[d].text_hash for d in kept if previous}
        manifest = Manifest(
            model_id=embedder.model_id,
            chunking=fingerprint,
            documents={doc_id: DocumentEntry(content_hashes[doc_id], passages[0].meta.title, len(passages),
                                             text_hashes.get(doc_id, ""))
                       for doc_id, passages in by_document.items()},
            passage_count=len(ordered),
            acronyms=learn_acronyms(  # headings define acronyms too: '“Advancing Decent Work” (ADWiB)'
                [*(p.text for p in ordered), *dict.fromkeys(p.section for p in ordered if p.section)]
            ),
            built_at=time.time(),
            build=build.name,
            collection=f"passages-{build.name}",
            skipped={item.doc_id: item.reason for item in skipped},
            failed={doc_id: content_hash for doc_id, (_, content_hash) in read.failed.items()}
            | {s.doc_id: s.content_hash for s in plan.known_failures},
            duplicates=read.duplicates | {s.doc_id: previous.duplicates[s.doc_id] for s in plan.known_failures
                                          if previous and s.doc_id in previous.duplicates},
        )
        write_build(build, BuildContents(ordered, passage_vectors, sentence_vectors), manifest, chroma)
        if os.environ.get("BOT_TEST_CRASH_BEFORE_SWITCH"):  # lets the crash-safety test stop at the worst moment
            os._exit(99)
        folder.switch_to(build)
        if previous is not None:
            chroma.drop_collection(build, previous.collection)
        folder.prune()
        old_hashes = {d: e.content_hash for d, e in previous.documents.items()} if previous else {}
        return IngestReport(
            added=tuple(sorted(d for d in read.passages if d not in old_hashes)),
            updated=tuple(sorted(d for d in read.passages if d in old_hashes and old_hashes[d] != content_hashes[d])),
            removed=tuple(plan.removed),
            unchanged=tuple(sorted(d for d in by_document if old_hashes.get(d) == content_hashes[d])),
            skipped=tuple(skipped),
            passages=len(ordered),
            embedded=embedded,
            seconds=time.perf_counter() - started,
            build=build.name,
            cleaned=cleaned,
        )


@dataclass
class _Read:
    passages: dict[str, list[Passage]] = field(default_factory=dict)
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)  # file → (why, content hash)
    text_hashes: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)


def _read_and_chunk(sources: Sequence[SourceFile], chunking: ChunkingSettings, known_texts: dict[str, str],
                    show_progress: bool) -> _Read:
    """Passages of each readable file; the others with the reason. A file whose text another file already
    has (the same report saved twice, in another encoding or format) is skipped as a duplicate."""
    from tqdm import tqdm

    read = _Read()
    texts = dict(known_texts)
    for source in tqdm(sources, desc="reading", unit="file", disable=not show_progress or not sources):
        try:
            document = load_document(source)
        except DocumentError as error:
            log.warning("skipped %s: %s", source.doc_id, error)
            read.failed[source.doc_id] = (str(error), source.content_hash)
            continue
        text_hash = hashlib.sha256(" ".join(document.text.split()).encode()).hexdigest()
        if text_hash in texts:
            original = texts[text_hash]
            read.failed[source.doc_id] = (f"duplicate of {original} (the same text)", source.content_hash)
            read.duplicates[source.doc_id] = original
            continue
        chunks = chunk_document(document, chunking)
        if not chunks:
            read.failed[source.doc_id] = ("no passages found in it", source.content_hash)
            continue
        texts[text_hash] = source.doc_id
        read.passages[source.doc_id] = chunks
        read.text_hashes[source.doc_id] = text_hash
    return read


def _reusable(
    build: Path, doc_ids: set[str]
) -> tuple[dict[str, list[Passage]], dict[str, tuple[np.ndarray, np.ndarray]]]:
    passages = load_passages(build)
    passage_vectors = np.load(build / "passage_vectors.npy")
    sentence_vectors = np.load(build / "sentence_vectors.npy")
    kept: dict[str, list[Passage]] = {}
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    first_sentence = 0
    for row, passage in enumerate(passages):
        count = len(passage.sentences)
        if passage.doc_id in doc_ids:
            kept.setdefault(passage.doc_id, []).append(passage)
            sentences = sentence_vectors[first_sentence : first_sentence + count]
            vectors[passage.passage_id] = (passage_vectors[row], sentences)
        first_sentence += count
    return kept, vectors


def _embed(
    passages: list[Passage], embedder: Embedder, show_progress: bool
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """Each passage's vector and its sentences' vectors, and how many texts went through the model.

    A `SpanEmbedder` decides how sentences get their vectors (MiniLM can pool them from the passage's own forward
    pass); any other embedder embeds each sentence as well. Longest passages first, so a batch pads little.
    """
    from tqdm import tqdm

    ordered = sorted(passages, key=lambda p: -len(p.index_text))
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    inputs = 0
    with tqdm(total=len(ordered), desc="embedding", unit="passage", disable=not show_progress or not ordered) as bar:
        for first in range(0, len(ordered), EMBED_BATCH):
            batch = ordered[first : first + EMBED_BATCH]
            shifts = [len(p.index_text) - len(p.text) for p in batch]  # sentences are offsets into p.text
            spans = [[(s.start + shift, s.end + shift) for s in p.sentences] for p, shift in zip(batch, shifts,
                                                                                               strict=True)]
            texts = [p.index_text for p in batch]
            embedded = (embedder.embed_with_spans(texts, spans) if isinstance(embedder, SpanEmbedder)
                        else embed_separately(texts, spans, embedder.embed_passages))
            inputs += embedded.model_inputs
            for passage, vector, sentences in zip(batch, embedded.texts, embedded.spans, strict=True):
                vectors[passage.passage_id] = (vector, sentences)
            bar.update(len(batch))
    return vectors, inputs


def _vectors(
    passages: list[Passage], reused: dict[str, tuple[np.ndarray, np.ndarray]], embedder: Embedder,
    show_progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Passage and sentence vectors in order, embedding only what `reused` does not hold."""
    fresh, embedded = _embed([p for p in passages if p.passage_id not in reused], embedder, show_progress)
    rows = [reused.get(p.passage_id) or fresh[p.passage_id] for p in passages]
    empty = np.zeros((0, embedder.dimension), np.float32)
    passage_matrix = np.vstack([vector for vector, _ in rows]).astype(np.float32) if rows else empty
    sentence_matrix = np.vstack([sentences for _, sentences in rows]).astype(np.float32) if rows else empty
    return passage_matrix, sentence_matrix, embedded
