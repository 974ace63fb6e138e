"""The real pipeline: real model, real Chroma, real BM25, on the seed corpus and the tiny collection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import IndexNotBuiltError, ModelMismatchError
from bot.service import QuestionAnswerer, build_index
from bot.store import IndexFolder, open_index, read_manifest
from tests.conftest import ROOT, settings_for

pytestmark = pytest.mark.slow


def test_design_card_question_cites_the_implementing_partners(seed_answerer: QuestionAnswerer) -> None:
    answer = seed_answerer.ask("Who implements the OSH partnership?")
    assert not answer.abstained
    assert "DWEA" in answer.text and "DIFE" in answer.text
    first = answer.citations[0]
    assert "are the implementing partners" in first.text
    assert first.source == "embassy-denmark-dhaka-sector-cooperation.txt"
    document = (ROOT / "corpus" / first.source).read_text(encoding="utf-8")
    assert first.text.split("\n")[0] in document
    for sentence in answer.sentences:
        assert " ".join(sentence.text.split()) in " ".join(answer.citations[sentence.citation].text.split())


def test_a_question_the_documents_do_not_answer_is_refused(seed_answerer: QuestionAnswerer) -> None:
    answer = seed_answerer.ask("What is the recipe for chocolate cake?")
    assert answer.abstained
    assert answer.text.startswith("The documents don't say")
    assert answer.citations == ()
    assert answer.related, "the closest passages are offered as related reading"


@pytest.mark.parametrize(
    ("question", "says"),
    [("", "Please type a question"), ("   \n ", "Please type a question"), ("?!?", "in words"),
     ("x" * 5000, "the limit is"), (None, "as text"), (42, "as text")],
)
def test_bad_questions_get_a_polite_answer(seed_answerer: QuestionAnswerer, question: object, says: str) -> None:
    answer = seed_answerer.ask(question)
    assert answer.abstained and says in answer.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is the contact person for food and agriculture?", ["Maria Stein Knudsen"]),
        ("how many guidelines did the teams develop, and how many got approved?", ["33", "29"]),
        ("When does the ADWiB project end?", ["2027"]),
        ("Which countries pay for ADWiB?", ["EU", "Sweden", "Netherlands", "Denmark"]),
    ],
)
def test_seed_questions_of_our_own(seed_answerer: QuestionAnswerer, question: str, expected: list[str]) -> None:
    answer = seed_answerer.ask(question)
    assert not answer.abstained, answer.reason
    assert all(part in answer.text for part in expected), answer.text


@pytest.mark.parametrize(
    "question",
    ["How much did the SSC labour project cost?", "What is the help line's phone number?",
     "Who is the current mayor of Dhaka?"],
)
def test_seed_near_misses_are_refused(seed_answerer: QuestionAnswerer, question: str) -> None:
    assert seed_answerer.ask(question).abstained


def test_acronyms_are_learned_from_the_corpus(seed_answerer: QuestionAnswerer) -> None:
    acronyms = seed_answerer.index.manifest.acronyms
    assert acronyms["DIFE"] == "Department of Inspection for Factories and Establishments"
    answer = seed_answerer.ask("Which ministry is the Department of Inspection for Factories and Establishments under?")
    assert "Ministry of Labour and Employment" in answer.text


def test_tiny_collection_end_to_end_and_incremental(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index")
    first = build_index(settings, embedder)
    assert set(first.added) == {"harbour-cranes.txt", "river-ferries.md", "warehouse-page.html"}
    answerer = QuestionAnswerer.open(settings, embedder)
    answer = answerer.ask("What does the quillometer count?")
    assert "passengers" in answer.text and answer.citations[0].source == "river-ferries.md"
    assert answer.citations[0].title == "River ferry notes"
    assert answer.citations[0].section == "Life jackets"

    again = build_index(settings, embedder)
    assert again.up_to_date and again.embedded == 0 and again.build is None

    (tiny_corpus / "river-ferries.md").write_text("# Ferries\n\nThe gangplank alarm is orange.\n", encoding="utf-8")
    (tiny_corpus / "harbour-cranes.txt").unlink()
    (tiny_corpus / "boilers.txt").write_text("Boiler rooms need a carbon monoxide alarm.\n", encoding="utf-8")
    third = build_index(settings, embedder)
    assert third.updated == ("river-ferries.md",)
    assert third.removed == ("harbour-cranes.txt",)
    assert third.added == ("boilers.txt",)
    assert third.unchanged == ("warehouse-page.html",)
    manifest = read_manifest(IndexFolder(settings.index_dir).current_build())  # type: ignore[arg-type]
    assert set(manifest.documents) == {"river-ferries.md", "boilers.txt", "warehouse-page.html"}
    reopened = QuestionAnswerer.open(settings, embedder)
    assert "orange" in reopened.ask("What colour is the gangplank alarm?").text
    assert len(list((tmp_path / "index").glob("build-*"))) <= 2


def test_reingest_never_changes_the_passage_count(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index")
    first = build_index(settings, embedder)
    rebuilt = build_index(settings, embedder, rebuild=True)
    assert rebuilt.passages == first.passages
    answerer = QuestionAnswerer.open(settings, embedder)
    assert answerer.index.collection.count() == first.passages


def test_open_without_an_index_says_how_to_build_one(embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tmp_path / "no-corpus", tmp_path / "index", auto_ingest=False)
    with pytest.raises(IndexNotBuiltError, match="python -m bot ingest"):
        QuestionAnswerer.open(settings, embedder)


def test_index_from_another_model_is_refused(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index")
    build_index(settings, embedder)
    from bot.store import ChromaConnector

    with pytest.raises(ModelMismatchError, match="--rebuild"):
        open_index(settings.index_dir, ChromaConnector(), "some/other-model@123", "v3")


def test_stale_index_is_updated_before_answering(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index")
    build_index(settings, embedder)
    (tiny_corpus / "new.txt").write_text("The forklift speed limit is 9 km/h in the depot.\n", encoding="utf-8")
    answerer = QuestionAnswerer.open(settings, embedder)
    assert "9 km/h" in answerer.ask("What is the forklift speed limit in the depot?").text


def test_broken_files_are_skipped_and_the_rest_indexed(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tiny_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tiny_corpus / "empty.txt").write_bytes(b"")
    (tiny_corpus / "binary.txt").write_bytes(b"\x00\x01" * 100)
    report = build_index(settings_for(tiny_corpus, tmp_path / "index"), embedder)
    assert {s.doc_id for s in report.skipped} == {"broken.pdf", "empty.txt", "binary.txt"}
    assert len(report.added) == 3
    assert "skipped broken.pdf" in report.summary()


def test_cli_ask_json(tiny_corpus: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bot", "ask", "How much may a worker lift alone?", "--json",
               "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index")]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert set(result) >= {"answer", "abstained", "citations", "latency_ms"}
    assert "25 kilograms" in result["answer"]
    citation = result["citations"][0]
    assert set(citation) >= {"text", "title", "source", "section", "page", "start", "end", "score"}
    assert citation["source"] == "warehouse-page.html"
    assert result["latency_ms"] > 0


def test_cli_reports_errors_in_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bot", "ingest", "--corpus", str(tmp_path / "missing"),
               "--index", str(tmp_path / "index")]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert completed.returncode == 1
    assert completed.stderr.strip().startswith("error: corpus folder")
    assert "Traceback" not in completed.stderr


def test_a_record_citation_carries_its_own_date(seed_answerer: QuestionAnswerer) -> None:
    answer = seed_answerer.ask("When did the ILO announce that Bangladesh has its first OSH profile?")
    assert "28 November 2021" in answer.text
    assert answer.citations[0].date == "28 November 2021"
    assert answer.citations[0].publisher == "ILO Country Office for Bangladesh"
