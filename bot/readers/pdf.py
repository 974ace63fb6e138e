"""PDF: text per page, with the page number on every line, and the layout read back into structure.

pypdf gives each piece of text with its position and font size. From these: lines set larger than the
body text are headings (a heading wrapped over two lines is one heading); a gap wider than the usual
line spacing starts a new paragraph, and a paragraph's wrapped lines are joined (hyphenated words
mended); running headers and footers repeated on most pages, and bare page numbers, are dropped.
When a PDF gives no usable font sizes its lines are passed on as they come, to be guessed at like
plain text.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import DocumentError
from bot.readers.common import RawLine, human_date, publisher_from_author
from bot.structure import BULLET, NUMBERED_ITEM, LineHint

PAGE_NUMBER = re.compile(
    r"^(page\s*\d{1,4}|[-–—(\[]?\s*\d{1,3}\s*[-–—)\]]?)(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE
)
HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
PARAGRAPH_GAP = 1.35  # a gap this many times the usual line spacing starts a paragraph


@dataclass
class PdfLine:
    text: str
    y: float  # baseline, from the bottom of the page
    size: float  # font size as drawn (0 when the PDF does not say)
    page: int


def read_pdf(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path.name} is an encrypted PDF; save an unencrypted copy")
        pages = [_page_lines(page, number) for number, page in enumerate(reader.pages, start=1)]
    except PdfReadError as error:
        raise DocumentError(
            f"{path.name} is not a readable PDF ({error}); re-export it or remove it"
        ) from None
    return _layout(pages), _pdf_meta(reader)


def _pdf_meta(reader: Any) -> dict[str, str]:
    """Title, author (as publisher) and creation date from the document information; bad values ignored."""
    try:
        info = reader.metadata or {}
    except Exception:  # noqa: BLE001 - a broken information dictionary costs the metadata, not the text
        return {}
    meta: dict[str, str] = {}
    title = info.get("/Title")
    if (
        isinstance(title, str)
        and title.strip()
        and not title.strip().lower().endswith((".doc", ".docx", ".pdf"))
    ):
        meta["title"] = title.strip()
    publisher = publisher_from_author(info.get("/Author"))
    if publisher:
        meta["publisher"] = publisher
    created = info.get("/CreationDate")
    if isinstance(created, str) and human_date(created) != created.strip():
        meta["date"] = human_date(created)
    return meta


def _page_lines(page: Any, number: int) -> list[PdfLine]:
    """The page's lines with position and size; plain lines (size 0) when the pieces do not add up."""
    pieces: list[tuple[str, float, float]] = []  # text, baseline, size

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        pieces.append((text, cm[1] * tm[4] + cm[3] * tm[5] + cm[5], (size or 0) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(piece[0] for piece in pieces).split() != text.split():
        return [PdfLine(line, 0.0, 0.0, number) for line in text.splitlines()]
    lines: list[PdfLine] = []
    current: list[tuple[str, float, float]] = []

    def close() -> None:
        words = [piece for piece in current if piece[0].strip()]
        if words:
            sizes: Counter[float] = Counter()
            for piece_text, _, size in words:
                sizes[round(size, 1)] += len(piece_text)
            line_text = "".join(piece[0] for piece in current).strip()
            lines.append(PdfLine(line_text, words[0][1], sizes.most_common(1)[0][0], number))
        current.clear()

    for piece_text, y, size in pieces:
        for index, part in enumerate(piece_text.split("\n")):
            if index:
                close()
            if part:
                current.append((part, y, size))
    close()
    return lines


def _layout(pages: list[list[PdfLine]]) -> list[RawLine]:
    pages = _without_running_lines(pages)
    all_lines = [line for page in pages for line in page]
    sized: Counter[float] = Counter()
    for line in all_lines:
        sized[line.size] += len(line.text)
    body_size = max(sized.items(), key=lambda kv: kv[1])[0] if sized else 0.0
    if body_size <= 0:
        return [raw for page in pages for raw in _plain(page)]
    heading_sizes = sorted(
        {line.size for line in all_lines if line.size >= body_size * HEADING_RATIO}, reverse=True
    )
    spacing = _line_spacing(all_lines, body_size)
    raw: list[RawLine] = []
    for page in pages:
        raw.append(("", None, 0, page[0].page if page else None))
        raw += _page_structure(page, body_size, heading_sizes, spacing)
    return raw


def _plain(page: list[PdfLine]) -> list[RawLine]:
    number = page[0].page if page else None
    blank: RawLine = ("", None, 0, number)
    return [blank, *((line.text, None, 0, line.page) for line in page)]


def _line_spacing(lines: list[PdfLine], body_size: float) -> float:
    """The usual distance between two lines of a body paragraph."""
    gaps = [
        previous.y - line.y
        for previous, line in zip(lines, lines[1:], strict=False)
        if previous.page == line.page and previous.size == line.size == body_size and previous.y > line.y
    ]
    return statistics.median(gaps) if gaps else body_size * 1.2


def _page_structure(
    page: list[PdfLine], body_size: float, heading_sizes: list[float], spacing: float
) -> list[RawLine]:
    raw: list[RawLine] = []
    paragraph: list[PdfLine] = []
    heading: list[PdfLine] = []

    def flush() -> None:
        if heading:
            level = (
                min(heading_sizes.index(heading[0].size) + 1, 3) if heading[0].size in heading_sizes else 3
            )
            raw.extend(
                [
                    ("", None, 0, heading[0].page),
                    (" ".join(h.text for h in heading), "heading", level, heading[0].page),
                    ("", None, 0, heading[0].page),
                ]
            )
            heading.clear()
        if paragraph:
            raw.extend(_joined(paragraph))
            raw.append(("", None, 0, paragraph[0].page))
            paragraph.clear()

    previous: PdfLine | None = None
    for line in page:
        is_heading = line.size >= body_size * HEADING_RATIO and len(line.text.split()) <= 25
        gap = previous.y - line.y if previous is not None else 0.0
        new_block = previous is None or gap > spacing * PARAGRAPH_GAP or gap < 0 or line.size != previous.size
        if is_heading:
            wrapped = heading and line.size == heading[-1].size and 0 <= gap <= line.size * 1.6
            if not wrapped:
                flush()
            heading.append(line)
        else:
            if heading or new_block:
                flush()
            paragraph.append(line)
        previous = line
    flush()
    return raw


def _joined(paragraph: list[PdfLine]) -> list[RawLine]:
    """A paragraph's wrapped lines as one line (list items stay lines of their own)."""
    lines: list[str] = []
    for line in paragraph:
        text = line.text
        if not lines or BULLET.match(text) or NUMBERED_ITEM.match(text):
            lines.append(text)
        elif re.search(r"[A-Za-z]-$", lines[-1]) and text[:1].islower():
            lines[-1] = lines[-1][:-1] + text  # a word hyphenated at the line end
        else:
            lines[-1] = f"{lines[-1]} {text}"
    page = paragraph[0].page
    return [(text, _hint(text), 0, page) for text in lines]


def _hint(text: str) -> LineHint:
    """List lines are left for the structure finder to recognise; the rest is paragraph text."""
    return None if BULLET.match(text) or NUMBERED_ITEM.match(text) else "text"


def _without_running_lines(pages: list[list[PdfLine]]) -> list[list[PdfLine]]:
    """Drop page numbers, and headers and footers repeated (digits aside) at the edges of most pages."""

    def key(line: PdfLine) -> str:
        return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))

    edges = 2
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({key(line) for line in page[:edges] + page[-edges:]})
    needed = max(2, math.ceil(len(pages) / 2))
    running = {k for k, count in counts.items() if count >= needed} if len(pages) >= 2 else set()
    cleaned = []
    for page in pages:
        edge_lines = {id(line) for line in page[:edges] + page[-edges:]}
        cleaned.append(
            [
                line
                for line in page
                if id(line) not in edge_lines
                or (key(line) not in running and not PAGE_NUMBER.match(line.text.strip()))
            ]
        )
    return cleaned
