from pathlib import Path

import pytest

from bot.chunking import chunk_document, split_sentences
from bot.documents import discover, load_document
from bot.settings import ChunkingSettings
from bot.structure import is_date_line, looks_like_heading

SEED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def seed_passages():  # type: ignore[no-untyped-def]
    sources, _ = discover(SEED)
    documents = [load_document(s) for s in sources]
    return documents, [p for d in documents for p in chunk_document(d, ChunkingSettings())]


def test_passages_are_exact_spans_of_their_document(seed_passages) -> None:  # type: ignore[no-untyped-def]
    documents, passages = seed_passages
    text_of = {d.doc_id: d.text for d in documents}
    for passage in passages:
        assert text_of[passage.doc_id][passage.start : passage.end] == passage.text
        for span in passage.sentences:
            assert passage.sentence_text(span).strip() == passage.sentence_text(span)
            assert 0 <= span.start < span.end <= len(passage.text)


def test_ids_are_stable_and_unique(seed_passages) -> None:  # type: ignore[no-untyped-def]
    documents, passages = seed_passages
    again = [p for d in documents for p in chunk_document(d, ChunkingSettings())]
    assert [p.passage_id for p in passages] == [p.passage_id for p in again]
    assert len({p.passage_id for p in passages}) == len(passages)


def test_a_record_keeps_title_date_and_summary_together(seed_passages) -> None:  # type: ignore[no-untyped-def]
    _, passages = seed_passages
    for passage in passages:
        if passage.header is not None:
            header = passage.sentence_text(passage.header)
            assert header and header == passage.sentence_text(passage.sentences[0])
    records = [p for p in passages if p.header is not None]
    assert len(records) >= 20
    with_summary = [p for p in records if len(p.sentences) > 1]
    assert all(any(is_date_line(line.strip()) for line in p.text.splitlines()) for p in with_summary)


def test_headings_become_sections(seed_passages) -> None:  # type: ignore[no-untyped-def]
    _, passages = seed_passages
    contact_sections = [p.section for p in passages if "please contact" in p.text]
    assert len(contact_sections) == 2
    assert all(section and "Additional information" in section for section in contact_sections)
    assert contact_sections[0] != contact_sections[1]


def test_long_paragraphs_are_cut_at_sentence_ends() -> None:
    from bot.types import Block, Document, DocumentMeta

    text = " ".join(f"Sentence number {i} talks about boilers." for i in range(60))
    document = Document("long.txt", text, DocumentMeta("Long"), (Block("text", 0, len(text)),), "h")
    passages = chunk_document(document, ChunkingSettings(max_words=50))
    assert len(passages) > 1
    assert all(len(p.text.split()) <= 50 for p in passages)
    assert all(p.text.endswith(".") for p in passages)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("First one. Second one.", ["First one.", "Second one."]),
        ("It costs approx. 3 million. Done.", ["It costs approx. 3 million.", "Done."]),
        ("See Recommendation (No. 206). It applies.", ["See Recommendation (No. 206).", "It applies."]),
        ("Areas:\ni) Law\nii) Enterprises", ["Areas:", "Law", "Enterprises"]),
        ("1. Title of release\n\n28 November 2021", ["Title of release", "28 November 2021"]),
        ("a line that wraps\nonto the next line.", ["a line that wraps\nonto the next line."]),
    ],
)
def test_sentence_splitting(text: str, sentences: list[str]) -> None:
    assert [text[s.start : s.end] for s in split_sentences(text)] == sentences


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Additional information", True),
        ("Food safety in the dairy sector:", True),
        ("This partnership to continue till December 2025.", False),
        ("28 November 2021", False),
        ("1. A numbered record", False),
    ],
)
def test_heading_detection(line: str, expected: bool) -> None:
    assert looks_like_heading(line) is expected
