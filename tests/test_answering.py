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


PIER_NOTES = """Pier safety notes

The Dock Safety Convention was adopted by the Maritime Conference in 1999. It requires a ratifying state to keep a
register of cranes in the PFX format. The Port Board calls on coastal states to ratify the Dock Safety Convention.

Storm at Pier 9

At least 14 dockers were killed and many more were injured when the storm hit Pier 9.
The harbour inspectorate launches three new crane protocols each year.

Pier renewal project

The four-year renewal project rebuilt the north pier between 1 March 2015 and 30 June 2018, and it was funded by
the Port Fund. Its divers came from the Marine Diving Unit (SDK). The renewal partnership is set to continue till
December 2030.

Contacts

For pier questions, please contact Officer Tom Reyes, tom.reyes@port.example.org.
"""


@pytest.fixture(scope="module")
def pier_answerer(embedder, tmp_path_factory: pytest.TempPathFactory) -> QuestionAnswerer:  # type: ignore[no-untyped-def]
    corpus = tmp_path_factory.mktemp("pier-corpus")
    (corpus / "pier-notes.txt").write_text(PIER_NOTES, encoding="utf-8")
    settings = settings_for(corpus, tmp_path_factory.mktemp("pier-index"))
    build_index(settings, embedder)
    return QuestionAnswerer.open(settings, embedder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was the Dock Safety Convention adopted?", "1999"),
        ("How many dockers were killed at Pier 9?", "14"),
        ("How long did the pier renewal project take?", "four-year"),
        ("who do i talk to about the piers", "Tom Reyes"),
        ("when does the pier renewal partnership wrap up?", "December 2030"),
        ("Who funded the pier renewal project?", "Port Fund"),
        ("What does SDK stand for?", "Marine Diving Unit"),  # a pair the glossary cannot spell
    ],
)
def test_answers_match_the_event_asked_about(pier_answerer: QuestionAnswerer, question: str, expected: str) -> None:
    answer = pier_answerer.ask(question)
    assert not answer.abstained, answer.reason
    assert expected in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "When did Norway ratify the Dock Safety Convention?",  # only its adoption is dated
        "How many dockers were injured at Pier 9?",  # only the killed are counted
        "How many harbour inspectors are there?",  # 'three' counts protocols, not inspectors
        "Who owned the north pier?",  # nothing says anyone owned it
        "What is the docker wage at Pier 9?",  # no wage is mentioned anywhere
    ],
)
def test_near_misses_of_the_event_are_refused(pier_answerer: QuestionAnswerer, question: str) -> None:
    answer = pier_answerer.ask(question)
    assert answer.abstained, answer.text
    assert answer.reason


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What does PFX stand for?", "never spell out"),
        ("What is the address of the Port Board?", "address"),
        ("When does the third phase of the pier renewal begin?", "never mention"),
        ("How many dockers were killed at Pier 9 in Chattogram?", "never mention"),
        ("What did the Port Board call on coastal states to do on 4 May 2021?", "no sentence answers it"),
    ],
)
def test_questions_about_what_the_documents_never_name_are_refused(
    pier_answerer: QuestionAnswerer, question: str, reason: str
) -> None:
    answer = pier_answerer.ask(question)
    assert answer.abstained, answer.text
    assert reason in (answer.reason or "")


def test_two_counts_are_not_answered_by_one_sentence_holding_one_count() -> None:
    from bot.answering import Candidate, _distinct_answers
    from bot.intent import question_parts

    passage = _passage("Storm toll rises to 40 dockers. Unions warn 12 more dockers are at risk.")
    toll, risk = (
        Candidate(0, passage, span, passage.sentence_text(span), score, 0.5, frozenset())
        for span, score in zip(passage.sentences, (0.9, 1.0), strict=True)
    )
    question = "How many dockers died in the storm, and how many more are at risk?"
    parts = question_parts(question)
    picks = _distinct_answers(parts, [[risk, toll], [risk]], question.lower())
    assert picks == [toll, risk]
    assert _distinct_answers(parts, [[risk], [risk]], question.lower()) == [risk, risk]  # nothing else to give


SECTORS = """# Port sectors

## Ferries

Ferries carry passengers across the river. Every ferry keeps life jackets for each passenger.

### Further information

For more information, please contact Officer Ana Lind, ana.lind@port.example.org.

## Warehouses

Warehouses store grain and timber. Forklift drivers need a licence.

### Further information

For more information, please contact Officer Raj Patel, raj.patel@port.example.org.
"""


@pytest.mark.parametrize(
    ("question", "contact", "other"),
    [
        ("who do i talk to about life jackets", "Ana Lind", "Raj Patel"),
        ("Who should I contact about forklift licences?", "Raj Patel", "Ana Lind"),
    ],
)
def test_a_contact_is_the_one_under_the_topic_asked_about(
    embedder, tmp_path_factory: pytest.TempPathFactory, question: str, contact: str, other: str  # type: ignore[no-untyped-def]
) -> None:
    corpus = tmp_path_factory.mktemp("sectors")
    (corpus / "sectors.md").write_text(SECTORS, encoding="utf-8")
    settings = settings_for(corpus, tmp_path_factory.mktemp("sectors-index"))
    build_index(settings, embedder)
    answer = QuestionAnswerer.open(settings, embedder).ask(question)
    assert contact in answer.text and other not in answer.text


@pytest.mark.parametrize(
    ("text", "about_itself"),
    [
        ("This brief delineates the key functions of the board.", True),
        ("The present report describes three ferry rules.", True),
        ("This board inspects cranes twice a year.", False),
    ],
)
def test_a_sentence_about_its_own_document_is_recognised(text: str, about_itself: bool) -> None:
    from bot.answering import ABOUT_A_DOCUMENT, ABOUT_ITSELF

    assert bool(ABOUT_ITSELF.match(text)) is about_itself
    assert ABOUT_A_DOCUMENT.search("what does the brief set out?")
    assert not ABOUT_A_DOCUMENT.search("what does the brief list as the board's role?")


def test_a_distinctive_name_in_the_question_must_be_what_the_answer_is_about(
    pier_answerer: QuestionAnswerer,
) -> None:
    answer = pier_answerer.ask("When does the PFX partnership end?")  # the renewal partnership's end is no answer
    assert answer.abstained, answer.text


def test_a_purpose_question_prefers_a_sentence_saying_what_it_is_for() -> None:
    from bot.intent import states_purpose

    question = "what is the pier project trying to achieve?"
    assert states_purpose("The project aims to make the pier safe for dockers.", question)
    assert not states_purpose("The project was funded by the Port Fund.", question)
    assert not states_purpose("The project aims to make the pier safe.", "who funded the pier project?")
