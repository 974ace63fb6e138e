"""Cut documents into passages that keep their structure.

A heading belongs to every passage under it (as the passage's `section`); a record (a press
release's title, date and summary; a project's name, dates and description) stays in one passage;
short paragraphs join the next one in the same section; long ones are split at sentence ends.
Passage ids derive from the document, the position and the text, so re-ingesting never duplicates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from bot.glossary import GLOSSARY_VERSION
from bot.readers import READER_VERSION
from bot.settings import ChunkingSettings
from bot.structure import BULLET, NUMBERED_ITEM, is_date_line
from bot.types import Block, Document, Passage, Span

CHUNKER_VERSION = "4"

ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "prof", "no", "st", "vs", "approx", "inc", "ltd",
                 "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig"}
SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9€$£])")
ENUMERATOR = re.compile(r"^(\(?\d{1,3}[.)]|[•·▪◦‣∙*\-–]|\(?[ivx]{1,5}\)|\(?[a-h]\))\s+", re.IGNORECASE)


def chunking_fingerprint(settings: ChunkingSettings) -> str:
    """Changes whenever passages would come out differently (chunker, readers or sizes), so the index is rebuilt."""
    return (f"v{CHUNKER_VERSION}-r{READER_VERSION}-g{GLOSSARY_VERSION}"
            f"-max{settings.max_words}-min{settings.min_words}")


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans of `text` (offsets shifted by `offset`), without leading list markers.

    Blank lines, bullet lines and lines ending a sentence are boundaries; a hard-wrapped line is not.
    """
    spans: list[Span] = []
    for line_start, line_end in _logical_lines(text):
        piece = text[line_start:line_end]
        cursor = 0
        for match in SENTENCE_END.finditer(piece):
            before = piece[cursor : match.start() + 1]
            last_word = before.rstrip(".!?\"”’)]").rsplit(" ", 1)[-1].lower().lstrip("(\"“‘[")
            if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            if re.fullmatch(r"\(?\d{1,3}[.)]", before.strip()):  # a list number, not a sentence
                continue
            spans.append(_trimmed(text, line_start + cursor, line_start + match.start() + 1, offset))
            cursor = match.end()
        spans.append(_trimmed(text, line_start + cursor, line_end, offset))
    return [span for span in spans if span.end > span.start]


def _logical_lines(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    lines = text.split("\n")
    position = 0
    for index, line in enumerate(lines):
        end = position + len(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        stripped = line.strip()
        boundary = (
            not following.strip()
            or bool(BULLET.match(stripped))
            or not stripped
            or stripped.endswith((".", "!", "?", ":", "”", '"'))
            or bool(BULLET.match(following.strip()) or NUMBERED_ITEM.match(following.strip()))
            or is_date_line(following.strip())
            or is_date_line(stripped)
        )
        if boundary:
            if text[start:end].strip():
                yield start, end
            start = end + 1
        position = end + 1


def _trimmed(text: str, start: int, end: int, offset: int) -> Span:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    start += lead
    marker = ENUMERATOR.match(text[start:end])
    if marker:
        start += marker.end()
    end = start + len(text[start:end].rstrip())
    return Span(start + offset, end + offset)


def chunk_document(document: Document, settings: ChunkingSettings) -> list[Passage]:
    """The passages of one document, in reading order."""
    passages: list[Passage] = []
    headings: list[tuple[int, str]] = []
    pending: list[Block] = []

    def section() -> str | None:
        names = [name for _, name in headings if name.lower() != document.meta.title.lower()]
        return " › ".join(names) or None

    def flush() -> None:
        for group in _group_paragraphs(document, pending, settings):
            segments = [(block.start, block.end) for block in group]
            passages.extend(_passages_from(document, segments, section(), group[0].page, settings, header=None))
        pending.clear()

    for block in document.blocks:
        if block.kind == "heading":
            flush()
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            headings.append((block.level, document.text[block.start : block.end].rstrip(":")))
        elif block.kind == "item":
            flush()
            passages.extend(_passages_from(document, [(block.start, block.end)], section(), block.page, settings,
                                           header=_record_header(document.text, block)))
        else:
            pending.append(block)
    flush()
    return passages


def _group_paragraphs(document: Document, blocks: list[Block], settings: ChunkingSettings) -> list[list[Block]]:
    groups: list[list[Block]] = []
    current: list[Block] = []
    words = 0
    for block in blocks:
        size = len(document.text[block.start : block.end].split())
        joins_short = current and words < settings.min_words and words + size <= settings.max_words
        same_page = not current or current[-1].page == block.page
        if current and not (joins_short and same_page):
            groups.append(current)
            current, words = [], 0
        current.append(block)
        words += size
    if current:
        groups.append(current)
    return groups


def _record_header(text: str, block: Block) -> Span:
    """A record's title and, when it stands within its first three lines, its date line."""
    header_end = None
    position = block.start
    content_lines = 0
    for line in text[block.start : block.end].split("\n"):
        if line.strip():
            content_lines += 1
            if content_lines == 1:
                header_end = position + len(line)
            elif is_date_line(line.strip()) and content_lines <= 3:
                header_end = position + len(line)
                break
            if content_lines >= 3:
                break
        position += len(line) + 1
    assert header_end is not None
    start = block.start + (ENUMERATOR.match(text[block.start : block.end]) or _NO_MATCH).end()
    return Span(start, header_end)


class _NoMatch:
    @staticmethod
    def end() -> int:
        return 0


_NO_MATCH = _NoMatch()


def _passages_from(document: Document, segments: list[tuple[int, int]], section: str | None, page: int | None,
                   settings: ChunkingSettings, header: Span | None) -> list[Passage]:
    """One passage for the blocks, or several cut at sentence ends when they are longer than max_words."""
    text = document.text
    start, end = segments[0][0], segments[-1][1]
    sentences = [span for first, last in segments for span in split_sentences(text[first:last], first)]
    if header is not None:
        sentences = [header] + [s for s in sentences if s.start >= header.end]
    pieces: list[list[Span]] = [[]]
    words = 0
    for sentence in sentences:
        size = len(text[sentence.start : sentence.end].split())
        if pieces[-1] and words + size > settings.max_words:
            pieces.append([])
            words = 0
        pieces[-1].append(sentence)
        words += size
    passages = []
    for number, piece in enumerate(pieces):
        if not piece:
            continue
        piece_start = start if number == 0 else piece[0].start
        piece_end = end if number == len(pieces) - 1 else piece[-1].end
        piece_section = section
        if header is not None and number > 0:
            title = text[header.start : header.end].split("\n")[0].strip()
            piece_section = " › ".join(part for part in (section, title) if part)
        passages.append(_make_passage(document, piece_start, piece_end, piece_section, page, piece,
                                      header if number == 0 else None))
    return passages


def _make_passage(document: Document, start: int, end: int, section: str | None, page: int | None,
                  sentences: list[Span], header: Span | None) -> Passage:
    body = document.text[start:end]
    digest = hashlib.sha256(f"{CHUNKER_VERSION}|{document.doc_id}|{start}|{body}".encode()).hexdigest()[:20]
    relative = tuple(Span(s.start - start, s.end - start) for s in sentences)
    relative_header = Span(header.start - start, header.end - start) if header else None
    return Passage(
        passage_id=digest,
        doc_id=document.doc_id,
        text=body,
        start=start,
        end=end,
        section=section,
        page=page,
        meta=document.meta,
        sentences=relative,
        header=relative_header,
    )
