"""Files that cannot be used are skipped and named with the reason; everything else is indexed."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.ingest import ingest
from bot.settings import ChunkingSettings
from bot.store import ChromaConnector
from tests.fakes import HashingEmbedder

TINY_DOCUMENTS = {"harbour-cranes.txt", "river-ferries.md", "warehouse-page.html"}


def _blank_pdf(password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _write(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)  # a hole, not 51 MiB of disk

    return write


def _same_text_with_windows_line_ends(path: Path) -> None:
    original = (path.parent / "harbour-cranes.txt").read_text(encoding="utf-8")
    path.write_bytes(original.replace("\n", "\r\n").encode("cp1252"))


BAD_FILES = [
    ("broken.pdf", _write(b"%PDF-1.4 this is not really a pdf"), "not a readable PDF|cannot read"),
    ("scan.pdf", _write(_blank_pdf()), "no readable text"),
    ("locked.pdf", _write(_blank_pdf("secret")), "encrypted PDF"),
    ("empty.txt", _write(b""), "empty file"),
    ("blank.md", _write(b"  \n\n \t\n"), "no readable text"),
    ("photo.txt", _write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20), "looks binary"),
    ("control.html", _write(bytes(range(1, 9)) * 500), "looks binary"),
    ("huge.txt", _sparse(51 * 2**20), "too big to be a document"),
    ("second-copy.md", lambda path: path.write_bytes((path.parent / "river-ferries.md").read_bytes()),
     "duplicate of river-ferries.md"),
    ("windows-harbour-cranes.txt", _same_text_with_windows_line_ends, "duplicate of harbour-cranes.txt"),
    ("slides.pptx", _write(b"PK\x03\x04 slides"), "unsupported file type .pptx"),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_a_bad_file_is_skipped_with_its_reason_and_the_rest_indexed(
    tiny_corpus: Path, tmp_path: Path, name: str, make: Callable[[Path], None], reason: str
) -> None:
    make(tiny_corpus / name)
    report = ingest(tiny_corpus, tmp_path / "index", HashingEmbedder(), ChunkingSettings(), ChromaConnector())
    assert set(report.added) == TINY_DOCUMENTS
    [skipped] = report.skipped
    assert skipped.doc_id == name
    assert re.search(reason, skipped.reason), skipped.reason
    assert f"skipped {name}: " in report.summary()


def test_all_bad_files_at_once_and_a_second_run_reads_none_of_them_again(tiny_corpus: Path, tmp_path: Path) -> None:
    for name, make, _ in BAD_FILES:
        make(tiny_corpus / name)
    embedder = HashingEmbedder()
    first = ingest(tiny_corpus, tmp_path / "index", embedder, ChunkingSettings(), ChromaConnector())
    assert set(first.added) == TINY_DOCUMENTS
    assert {s.doc_id for s in first.skipped} == {row[0] for row in BAD_FILES}
    again = ingest(tiny_corpus, tmp_path / "index", embedder, ChunkingSettings(), ChromaConnector())
    assert again.up_to_date and again.embedded == 0
    assert {s.doc_id: s.reason for s in again.skipped} == {s.doc_id: s.reason for s in first.skipped}


def test_a_duplicate_is_indexed_once_its_original_is_gone(tiny_corpus: Path, tmp_path: Path) -> None:
    _same_text_with_windows_line_ends(tiny_corpus / "windows-harbour-cranes.txt")
    index = tmp_path / "index"
    first = ingest(tiny_corpus, index, HashingEmbedder(), ChunkingSettings(), ChromaConnector())
    assert [s.doc_id for s in first.skipped] == ["windows-harbour-cranes.txt"]
    (tiny_corpus / "harbour-cranes.txt").unlink()
    second = ingest(tiny_corpus, index, HashingEmbedder(), ChunkingSettings(), ChromaConnector())
    assert second.removed == ("harbour-cranes.txt",)
    assert second.added == ("windows-harbour-cranes.txt",)
    assert second.skipped == ()


def test_a_copy_added_later_never_replaces_the_indexed_file(tiny_corpus: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    ingest(tiny_corpus, tmp_path / "index", embedder, ChunkingSettings(), ChromaConnector())
    (tiny_corpus / "a-copy.md").write_bytes((tiny_corpus / "river-ferries.md").read_bytes())  # sorts first
    report = ingest(tiny_corpus, tmp_path / "index", embedder, ChunkingSettings(), ChromaConnector())
    assert report.up_to_date and report.embedded == 0
    assert [(s.doc_id, s.reason) for s in report.skipped] == [("a-copy.md", "duplicate of river-ferries.md")]
