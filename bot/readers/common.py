"""What every reader shares: the line tuple they return, text decoding and date normalising."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from bot.errors import DocumentError
from bot.structure import LineHint

RawLine = tuple[str, LineHint, int, int | None]  # text, hint, heading level, page
Reader = Callable[[Path], tuple[list[RawLine], dict[str, str]]]
META_FIELDS = ("title", "publisher", "kind", "date", "source")
BLANK: RawLine = ("", None, 0, None)

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ISO_DATE = re.compile(r"^(?:D:)?(\d{4})-?(\d{2})-?(\d{2})(?:$|[T\s\d])")
# Authors that editors and libraries fill in by themselves; they say nothing about who published a document.
PLACEHOLDER_AUTHORS = {
    "python-docx",
    "microsoft office user",
    "administrator",
    "admin",
    "user",
    "author",
    "unknown",
    "owner",
}


def human_date(value: object) -> str:
    """'2023-04-24T08:00:00+06:00', a PDF's 'D:20230424…' or a datetime → '24 April 2023'; else as given."""
    if isinstance(value, datetime | date):
        return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"
    text = str(value).strip()
    match = ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{day} {MONTH_NAMES[month - 1]} {year}"
    return text


def publisher_from_author(author: object) -> str | None:
    """A document's author property as its publisher, unless it is an editor's placeholder."""
    text = str(author or "").strip()
    return text if text and text.lower() not in PLACEHOLDER_AUTHORS else None


def decode_text(data: bytes, name: str) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM, or else Windows-1252 (a superset of Latin-1)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise DocumentError(
            f"{name} looks binary (it has NUL bytes), not text; remove it or fix its extension"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:8192]
    unreadable = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    if sample and unreadable / len(sample) > 0.05:
        raise DocumentError(
            f"{name} looks binary (mostly unreadable characters), not text; remove it or fix its extension"
        )
    return text
