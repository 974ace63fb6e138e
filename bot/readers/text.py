"""Plain text and Markdown (headings become sections; front matter gives title, publisher and date)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.readers.common import BLANK, META_FIELDS, RawLine, decode_text, human_date
from bot.structure import BULLET, NUMBERED_ITEM, LineHint

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)
FRONT_MATTER_ALIASES = {
    "author": "publisher",
    "url": "source",
    "link": "source",
    "published": "date",
    "created": "date",
}
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
MD_FENCE = re.compile(r"^(```|~~~)")
SETEXT_RULE = re.compile(r"^(=+|-+)\s*$")
MD_RULE = re.compile(r"^([-*_])(\s*\1){2,}\s*$")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def read_text(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    text = decode_text(path.read_bytes(), path.name)
    return [(line, None, 0, None) for line in text.splitlines()], {}


def read_markdown(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    text = decode_text(path.read_bytes(), path.name)
    meta: dict[str, str] = {}
    match = FRONT_MATTER.match(text)
    if match:
        meta = _front_matter(match.group(1))
        text = text[match.end() :]
    return _markdown_lines(HTML_COMMENT.sub("", text).splitlines()), meta


def _markdown_lines(source: list[str]) -> list[RawLine]:
    """Headings (ATX and underlined), list items, and paragraphs with their soft line breaks joined."""
    lines: list[RawLine] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            text = " ".join(paragraph)
            hint: LineHint = None if BULLET.match(text) or NUMBERED_ITEM.match(text) else "text"
            lines.append((_inline(text), hint, 0, None))
            if hint == "text" and not text.endswith(":"):  # a list's lead-in stays with the list
                lines.append(BLANK)
            paragraph.clear()

    skip = -1
    for index, raw in enumerate(source):
        stripped = re.sub(r"^(>\s?)+", "", raw.strip()).strip()
        following = source[index + 1].strip() if index + 1 < len(source) else ""
        if index == skip:
            continue
        if MD_FENCE.match(stripped):
            flush()
            in_fence = not in_fence
            continue
        heading = MD_HEADING.match(stripped)
        underlined = bool(stripped) and not paragraph and not in_fence and bool(SETEXT_RULE.match(following))
        if in_fence:
            lines.append((stripped, "text", 0, None))
        elif heading or underlined:
            flush()
            text, level = (
                (heading.group(2), len(heading.group(1))) if heading else (stripped, 2 - ("=" in following))
            )
            lines += [BLANK, (_inline(text), "heading", min(level, 3), None), BLANK]
            skip = index + 1 if underlined else skip
        elif not stripped:
            flush()
            lines.append(BLANK)
        elif MD_RULE.match(stripped) or MD_TABLE_RULE.match(stripped):
            flush()
        elif BULLET.match(stripped) or NUMBERED_ITEM.match(stripped) or stripped.startswith("|"):
            flush()
            paragraph.append(stripped)
        elif raw.endswith(("  ", "\\")):  # a hard line break
            paragraph.append(stripped.rstrip("\\"))
            flush()
        elif paragraph and paragraph[-1].startswith("|"):
            flush()
            paragraph.append(stripped)
        else:
            paragraph.append(stripped)
    flush()
    return lines


def _front_matter(block: str) -> dict[str, str]:
    """The simple `key: value` lines of YAML front matter (lists and nested values are ignored)."""
    meta: dict[str, str] = {}
    for raw in block.splitlines():
        key, sep, value = raw.partition(":")
        key = key.strip().lower()
        value = value.strip().strip("\"'")
        field = key if key in META_FIELDS else FRONT_MATTER_ALIASES.get(key)
        if sep and field and value and not value.startswith(("[", "{")) and field not in meta:
            meta[field] = human_date(value) if field == "date" else value
    return meta


def _inline(text: str) -> str:
    """Markdown inline markup taken off: links keep their text, emphasis and code marks go."""
    text = MD_LINK.sub(r"\1", text).replace("**", "").replace("__", "")
    return re.sub(r"`([^`]*)`", r"\1", text)
