"""Find, read and clean the documents of a corpus folder: text, Markdown, HTML, PDF and Word.

Each file becomes a `Document` whose cleaned text keeps its line structure, with the blocks
(headings, paragraphs, records) found in it. A file that cannot be read raises `DocumentError`
with the reason; ingestion skips it, reports it, and indexes the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from bot.errors import ConfigError, DocumentError
from bot.readers import META_FIELDS, READERS, SUFFIXES, RawLine
from bot.structure import Line, find_blocks
from bot.types import Document, DocumentMeta

METADATA_FILE = "metadata.toml"
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A document file found in the corpus, before it is read."""

    doc_id: str
    path: Path
    content_hash: str  # of the bytes and of the metadata that applies to it
    overrides: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Skipped:
    doc_id: str
    reason: str


def read_metadata(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """The per-document metadata table (`corpus/metadata.toml`), keyed by file name."""
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML ({error}); fix the line it names") from None
    metadata: dict[str, dict[str, str]] = {}
    for name, fields in table.items():
        if not isinstance(fields, dict):
            raise ConfigError(f'{path}: "{name}" must be a table like ["{name}"] with title = "..." lines')
        unknown = set(fields) - set(META_FIELDS)
        if unknown:
            raise ConfigError(f"{path}: unknown field(s) {sorted(unknown)} for {name}; use {list(META_FIELDS)}")
        metadata[name] = {key: str(value) for key, value in fields.items()}
    return metadata


def discover(corpus_dir: Path, indexed: Collection[str] = ()) -> tuple[list[SourceFile], list[Skipped]]:
    """Every document file under `corpus_dir`, hashed, with the files that are skipped and why.

    Of identical files the first is kept: a file already `indexed` before others, then by name, so adding
    a copy never replaces the file the index holds.
    """
    if not corpus_dir.is_dir():
        raise ConfigError(f"corpus folder {corpus_dir} does not exist; create it or pass --corpus DIR")
    metadata = read_metadata(corpus_dir)
    found: list[SourceFile] = []
    skipped: list[Skipped] = []
    seen_hashes: dict[str, str] = {}
    paths = sorted(corpus_dir.rglob("*"), key=lambda p: (p.relative_to(corpus_dir).as_posix() not in indexed, p))
    for path in paths:
        relative = path.relative_to(corpus_dir).as_posix()
        if not path.is_file() or relative == METADATA_FILE or relative.endswith("README.md") and "/" not in relative:
            continue
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.suffix.lower() not in SUFFIXES:
            skipped.append(Skipped(relative, f"unsupported file type {path.suffix or '(none)'}"))
            continue
        size = path.stat().st_size
        if size == 0:
            skipped.append(Skipped(relative, "empty file"))
            continue
        if size > MAX_FILE_BYTES:
            skipped.append(Skipped(relative, f"too big to be a document ({size // 2**20} MiB > 50 MiB)"))
            continue
        data = path.read_bytes()
        byte_hash = hashlib.sha256(data).hexdigest()
        if byte_hash in seen_hashes:
            skipped.append(Skipped(relative, f"duplicate of {seen_hashes[byte_hash]}"))
            continue
        seen_hashes[byte_hash] = relative
        overrides = metadata.get(relative) or metadata.get(path.name) or {}
        override_items = tuple(sorted(overrides.items()))
        content_hash = hashlib.sha256(data + json.dumps(override_items).encode()).hexdigest()
        found.append(SourceFile(relative, path, content_hash, override_items))
    return sorted(found, key=lambda source: source.doc_id), sorted(skipped, key=lambda item: item.doc_id)


def load_document(source: SourceFile) -> Document:
    """Read and clean one file. Raises DocumentError with the reason when it cannot be used."""
    suffix = source.path.suffix.lower()
    reader = READERS[suffix]
    try:
        lines_with_hints, own_meta = reader(source.path)
    except DocumentError:
        raise
    except Exception as error:  # parsers raise many kinds; each means the same: this file is unreadable
        raise DocumentError(f"cannot read {source.doc_id}: {type(error).__name__}: {error}") from error
    text, lines = _assemble(lines_with_hints)
    if len(text.split()) < 3:
        raise DocumentError(f"{source.doc_id} has no readable text (a scanned PDF needs OCR first)")
    blocks = find_blocks(lines)
    first_heading = next((text[b.start : b.end] for b in blocks if b.kind == "heading"), None)
    fallback_title = first_heading or source.path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    merged = {k: v for k, v in own_meta.items() if v} | dict(source.overrides)
    meta = DocumentMeta(
        title=merged.get("title") or fallback_title,
        publisher=merged.get("publisher"),
        kind=merged.get("kind"),
        date=merged.get("date"),
        source=merged.get("source") or source.doc_id,
    )
    return Document(source.doc_id, text, meta, blocks, source.content_hash)


def _assemble(raw_lines: list[RawLine]) -> tuple[str, list[Line]]:
    """Join stripped lines into the cleaned text, one blank line at most between blocks."""
    parts: list[str] = []
    lines: list[Line] = []
    offset = 0
    previous_blank = True
    for raw_text, hint, level, page in raw_lines:
        text = _clean_line(raw_text)
        if not text:
            if not previous_blank:
                lines.append(Line("", offset, hint, 0, page))
                parts.append("\n")
                offset += 1
                previous_blank = True
            continue
        lines.append(Line(text, offset, hint, level, page))
        parts.append(text + "\n")
        offset += len(text) + 1
        previous_blank = False
    return "".join(parts).rstrip("\n"), lines


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\ufeff]")


def _clean_line(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", CONTROL.sub("", text)).strip()


def with_meta(document: Document, **fields: str) -> Document:
    """A copy of `document` with some metadata fields replaced (used by tests and tools)."""
    return replace(document, meta=replace(document.meta, **fields))
