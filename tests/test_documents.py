from pathlib import Path

import pytest

from bot.documents import discover, load_document, read_metadata
from bot.errors import ConfigError, DocumentError


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
