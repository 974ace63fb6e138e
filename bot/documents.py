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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, DocumentError
from bot.structure import BULLET, Line, LineHint, find_blocks
from bot.types import Document, DocumentMeta

METADATA_FILE = "metadata.toml"
MAX_FILE_BYTES = 50 * 1024 * 1024
SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
META_FIELDS = ("title", "publisher", "kind", "date", "source")


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


def discover(corpus_dir: Path) -> tuple[list[SourceFile], list[Skipped]]:
    """Every document file under `corpus_dir`, hashed, with the files that are skipped and why."""
    if not corpus_dir.is_dir():
        raise ConfigError(f"corpus folder {corpus_dir} does not exist; create it or pass --corpus DIR")
    metadata = read_metadata(corpus_dir)
    found: list[SourceFile] = []
    skipped: list[Skipped] = []
    seen_hashes: dict[str, str] = {}
    for path in sorted(corpus_dir.rglob("*")):
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
    return found, skipped


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


RawLine = tuple[str, LineHint, int, int | None]  # text, hint, heading level, page


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


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{name} looks binary (it has NUL bytes), not text; remove it or fix its extension")
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", errors="replace")


def _read_text(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    text = _decode(path.read_bytes(), path.name)
    return [(line, None, 0, None) for line in text.splitlines()], {}


FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _read_markdown(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    text = _decode(path.read_bytes(), path.name)
    meta: dict[str, str] = {}
    match = FRONT_MATTER.match(text)
    if match:
        for raw in match.group(1).splitlines():
            key, sep, value = raw.partition(":")
            if sep and key.strip().lower() in META_FIELDS:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    lines: list[RawLine] = []
    for raw in text.splitlines():
        heading = MD_HEADING.match(raw.strip())
        if heading:
            lines.append(("", None, 0, None))
            lines.append((MD_LINK.sub(r"\1", heading.group(2)), "heading", min(len(heading.group(1)), 3), None))
            lines.append(("", None, 0, None))
            continue
        clean = MD_LINK.sub(r"\1", raw).replace("**", "").replace("__", "")
        lines.append((clean, None, 0, None))
    return lines, meta


def _read_html(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path.read_bytes(), path.name), "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    for name, key in (("og:title", "title"), ("og:site_name", "publisher"), ("author", "publisher"),
                      ("article:published_time", "date"), ("date", "date"), ("og:url", "source")):
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        content = tag.get("content") if tag else None
        if isinstance(content, str) and content.strip() and key not in meta:
            meta[key] = content.strip()
    canonical = soup.find("link", rel="canonical")
    if canonical and isinstance(canonical.get("href"), str) and "source" not in meta:
        meta["source"] = str(canonical["href"])
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer", "header", "aside", "form",
                     "iframe", "svg", "button", "select"]):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo", "dialog"]}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marker = " ".join([str(tag.get("id") or ""), *[str(c) for c in (tag.get("class") or [])]]).lower()
        if re.search(r"cookie|consent|banner|breadcrumb|skip-link|share|newsletter|menu|sidebar", marker):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    lines: list[RawLine] = []
    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "td", "th",
                                   "blockquote", "pre", "figcaption"]):
        if element.find_parent(["p", "li", "td", "th", "blockquote", "dd"]) is not None:
            continue
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name[0] == "h" and element.name[1:].isdigit():
            level = min(int(element.name[1]), 3)
            lines += [("", None, 0, None), (text, "heading", level, None), ("", None, 0, None)]
        elif element.name == "li":
            ordered = element.find_parent("ol") is not None
            lines.append((text, "item" if ordered else "bullet", 0, None))
        else:
            lines += [(text, "text", 0, None), ("", None, 0, None)]
    return lines, meta


def _read_pdf(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(f"{path.name} is an encrypted PDF; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as error:
        raise DocumentError(f"{path.name} is not a readable PDF ({error}); re-export it or remove it") from None
    meta: dict[str, str] = {}
    info = reader.metadata or {}
    for key, field in (("/Title", "title"), ("/Author", "publisher")):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            meta[field] = value.strip()
    created = getattr(reader.metadata, "creation_date", None) if reader.metadata else None
    if created is not None:
        meta["date"] = f"{created.day} {created:%B %Y}"
    lines: list[RawLine] = []
    for number, page_text in enumerate(pages, start=1):
        lines.append(("", None, 0, number))
        lines += [(line, None, 0, number) for line in page_text.splitlines()]
    return lines, meta


def _read_docx(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    import docx

    document = docx.Document(str(path))
    props = document.core_properties
    meta = {"title": props.title or "", "publisher": props.author or ""}
    if props.created:
        meta["date"] = f"{props.created.day} {props.created:%B %Y}"
    lines: list[RawLine] = []
    for paragraph in document.paragraphs:
        text = paragraph.text
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith("Heading") or style == "Title":
            digits = "".join(ch for ch in style if ch.isdigit())
            lines += [("", None, 0, None), (text, "heading", min(int(digits or 1), 3), None), ("", None, 0, None)]
        elif style.startswith("List Number"):
            lines.append((text, "item", 0, None))
        elif style.startswith("List") or BULLET.match(text):
            lines.append((text, "bullet", 0, None))
        else:
            lines += [(text, "text", 0, None), ("", None, 0, None)]
    for table in document.tables:
        for row in table.rows:
            lines += [(" | ".join(cell.text.strip() for cell in row.cells), "text", 0, None), ("", None, 0, None)]
    return lines, meta


READERS: Mapping[str, Callable[[Path], tuple[list[RawLine], dict[str, Any]]]] = {
    ".txt": _read_text,
    ".text": _read_text,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}


def with_meta(document: Document, **fields: str) -> Document:
    """A copy of `document` with some metadata fields replaced (used by tests and tools)."""
    return replace(document, meta=replace(document.meta, **fields))
