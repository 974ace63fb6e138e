"""Build or update the index from a corpus folder: embed only what changed, switch over atomically."""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.chunking import chunk_document, chunking_fingerprint
from bot.documents import Skipped, SourceFile, discover, load_document
from bot.embedding import Embedder
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

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.updated or self.removed) and self.build is None

    def summary(self) -> str:
        lines = [
            f"{'index already up to date' if self.up_to_date else 'index built: ' + str(self.build)} "
            f"({self.passages} passages, {self.embedded} texts embedded, {self.seconds:.1f} s)",
            f"  added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}, skipped {len(self.skipped)}",
        ]
        lines += [f"  skipped {item.doc_id}: {item.reason}" for item in self.skipped]
        return "\n".join(lines)


@contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
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
    sources, _ = discover(corpus_dir)
    known = {doc: entry.content_hash for doc, entry in manifest.documents.items()} | manifest.failed
    return {s.doc_id: s.content_hash for s in sources} == known


def ingest(
    corpus_dir: Path,
    index_root: Path,
    embedder: Embedder,
    chunking: ChunkingSettings,
    chroma: ChromaConnector,
    rebuild: bool = False,
) -> IngestReport:
    """Bring the index in `index_root` up to date with `corpus_dir`; see IngestReport for what happened."""
    started = time.perf_counter()
    with ingest_lock(index_root):
        folder = IndexFolder(index_root)
        sources, skipped = discover(corpus_dir)
        fingerprint = chunking_fingerprint(chunking)
        previous_build = folder.current_build()
        previous = read_manifest(previous_build) if previous_build else None
        reusable = (previous is not None and not rebuild and previous.model_id == embedder.model_id
                    and previous.chunking == fingerprint)
        old_hashes = ({d: e.content_hash for d, e in previous.documents.items()} if previous and reusable else {})
        old_failed = previous.failed if previous and reusable else {}
        current_ids = {s.doc_id for s in sources}

        unchanged = [s for s in sources if old_hashes.get(s.doc_id) == s.content_hash]
        known_failures = [s for s in sources if old_failed.get(s.doc_id) == s.content_hash]
        to_read = [s for s in sources if s not in unchanged and s not in known_failures]
        removed = sorted((set(old_hashes) | set(old_failed)) - current_ids)
        if previous_build and reusable and not to_read and not removed:
            skipped += [Skipped(s.doc_id, previous.skipped.get(s.doc_id, "unreadable")) for s in known_failures]
            return IngestReport((), (), (), tuple(s.doc_id for s in unchanged), tuple(skipped),
                                previous.passage_count if previous else 0, 0, time.perf_counter() - started, None)

        new_passages, failed = _read_and_chunk(to_read, chunking)
        skipped += [Skipped(doc_id, reason) for doc_id, (reason, _) in failed.items()]
        skipped += [Skipped(s.doc_id, previous.skipped.get(s.doc_id, "unreadable"))
                    for s in known_failures if previous]
        kept: dict[str, list[Passage]] = {}
        old_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if previous_build and reusable and unchanged:
            kept, old_vectors = _reusable(previous_build, {s.doc_id for s in unchanged})

        by_document = kept | new_passages
        ordered = [p for doc_id in sorted(by_document) for p in by_document[doc_id]]
        passage_vectors, sentence_vectors, embedded = _vectors(ordered, old_vectors, embedder)

        build = folder.new_build()
        manifest = Manifest(
            model_id=embedder.model_id,
            chunking=fingerprint,
            documents={doc_id: DocumentEntry(next(s.content_hash for s in sources if s.doc_id == doc_id),
                                             passages[0].meta.title if passages else doc_id, len(passages))
                       for doc_id, passages in by_document.items()},
            passage_count=len(ordered),
            acronyms=learn_acronyms(p.text for p in ordered),
            built_at=time.time(),
            build=build.name,
            collection=f"passages-{build.name}",
            skipped={item.doc_id: item.reason for item in skipped},
            failed={doc_id: content_hash for doc_id, (_, content_hash) in failed.items()}
            | {s.doc_id: s.content_hash for s in known_failures},
        )
        write_build(build, BuildContents(ordered, passage_vectors, sentence_vectors), manifest, chroma)
        if os.environ.get("BOT_TEST_CRASH_BEFORE_SWITCH"):  # lets the crash-safety test stop at the worst moment
            os._exit(99)
        folder.switch_to(build)
        if previous is not None:
            chroma.drop_collection(build, previous.collection)
        folder.prune()
        new_ids = set(new_passages)
        return IngestReport(
            added=tuple(sorted(new_ids - set(old_hashes))),
            updated=tuple(sorted(new_ids & set(old_hashes))),
            removed=tuple(removed),
            unchanged=tuple(sorted(kept)),
            skipped=tuple(skipped),
            passages=len(ordered),
            embedded=embedded,
            seconds=time.perf_counter() - started,
            build=build.name,
        )


def _read_and_chunk(
    sources: list[SourceFile], chunking: ChunkingSettings
) -> tuple[dict[str, list[Passage]], dict[str, tuple[str, str]]]:
    from tqdm import tqdm

    passages: dict[str, list[Passage]] = {}
    failed: dict[str, tuple[str, str]] = {}
    for source in tqdm(sources, desc="reading", unit="file", disable=None if sys.stderr.isatty() else True):
        try:
            document = load_document(source)
        except DocumentError as error:
            log.warning("skipped %s: %s", source.doc_id, error)
            failed[source.doc_id] = (str(error), source.content_hash)
            continue
        chunks = chunk_document(document, chunking)
        if chunks:
            passages[source.doc_id] = chunks
        else:
            failed[source.doc_id] = ("no passages found in it", source.content_hash)
    return passages, failed


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
            vectors[passage.passage_id] = (passage_vectors[row], sentence_vectors[first_sentence : first_sentence + count])
        first_sentence += count
    return kept, vectors


def _vectors(
    passages: list[Passage], reused: dict[str, tuple[np.ndarray, np.ndarray]], embedder: Embedder
) -> tuple[np.ndarray, np.ndarray, int]:
    """Passage and sentence vectors in order, embedding only what `reused` does not hold."""
    to_embed: list[str] = []
    for passage in passages:
        if passage.passage_id not in reused:
            to_embed.append(passage.index_text)
            to_embed.extend(passage.sentence_text(span) for span in passage.sentences)
    fresh = embedder.embed_passages(to_embed, show_progress=sys.stderr.isatty() and len(to_embed) > 256)
    passage_rows: list[np.ndarray] = []
    sentence_rows: list[np.ndarray] = []
    cursor = 0
    for passage in passages:
        if passage.passage_id in reused:
            vector, sentences = reused[passage.passage_id]
        else:
            count = len(passage.sentences)
            vector, sentences = fresh[cursor], fresh[cursor + 1 : cursor + 1 + count]
            cursor += 1 + count
        passage_rows.append(vector)
        sentence_rows.append(sentences)
    dimension = embedder.dimension
    passage_matrix = np.vstack(passage_rows).astype(np.float32) if passage_rows else np.zeros((0, dimension), np.float32)
    sentence_matrix = (np.vstack(sentence_rows).astype(np.float32) if sentence_rows
                       else np.zeros((0, dimension), np.float32))
    return passage_matrix, sentence_matrix, len(to_embed)
