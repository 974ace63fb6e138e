"""Readers for each supported file format, by file suffix (see `bot.documents` for how they are used)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.readers.common import META_FIELDS, RawLine, Reader, decode_text, human_date
from bot.readers.pdf import read_pdf
from bot.readers.text import read_markdown, read_text
from bot.readers.web import read_html
from bot.readers.word import read_docx

# Raise when a reader's output changes: the index is then rebuilt (it is part of the chunking fingerprint).
READER_VERSION = "2"

READERS: Mapping[str, Reader] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
SUFFIXES = frozenset(READERS)

__all__ = [
    "META_FIELDS",
    "READERS",
    "READER_VERSION",
    "SUFFIXES",
    "RawLine",
    "Reader",
    "decode_text",
    "human_date",
]
