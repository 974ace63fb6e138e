"""Answer behaviours on the tiny collection, with questions of our own (not the eval set's)."""

from __future__ import annotations

import pytest

from bot.service import QuestionAnswerer, build_index
from tests.conftest import TINY_CORPUS, settings_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_answerer(embedder, tmp_path_factory: pytest.TempPathFactory) -> QuestionAnswerer:  # type: ignore[no-untyped-def]
    settings = settings_for(TINY_CORPUS, tmp_path_factory.mktemp("tiny-index"))
    build_index(settings, embedder)
    return QuestionAnswerer.open(settings, embedder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was the zephyrine inspection method introduced?", ["2019"]),
        ("How many crew members must be on the bridge at night?", ["two crew members"]),
        ("Who inspects dockside cranes?", ["Harbour Safety Board"]),
        ("What does HSB stand for?", ["Harbour Safety Board"]),
        ("What is the HSB?", ["Harbour Safety Board"]),
        ("wat dos the quilometer count", ["passengers"]),
        ("How often are cranes inspected, and what do inspectors check?", ["twice a year", "brakes"]),
        ("What is the heaviest load a worker may lift alone?", ["25 kilograms"]),
    ],
)
def test_answers_carry_every_part(tiny_answerer: QuestionAnswerer, question: str, expected: list[str]) -> None:
    answer = tiny_answerer.ask(question)
    assert not answer.abstained, answer.reason
    for part in expected:
        assert part in answer.text
    assert len(answer.text.split()) <= 60


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What is Inspector Lena Marsh's phone number?", "phone"),
        ("What is Inspector Lena Marsh's email address?", "email"),
        ("What was the budget of the harbour crane inspections?", "amount of money"),
        ("What is the recipe for chocolate cake?", "closely enough"),
        ("Where is the Harbour Safety Board located, and who leads it?", "place"),
    ],
)
def test_near_misses_are_refused_with_a_reason(tiny_answerer: QuestionAnswerer, question: str, reason: str) -> None:
    answer = tiny_answerer.ask(question)
    assert answer.abstained
    assert reason in (answer.reason or "")
    assert answer.related


def test_every_answer_sentence_is_inside_its_citation(tiny_answerer: QuestionAnswerer) -> None:
    for question in ("Who inspects dockside cranes?", "What are the night crossing rules?",
                     "How many life jackets must a ferry carry?"):
        answer = tiny_answerer.ask(question)
        for sentence in answer.sentences:
            cited = " ".join(answer.citations[sentence.citation].text.split())
            assert sentence.text in cited
        for citation in answer.citations:
            for span in citation.highlights:
                assert citation.text[span.start : span.end].strip()


def _passage(text: str):  # type: ignore[no-untyped-def]
    from bot.chunking import split_sentences
    from bot.types import DocumentMeta, Passage

    return Passage("p", "d.txt", text, 0, len(text), None, None, DocumentMeta("T"), tuple(split_sentences(text)))


@pytest.mark.parametrize(
    ("text", "sentence", "antecedent"),
    [
        ("The C99 convention was adopted. It is supplemented by R9. It is the first treaty.", 2, 0),
        ("A fire broke out at the mill. The fire came in May.", 1, 0),
        ("A fire broke out at the mill. The board met in May.", 1, None),
        ("It opens the passage.", 0, None),
    ],
)
def test_a_sentence_that_refers_back_finds_what_it_refers_to(text: str, sentence: int, antecedent: int | None) -> None:
    from bot.answering import _antecedent

    passage = _passage(text)
    found = _antecedent(passage, passage.sentences[sentence])
    assert found == (passage.sentences[antecedent] if antecedent is not None else None)
