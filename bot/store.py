"""The built index on disk: a build folder per ingest, switched to atomically.

    index/CURRENT            name of the live build (replaced atomically, never half-written)
    index/build-*/           manifest.json (written last), passages.jsonl, passage_vectors.npy,
                             sentence_vectors.npy, lexical/ (BM25), chroma/ (embedded Chroma)

A reader opens the build CURRENT names; an ingest writes a new build beside it and only then
replaces CURRENT, so a query never sees a half-written index, whatever happens to the ingest.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexNotBuiltError, ModelMismatchError
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
        return build if name and (build / MANIFEST_FILE).is_file() else None

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
                shutil.rmtree(build, ignore_errors=True)
                removed.append(build.name)
        for stray in self.root.glob(f".{CURRENT_FILE}.*"):
            stray.unlink(missing_ok=True)
        return removed


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
            return chromadb.HttpClient(host=self.host, port=self.port, settings=chroma_settings)
        return chromadb.PersistentClient(path=str(build / "chroma"), settings=chroma_settings)

    def write_collection(self, build: Path, name: str, passages: list[Passage], vectors: np.ndarray) -> None:
        client = self.client(build)
        if self.host:
            try:
                client.delete_collection(name)
            except Exception:  # noqa: BLE001 - absent is the normal case; Chroma raises different types for it
                pass
        collection = client.create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        batch = 2000
        for first in range(0, len(passages), batch):
            chunk = passages[first : first + batch]
            collection.add(
                ids=[p.passage_id for p in chunk],
                embeddings=vectors[first : first + batch],
                metadatas=[{"doc": p.doc_id, "row": first + i} for i, p in enumerate(chunk)],
            )

    def open_collection(self, build: Path, name: str) -> Any:
        return self.client(build).get_collection(name, embedding_function=None)

    def drop_collection(self, build: Path, name: str) -> None:
        if self.host:
            try:
                self.client(build).delete_collection(name)
            except Exception:  # noqa: BLE001 - already gone
                pass


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
    manifest = read_manifest(build)
    if manifest.format_version != FORMAT_VERSION or manifest.model_id != model_id or manifest.chunking != chunking:
        raise ModelMismatchError(
            f"{root}/ was built with model {manifest.model_id} and chunking {manifest.chunking}, but this is "
            f"{model_id} with chunking {chunking}; run `python -m bot ingest --rebuild --index {root}`"
        )
    passages = load_passages(build)
    sentence_counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sentence_counts)[:-1]]) if passages else np.zeros(0, dtype=np.int64)
    return LoadedIndex(
        build=build,
        manifest=manifest,
        passages=passages,
        passage_vectors=np.load(build / "passage_vectors.npy"),
        sentence_vectors=np.load(build / "sentence_vectors.npy"),
        sentence_offsets=offsets,
        lexical=LexicalIndex.load(build / "lexical", len(passages)),
        collection=chroma.open_collection(build, manifest.collection),
        row_of={p.passage_id: row for row, p in enumerate(passages)},
    )
