"""Word `.docx`: heading styles become sections, list styles bullets, tables one line per row."""

from __future__ import annotations

from pathlib import Path

from bot.readers.common import BLANK, RawLine, human_date, publisher_from_author
from bot.structure import BULLET


def read_docx(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    props = document.core_properties
    meta = {"title": (props.title or "").strip(), "publisher": publisher_from_author(props.author) or ""}
    if props.created:
        meta["date"] = human_date(props.created)
    lines: list[RawLine] = []
    for part in document.iter_inner_content():  # paragraphs and tables in reading order
        if isinstance(part, Table):
            for row in part.rows:
                cells = [cell.text.strip() for cell in row.cells]
                # A merged cell is returned once per grid column it spans; keep it once.
                unique = [cell for index, cell in enumerate(cells) if cell and cell not in cells[:index]]
                lines.append((" | ".join(unique), "text", 0, None))
            lines.append(BLANK)  # a table is one block
            continue
        text = part.text
        style = (part.style.name if part.style is not None else "") or ""
        if style.startswith("Heading") or style == "Title":
            digits = "".join(ch for ch in style if ch.isdigit())
            lines += [BLANK, (text, "heading", min(int(digits or 1), 3), None), BLANK]
        elif style.startswith("List Number"):
            lines.append((text, "item", 0, None))
        elif style.startswith("List") or BULLET.match(text):
            lines.append((text, "bullet", 0, None))
        else:
            lines.append((text, "text", 0, None))
            if not text.rstrip().endswith(":"):  # a list's lead-in stays with the list
                lines.append(BLANK)
    return lines, meta
