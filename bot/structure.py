"""Find the structure of a document's lines: headings, paragraphs, and list records.

Scraped pages arrive as bare lines. A record (a numbered press release or project) is its title line
with the date and summary lines under it; a heading is a short line without closing punctuation;
bullet lines belong to the paragraph that introduces them. Formats that mark their headings
(Markdown, HTML, Word) pass them in as hints instead of being guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from bot.types import Block

LineHint = Literal["heading", "item", "bullet", "text"] | None

NUMBERED_ITEM = re.compile(r"^\(?\d{1,3}[.)]\s+\S")
BULLET = re.compile(r"^([•·▪◦‣∙*\-–]\s+|\(?[ivx]{1,5}\)\s+|\(?[a-h]\)\s+)", re.IGNORECASE)
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
DATE_LINE = re.compile(
    rf"^((\d{{1,2}}\s+({MONTHS})\.?,?\s+\d{{4}})|(({MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}})|(\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|(({MONTHS})\s+\d{{4}}))(\s*[-–—to]+\s*.*)?$",
    re.IGNORECASE,
)
CLOSING_PUNCTUATION = tuple(".!?;,")


@dataclass(frozen=True)
class Line:
    text: str  # stripped
    start: int  # offset in the cleaned text
    hint: LineHint = None
    level: int = 0  # for hinted headings
    page: int | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def is_date_line(text: str) -> bool:
    return bool(DATE_LINE.match(text.strip()))


def _words(text: str) -> list[str]:
    return text.split()


def looks_like_heading(text: str) -> bool:
    """A short line that does not end like a sentence, e.g. 'Additional information' or 'Food safety:'."""
    words = _words(text)
    if not words or len(words) > 20 or is_date_line(text) or NUMBERED_ITEM.match(text) or BULLET.match(text):
        return False
    if text.endswith(":"):
        return len(words) <= 10
    if text.endswith(CLOSING_PUNCTUATION):
        return False
    if len(words) <= 8:
        return True
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(words) >= 0.5


def find_blocks(lines: list[Line]) -> tuple[Block, ...]:
    """Group lines (blank lines are passed as empty text) into heading, text and item blocks."""
    content = [line for line in lines if line.text]
    heading_counts = Counter(line.text.lower() for line in content if looks_like_heading(line.text))
    blocks: list[Block] = []
    paragraph: list[Line] = []
    item: list[Line] = []
    previous_kind: str | None = None
    previous_heading_level = 1

    def flush_paragraph() -> None:
        nonlocal previous_kind
        if paragraph:
            blocks.append(Block("text", paragraph[0].start, paragraph[-1].end, page=paragraph[0].page))
            paragraph.clear()
            previous_kind = "text"

    def flush_item() -> None:
        nonlocal previous_kind
        if item:
            blocks.append(Block("item", item[0].start, item[-1].end, page=item[0].page))
            item.clear()
            previous_kind = "item"

    seen_blank = True
    first_content = True
    for index, line in enumerate(lines):
        text = line.text
        if not text:
            seen_blank = True
            if line.hint != "item":
                flush_paragraph()
            continue
        next_text = next((later.text for later in lines[index + 1 :] if later.text), "")
        hint = line.hint
        if hint is None:
            if NUMBERED_ITEM.match(text):
                hint = "item"
            elif BULLET.match(text):
                hint = "bullet"
            elif (
                looks_like_heading(text)
                and (seen_blank or not paragraph or paragraph[-1].text.endswith((*CLOSING_PUNCTUATION, ":", "”")))
                and not (text.endswith(":") and BULLET.match(next_text))
                and not item
            ):
                hint = "heading"
            elif looks_like_heading(text) and item and seen_blank and not is_date_line(text):
                # A heading-like line after a blank inside a record ends the record only when the
                # next content is not part of a record either (e.g. the start of a new section).
                hint = "heading" if NUMBERED_ITEM.match(next_text) is None and _ends_records(next_text) else None
        seen_blank = False
        if hint == "heading":
            flush_paragraph()
            flush_item()
            if line.level:
                level = line.level
            elif first_content:
                level = 1
            elif text.endswith(":") or heading_counts[text.lower()] > 1:
                level = 3
            elif previous_kind == "heading":
                level = min(previous_heading_level + 1, 3)
            else:
                level = 2
            blocks.append(Block("heading", line.start, line.end, level=level, page=line.page))
            previous_kind = "heading"
            previous_heading_level = level
        elif hint == "item":
            flush_paragraph()
            flush_item()
            item.append(line)
        elif item:
            item.append(line)
        elif hint == "bullet":
            paragraph.append(line)
        else:
            if paragraph and not BULLET.match(paragraph[-1].text) and line.hint != "text":
                # Hard-wrapped text (a PDF page) continues the paragraph; scraped pages put one per line.
                if not _continues(paragraph[-1].text, text):
                    flush_paragraph()
            elif paragraph and BULLET.match(paragraph[-1].text):
                flush_paragraph()
            paragraph.append(line)
        first_content = False
    flush_paragraph()
    flush_item()
    return tuple(blocks)


def _continues(previous: str, text: str) -> bool:
    """Whether `text` carries on the sentence of the line before it (a hard line wrap)."""
    return not previous.endswith((".", "!", "?", ":", "”", '"')) or text[:1].islower()


def _ends_records(next_text: str) -> bool:
    return bool(next_text) and not is_date_line(next_text)
