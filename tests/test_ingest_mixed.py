"""The mixed-format collection (eval/collections/mixed) end to end with the real model: each format's
citations carry the document's own title, publisher, date and, for the PDF, the page."""

from __future__ import annotations

import pytest

from bot.embedding import MiniLMEmbedder
from bot.formatting import describe_source
from bot.service import QuestionAnswerer, build_index
from tests.conftest import ROOT, settings_for

pytestmark = pytest.mark.slow

MIXED = ROOT / "eval" / "collections" / "mixed"


@pytest.fixture(scope="module")
def mixed_answerer(embedder: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory) -> QuestionAnswerer:
    settings = settings_for(MIXED, tmp_path_factory.mktemp("mixed-index"))
    report = build_index(settings, embedder)
    assert len(report.added) == 5
    assert sorted(s.doc_id for s in report.skipped) == ["questions.jsonl", "questions_fresh.jsonl"]
    return QuestionAnswerer.open(settings, embedder)


@pytest.mark.parametrize(
    ("question", "answer", "source", "shown"),
    [
        ("When did the Violence and Harassment Convention enter into force?", "25 June 2021",
         "ilo-osh-conventions-briefing.pdf",
         "International labour standards on occupational safety and health — OSH Documents Assistant test "
         "collection"),
        ("When was the Chief Inspectorate upgraded to a department?", "January 2014", "rana-plaza-ten-years-on.html",
         "Rana Plaza: ten years on — Labour Safety Notes — 24 April 2023 (section: What the government changed)"),
        ("Where in the Tazreen factory did the fire start?", "ground floor", "tazreen-fashions-fire.md",
         "The Tazreen Fashions factory fire — Labour Safety Notes — 24 November 2022"),
        ("Who took over the Accord's inspections in June 2020?", "RMG Sustainability Council",
         "accord-and-after.docx", "The Accord and what came after it — Labour Safety Notes — 1 September 2023"),
        ("Where are the ILO's headquarters?", "Geneva", "ilo-and-bangladesh-key-facts.txt",
         "The ILO and Bangladesh: key facts — OSH assistant test collection"),
    ],
    ids=["pdf", "html", "markdown", "docx", "latin-1 text"],
)
def test_each_format_answers_with_its_own_metadata(mixed_answerer: QuestionAnswerer, question: str, answer: str,
                                                   source: str, shown: str) -> None:
    result = mixed_answerer.ask(question)
    assert not result.abstained and answer in result.text, result.text
    citation = result.citations[0]
    assert citation.source == source
    assert describe_source(citation).startswith(shown)


def test_pdf_citations_carry_their_page(mixed_answerer: QuestionAnswerer) -> None:
    citation = mixed_answerer.ask("When did the Violence and Harassment Convention enter into force?").citations[0]
    assert citation.page == 3 and "page 3" in describe_source(citation)
    assert mixed_answerer.ask("What does Convention No. 187 require a country to develop?").citations[0].page == 2
    html = mixed_answerer.ask("What programme did North American brands set up in July 2013?").citations[0]
    assert html.page is None
    assert html.url == "https://labour-safety-notes.example.org/stories/2023/04/rana-plaza-ten-years-on"

