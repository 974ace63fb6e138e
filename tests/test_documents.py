from pathlib import Path

import pytest

from bot.chunking import chunk_document
from bot.documents import discover, load_document, read_metadata
from bot.errors import ConfigError, DocumentError
from bot.readers import human_date
from bot.settings import ChunkingSettings


def _load(corpus: Path, name: str):  # type: ignore[no-untyped-def]
    sources, _ = discover(corpus)
    return load_document(next(s for s in sources if s.doc_id == name))


def test_html_keeps_the_article_and_drops_scripts_navigation_cookies_and_footer(tiny_corpus: Path) -> None:
    document = _load(tiny_corpus, "warehouse-page.html")
    assert "brindlewood" in document.text
    for marker in ("SCRIPTMARKER", "NAVMARKER", "COOKIEMARKER", "FOOTERMARKER"):
        assert marker not in document.text
    assert document.meta.title == "Warehouse lifting rules"
    assert document.meta.publisher == "Warehouse Safety Office"


def test_markdown_front_matter_and_headings(tiny_corpus: Path) -> None:
    document = _load(tiny_corpus, "river-ferries.md")
    assert document.meta.title == "River ferry notes"
    assert document.meta.date == "3 March 2022"
    headings = [document.text[b.start : b.end] for b in document.blocks if b.kind == "heading"]
    assert headings == ["River ferry notes", "Life jackets", "Night crossings"]
    assert "---" not in document.text


def test_metadata_file_overrides_the_document(tiny_corpus: Path) -> None:
    document = _load(tiny_corpus, "harbour-cranes.txt")
    assert document.meta.title == "Harbour crane safety rules"
    assert document.meta.publisher == "Harbour Safety Board"


