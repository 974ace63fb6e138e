"""The built index on disk: a build folder per ingest, switched to atomically.

    index/CURRENT            name of the live build (replaced atomically, never half-written)
    index/build-*/           manifest.json (written last), passages.jsonl, passage_vectors.npy,
                             sentence_vectors.npy, lexical/ (BM25), chroma/ (embedded Chroma)

A reader opens the build CURRENT names; an ingest writes a new build beside it and only then
replaces CURRENT, so a query never sees a half-written index, whatever happens to the ingest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexNotBuiltError, ModelMismatchError, StoreUnavailableError
from bot.lexical import LexicalIndex
from bot.types import DocumentMeta, Passage, Span

FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class DocumentEntry:
    content_hash: str
    title: str
    passages: int
    text_hash: str = ""  # of the cleaned text: the same text in another file is a duplicate


@dataclass(frozen=True)
class Manifest:
    model_id: str
    chunking: str
    documents: dict[str, DocumentEntry]
    passage_count: int
    acronyms: dict[str, str]
    built_at: float
    build: str
    collection: str
    skipped: dict[str, str] = field(default_factory=dict)  # file → why it was not indexed
    failed: dict[str, str] = field(default_factory=dict)  # unreadable file → its content hash, not retried
    duplicates: dict[str, str] = field(default_factory=dict)  # file → the indexed file with the same text
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["documents"] = {k: DocumentEntry(**v) for k, v in data["documents"].items()}
        return cls(**data)


def passage_to_json(passage: Passage) -> dict[str, Any]:
    return {
        "id": passage.passage_id, "doc": passage.doc_id, "text": passage.text, "start": passage.start,
        "end": passage.end, "section": passage.section, "page": passage.page, "meta": asdict(passage.meta),
        "sentences": [[s.start, s.end] for s in passage.sentences],
        "header": [passage.header.start, passage.header.end] if passage.header else None,
    }


def passage_from_json(data: dict[str, Any]) -> Passage:
    return Passage(
        passage_id=data["id"], doc_id=data["doc"], text=data["text"], start=data["start"], end=data["end"],
        section=data["section"], page=data["page"], meta=DocumentMeta(**data["meta"]),
        sentences=tuple(Span(a, b) for a, b in data["sentences"]),
        header=Span(*data["header"]) if data["header"] else None,
    )


class IndexFolder:
    """Where builds live and which one is current."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def current_build(self) -> Path | None:
        pointer = self.root / CURRENT_FILE
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        build = self.root / name
        return build if name and _manifest_readable(build) else None

    def new_build(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        build = self.root / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        build.mkdir()
        return build

    def switch_to(self, build: Path) -> None:
        """Make `build` the live index in one atomic rename."""
        temporary = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex}"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(build.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / CURRENT_FILE)
        _fsync_directory(self.root)

    def prune(self, keep: int = 2) -> list[str]:
        """Remove unfinished builds and all but the newest `keep` finished ones (never the current one)."""
        current = self.current_build()
        builds = sorted((p for p in self.root.glob("build-*") if p.is_dir()), key=lambda p: p.name)
        finished = [b for b in builds if (b / MANIFEST_FILE).is_file()]
        keepers = set(finished[-keep:]) | ({current} if current else set())
        removed = []
        for build in builds:
            if build not in keepers:
                _remove_build(build)
                removed.append(build.name)
        for stray in self.root.glob(f".{CURRENT_FILE}.*"):
            stray.unlink(missing_ok=True)
        return removed

    def remove_leftovers(self) -> list[str]:
        """Remove what an interrupted ingest left: builds never finished, or finished but never switched to.

        Call it only while holding the ingest lock: then no other ingest is writing a build.
        """
        current = self.current_build()
        current_time = read_manifest(current).built_at if current else None
        removed = []
        for build in sorted(p for p in self.root.glob("build-*") if p.is_dir() and p != current):
            try:
                built_at: float | None = read_manifest(build).built_at
            except (OSError, ValueError, TypeError, KeyError):  # no manifest, or a damaged one: unfinished
                built_at = None
            if built_at is None or current_time is None or built_at > current_time:
                _remove_build(build)
                removed.append(build.name)
        for stray in self.root.glob(f".{CURRENT_FILE}.*"):
            stray.unlink(missing_ok=True)
        return removed


def _manifest_readable(build: Path) -> bool:
    """Whether the build has a manifest that parses: a damaged one counts as no build, so ingest rebuilds it."""
    try:
        read_manifest(build)
    except (OSError, ValueError, TypeError, KeyError):
        return False
    return True


def _remove_build(build: Path) -> None:
    """Manifest first: a removal cut short leaves an unfinished build, which the next ingest removes."""
    (build / MANIFEST_FILE).unlink(missing_ok=True)
    shutil.rmtree(build, ignore_errors=True)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_manifest(build: Path) -> Manifest:
    return Manifest.from_json((build / MANIFEST_FILE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class BuildContents:
    """What an ingest hands to `write_build`: passages in order with their vectors."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray  # rows follow passages' sentences in order


def write_build(build: Path, contents: BuildContents, manifest: Manifest, chroma: ChromaConnector) -> None:
    """Write every file of a build; the manifest goes last, so a build without one is unfinished."""
    with (build / "passages.jsonl").open("w", encoding="utf-8") as handle:
        for passage in contents.passages:
            handle.write(json.dumps(passage_to_json(passage), ensure_ascii=False) + "\n")
    np.save(build / "passage_vectors.npy", contents.passage_vectors)
    np.save(build / "sentence_vectors.npy", contents.sentence_vectors)
    lexical_folder = build / "lexical"
    lexical_folder.mkdir()
    LexicalIndex.build([p.index_text for p in contents.passages]).save(lexical_folder)
    chroma.write_collection(build, manifest.collection, contents.passages, contents.passage_vectors)
    for path in build.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    temporary = build / f".{MANIFEST_FILE}.tmp"
    temporary.write_text(manifest.to_json(), encoding="utf-8")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, build / MANIFEST_FILE)
    _fsync_directory(build)


class ChromaConnector:
    """Opens Chroma: embedded in the build folder, or a server when a host is given."""

    def __init__(self, host: str | None = None, port: int = 8000) -> None:
        self.host = host
        self.port = port

    def client(self, build: Path) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.host:
            try:
                return chromadb.HttpClient(host=self.host, port=self.port, settings=chroma_settings)
            except Exception as error:  # noqa: BLE001 - chromadb raises ValueError or httpx errors for this
                raise self.unavailable(error) from None
        return chromadb.PersistentClient(path=str(build / "chroma"), settings=chroma_settings)

    def unavailable(self, error: BaseException) -> StoreUnavailableError:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        return StoreUnavailableError(
            f"the Chroma server at {self.host}:{self.port} does not answer ({reason}); start it "
            "(`chroma run --path DIR --port PORT`) or fix BOT_CHROMA_HOST/BOT_CHROMA_PORT")

    def write_collection(self, build: Path, name: str, passages: list[Passage], vectors: np.ndarray) -> None:
        client = self.client(build)
        if self.host:
            # absent is the normal case; Chroma raises different types for it
            with contextlib.suppress(Exception):
                client.delete_collection(name)
        collection = client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        batch = 2000
        for first in range(0, len(passages), batch):
            chunk = passages[first : first + batch]
            collection.add(
                ids=[p.passage_id for p in chunk],
                embeddings=vectors[first : first + batch],
                metadatas=[{"doc": p.doc_id, "row": first + i} for i, p in enumerate(chunk)],
            )

    def open_collection(self, build: Path, name: str) -> Any:
        if not self.host:
            try:
                return self.client(build).get_collection(name, embedding_function=None)
            except Exception as error:  # noqa: BLE001 - chromadb's own error types for a damaged folder vary
                reason = " ".join(str(error).split())[:200]
                raise IndexNotBuiltError(
                    f"{build}/chroma cannot be opened ({type(error).__name__}: {reason}); "
                    f"rebuild with `python -m bot ingest --rebuild --index {build.parent}`") from None
        try:
            return ServerCollection(self.client(build).get_collection(name, embedding_function=None), self)
        except StoreUnavailableError:
            raise
        except Exception as error:  # noqa: BLE001 - connection failures come as several types
            if "does not exist" in str(error):
                raise IndexNotBuiltError(
                    f"the Chroma server at {self.host}:{self.port} has no collection {name}; build it with "
                    "`python -m bot ingest --rebuild` (with the same BOT_CHROMA_HOST/PORT)") from None
            raise self.unavailable(error) from None

    def drop_collection(self, build: Path, name: str) -> None:
        if self.host:
            with contextlib.suppress(Exception):  # already gone
                self.client(build).delete_collection(name)


class ServerCollection:
    """A collection on a Chroma server whose connection failures surface as `StoreUnavailableError`."""

    def __init__(self, collection: Any, connector: ChromaConnector) -> None:
        self._collection = collection
        self._connector = connector

    def query(self, **kwargs: Any) -> Any:
        try:
            return self._collection.query(**kwargs)
        except Exception as error:  # noqa: BLE001 - httpx, chromadb and OS errors all mean "not reachable"
            raise self._connector.unavailable(error) from None

    def count(self) -> int:
        try:
            return int(self._collection.count())
        except Exception as error:  # noqa: BLE001 - as above
            raise self._connector.unavailable(error) from None


@dataclass
class LoadedIndex:
    """A build opened for answering: passages, their vectors, BM25 and the Chroma collection."""

    build: Path
    manifest: Manifest
    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray  # row of each passage's first sentence in sentence_vectors
    lexical: LexicalIndex
    collection: Any
    row_of: dict[str, int]

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        first = int(self.sentence_offsets[row])
        return self.sentence_vectors[first : first + len(self.passages[row].sentences)]


def load_passages(build: Path) -> list[Passage]:
    with (build / "passages.jsonl").open(encoding="utf-8") as handle:
        return [passage_from_json(json.loads(line)) for line in handle if line.strip()]


def open_index(root: Path, chroma: ChromaConnector, model_id: str, chunking: str) -> LoadedIndex:
    """Open the current build, or say how to build one."""
    folder = IndexFolder(root)
    build = folder.current_build()
    if build is None:
        raise IndexNotBuiltError(f"no index in {root}/; build it with `python -m bot ingest --index {root}`")
    try:
        manifest = read_manifest(build)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise IndexNotBuiltError(f"{build}/manifest.json cannot be read ({type(error).__name__}: {error}); "
                                 f"rebuild with `python -m bot ingest --rebuild --index {root}`") from None
    if manifest.format_version != FORMAT_VERSION or manifest.model_id != model_id or manifest.chunking != chunking:
        raise ModelMismatchError(
            f"{root}/ was built with model {manifest.model_id} and chunking {manifest.chunking}, but this is "
            f"{model_id} with chunking {chunking}; run `python -m bot ingest --rebuild --index {root}`"
        )
    try:
        return _load(build, manifest, chroma)
    except (OSError, ValueError, TypeError, KeyError, EOFError) as error:
        raise IndexNotBuiltError(f"{build} is damaged or unreadable ({type(error).__name__}: {error}); "
                                 f"rebuild with `python -m bot ingest --rebuild --index {root}`") from None


def _load(build: Path, manifest: Manifest, chroma: ChromaConnector) -> LoadedIndex:
    passages = load_passages(build)
    sentence_counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sentence_counts)[:-1]]) if passages else np.zeros(0, dtype=np.int64)
    return LoadedIndex(
        build=build,
        manifest=manifest,
        passages=passages,
        # Mapped, not read: a query touches a few rows, and at 100k passages the two files are ~500 MB.
        passage_vectors=np.load(build / "passage_vectors.npy", mmap_mode="r"),
        sentence_vectors=np.load(build / "sentence_vectors.npy", mmap_mode="r"),
        sentence_offsets=offsets,
        lexical=LexicalIndex.load(build / "lexical", len(passages)),
        collection=chroma.open_collection(build, manifest.collection),
        row_of={p.passage_id: row for row, p in enumerate(passages)},
    )