def test_text_encodings(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("Café workers’ safety in Åland. Más información.".encode("cp1252"))
    (tmp_path / "bom.txt").write_bytes("\ufeffInspection of boilers in the port area.".encode())
    assert "Café" in _load(tmp_path, "latin.txt").text
    assert _load(tmp_path, "bom.txt").text.startswith("Inspection")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("notes.xyz", b"some text here", "unsupported file type"),
    ],
)
def test_files_skipped_at_discovery_say_why(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / "good.txt").write_text("A real document about crane inspections.", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    sources, skipped = discover(tmp_path)
    assert [s.doc_id for s in sources] == ["good.txt"]
    assert [(s.doc_id, reason in s.reason) for s in skipped] == [(name, True)]


def test_duplicate_files_are_indexed_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The same report about boilers.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The same report about boilers.", encoding="utf-8")
    sources, skipped = discover(tmp_path)
    assert [s.doc_id for s in sources] == ["a.txt"]
    assert skipped[0].doc_id == "b.txt" and "duplicate of a.txt" in skipped[0].reason


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("binary.txt", b"\x00\x01\x02binary\x00data" * 10, "binary"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "cannot read|not a readable PDF|no readable text"),
        ("broken.docx", b"PK\x03\x04 not a zip", "cannot read"),
        ("tiny.txt", b"hi", "no readable text"),
    ],
)
def test_unreadable_documents_raise_with_the_reason(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    sources, _ = discover(tmp_path)
    with pytest.raises(DocumentError, match=message):
        load_document(sources[0])


def test_bad_metadata_file_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "metadata.toml").write_text('["a.txt"]\ncolour = "blue"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        read_metadata(tmp_path)


def test_missing_corpus_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--corpus"):
        discover(tmp_path / "nope")


MIXED = Path(__file__).resolve().parent.parent / "eval" / "collections" / "mixed"


def test_pdf_pages_headings_and_properties() -> None:
    document = _load(MIXED, "ilo-osh-conventions-briefing.pdf")
    assert document.meta.title == "International labour standards on occupational safety and health"
    assert document.meta.publisher == "OSH Documents Assistant test collection"
    assert document.meta.date  # LibreOffice writes a creation date pypdf cannot parse; ours still reads it
    headings = {document.text[b.start : b.end]: b.page for b in document.blocks if b.kind == "heading"}
    assert headings["Occupational Safety and Health Convention, 1981 (No. 155)"] == 1  # wrapped over two lines
    assert headings["Violence and Harassment Convention, 2019 (No. 190)"] == 3
    assert "Briefing note:" not in document.text, "the running header is dropped"
    assert "Page 2" not in document.text, "the page-number footer is dropped"
    passages = chunk_document(document, ChunkingSettings())
    in_force = next(p for p in passages if "entered into force on 25 June 2021" in p.text)
    assert in_force.page == 3 and in_force.section == "Violence and Harassment Convention, 2019 (No. 190)"
    assert all(p.page in (1, 2, 3) for p in passages)
    assert any("periodically review a coherent national policy" in p.text for p in passages), "wraps joined"


def test_pdf_without_text_says_it_needs_ocr(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with (tmp_path / "scan.pdf").open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentError, match="OCR"):
        _load(tmp_path, "scan.pdf")


def test_saved_html_page_keeps_only_the_article() -> None:
    document = _load(MIXED, "rana-plaza-ten-years-on.html")
    assert document.meta.title == "Rana Plaza: ten years on"
    assert document.meta.publisher == "Labour Safety Notes"
    assert document.meta.date == "24 April 2023"
    assert document.meta.source == "https://labour-safety-notes.example.org/stories/2023/04/rana-plaza-ten-years-on"
    assert "collapsed during the morning shift" in document.text
    assert "rehabilitation of the survivors" in document.text
    for boilerplate in ("Accept all", "Skip to main content", "Related stories", "weekly newsletter",
                        "Share on Facebook", "All rights reserved", "Filed under", "Labour inspection", "dataLayer",
                        "Search stories"):
        assert boilerplate not in document.text, boilerplate
    headings = [document.text[b.start : b.end] for b in document.blocks if b.kind == "heading"]
    assert headings == ["Rana Plaza: ten years on", "The Accord and the Alliance", "What the government changed",
                        "Compensation"]


@pytest.mark.parametrize(
    ("html", "expected_text", "expected_meta"),
    [
        ("<title>Boiler rules – Port Authority</title><meta property='og:site_name' content='Port Authority'>"
         "<body><p>Boilers are inspected yearly.</p></body>",
         "Boilers are inspected yearly.", {"title": "Boiler rules", "publisher": "Port Authority"}),
        ("<title>Crane news | Harbour Board</title><body><div>Cranes are <b>tested</b> every spring.<div>x</div>"
         "</div></body>", "Cranes are tested every spring.", {"title": "Crane news"}),
        ("<body><main><table><tr><th>Load</th><th>Limit</th></tr><tr><td>Crate</td><td>25 kg</td></tr></table>"
         "</main></body>", "Load | Limit\nCrate | 25 kg", {}),
        ("<body><article><time datetime='2021-11-28T10:00'>28 Nov</time><p>Release text here.</p></article>"
         "</body>", "Release text here.", {"date": "28 November 2021"}),
    ],
)
def test_html_reader_cases(tmp_path: Path, html: str, expected_text: str, expected_meta: dict[str, str]) -> None:
    (tmp_path / "page.html").write_text(f"<html>{html}</html>", encoding="utf-8")
    document = _load(tmp_path, "page.html")
    assert expected_text in document.text
    for field, value in expected_meta.items():
        assert getattr(document.meta, field) == value


def test_markdown_soft_wraps_lists_and_front_matter() -> None:
    document = _load(MIXED, "tazreen-fashions-fire.md")
    assert document.meta.title == "The Tazreen Fashions factory fire"
    assert document.meta.publisher == "Labour Safety Notes"  # front matter `author`
    assert document.meta.date == "24 November 2022"  # ISO date in front matter, shown as people write it
    assert "garment factory in Ashulia" in document.text, "a soft line break joins the paragraph"
    assert "- a National Tripartite Plan of Action on Fire Safety and Structural Integrity, agreed by the " \
           "government" in document.text, "a wrapped list item stays one line"
    assert "**" not in document.text and "> Fire" not in document.text


def test_word_document_reads_tables_in_place_and_keeps_lists_with_their_lead_in() -> None:
    document = _load(MIXED, "accord-and-after.docx")
    assert (document.meta.title, document.meta.publisher, document.meta.date) == (
        "The Accord and what came after it", "Labour Safety Notes", "1 September 2023")
    assert document.text.index("May 2013 | Accord on Fire") < document.text.index("Sources: public statements")
    lead_in = next(b for b in document.blocks if document.text[b.start : b.end].startswith("Under the Accord:"))
    assert "safety committees" in document.text[lead_in.start : lead_in.end]


def test_latin1_and_utf16_text(tmp_path: Path) -> None:
    document = _load(MIXED, "ilo-and-bangladesh-key-facts.txt")
    assert "Geneva (Genève)" in document.text and "Organización Internacional del Trabajo" in document.text
    (tmp_path / "notepad.txt").write_bytes("Forklift drivers need a licence.".encode("utf-16"))
    assert _load(tmp_path, "notepad.txt").text == "Forklift drivers need a licence."


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2023-04-24T08:00:00+06:00", "24 April 2023"), ("D:20261124165731Z'", "24 November 2026"),
     ("20210625", "25 June 2021"), ("3 March 2022", "3 March 2022"), ("Spring 2020", "Spring 2020")],
)
def test_dates_are_shown_as_people_write_them(value: str, expected: str) -> None:
    assert human_date(value) == expected
