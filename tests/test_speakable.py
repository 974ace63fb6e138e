"""The speakable form: plain words, at most three sentences, the source in words, contacts on refusals."""

from __future__ import annotations

import re

import pytest

from bot.speakable import Contact, find_contacts, pick_contact, speakable
from bot.types import Answer, AnswerSentence, Citation, DocumentMeta, Passage

ACRONYMS = {
    "DIFE": "Department of Inspection for Factories and Establishments",
    "ILO": "International Labour Organization",
    "OSH": "occupational safety and health",
}
EMBASSY = Citation(
    "p1",
    "embassy.txt",
    "text",
    "Sector cooperation",
    "embassy.txt",
    "Labour rights",
    None,
    100,
    200,
    1.0,
    publisher="Embassy of Denmark, Dhaka",
)
PRESS = Citation(
    "p2",
    "press.txt",
    "text",
    "Press releases, October 2020 – November 2021",
    "press.txt",
    None,
    None,
    0,
    50,
    0.9,
    publisher="ILO Country Office for Bangladesh",
    date="28 November 2021",
)
NO_SYMBOLS = re.compile(r"[\[\]()<>{}*#_|`~^=+/\\@$%&“”\"]")


def answered(*sentences: tuple[str, int], citations: tuple[Citation, ...] = (EMBASSY,)) -> Answer:
    return Answer(
        " ".join(s for s, _ in sentences), tuple(AnswerSentence(s, c) for s, c in sentences), citations, False
    )


@pytest.mark.parametrize(
    ("sentence", "spoken"),
    [
        (
            "DIFE (Department of Inspection for Factories and Establishments) runs the help line [2].",
            "Department of Inspection for Factories and Establishments runs the help line.",
        ),
        (
            "DIFE’s inspectors and DIFE staff met.",
            "Department of Inspection for Factories and Establishments' inspectors and D I F E staff met.",
        ),
        (
            "The budget was US$ 2.5 million (about 25% more).",
            "The budget was 2 point 5 million U S dollars, about 25 percent more.",
        ),
        (
            "It ran 2014–2016 for 1,250 workers & employers.",
            "It ran 2014 to 2016 for 1250 workers and employers.",
        ),
        ("**Bold** <b>claims</b> and `code`", "Bold claims and code."),
        (
            "Improving Fire project 1 January 2014 - 31 December 2016",
            "Improving Fire project, 1 January 2014 to 31 December 2016.",
        ),
        ("It was launched on 28 November 2021 - in Dhaka.", "It was launched on 28 November 2021, in Dhaka."),
    ],
)
def test_sentences_are_said_in_plain_words(sentence: str, spoken: str) -> None:
    text = speakable(answered((sentence, 0)), ACRONYMS)
    assert text.startswith(spoken)
    assert not NO_SYMBOLS.search(text)


def test_at_most_two_answer_sentences_and_the_source_in_words() -> None:
    answer = answered(
        ("The ILO supports skills training.", 0),
        ("It began in 2021.", 1),
        ("A third one.", 1),
        citations=(EMBASSY, PRESS),
    )
    text = speakable(answer, ACRONYMS)
    assert text == (
        "The International Labour Organization supports skills training. It began in 2021. This is from "
        "Sector cooperation, by the Embassy of Denmark in Dhaka and from Press releases, October 2020 to "
        "November 2021, by the I L O Country Office for Bangladesh, dated 28 November 2021."
    )
    assert len(re.findall(r"[.!?](?:\s|$)", text)) <= 3


def test_a_long_first_sentence_is_read_alone() -> None:
    long_sentence = " ".join(["word"] * 44) + "."
    text = speakable(answered((long_sentence, 0), ("Second sentence here.", 0)), {})
    assert "Second sentence" not in text and text.endswith("Embassy of Denmark in Dhaka.")


def test_a_refusal_says_so_and_names_the_contact_for_that_section() -> None:
    meta = DocumentMeta("Sector cooperation", publisher="Embassy of Denmark, Dhaka")
    passages = [
        Passage(
            "a",
            "embassy.txt",
            "Dairy. For more information, please contact Sector Counsellor Maria Stein Knudsen, [email protected].",
            0,
            90,
            None,
            None,
            meta,
            (),
        ),
        Passage(
            "b",
            "embassy.txt",
            "Labour. For more information, please contact Sector Counsellor Ole Rosenborg Justesen, someone@um.dk.",
            150,
            260,
            None,
            None,
            meta,
            (),
        ),
    ]
    contacts = find_contacts(passages)
    assert [c.who for c in contacts] == [
        "Sector Counsellor Maria Stein Knudsen",
        "Sector Counsellor Ole Rosenborg Justesen",
    ]
    refusal = Answer("The documents don't say.", (), (), True, "weak evidence", related=(EMBASSY,))
    contact = pick_contact(contacts, refusal.related)
    assert contact == contacts[1]
    assert speakable(refusal, ACRONYMS, contact) == (
        "The documents I have don't say that. For more, you could contact Sector Counsellor "
        "Ole Rosenborg Justesen "
        "at the Embassy of Denmark in Dhaka."
    )
    assert speakable(refusal, ACRONYMS, None) == "The documents I have don't say that."
    assert pick_contact(contacts, (PRESS,)) is None


def test_an_invalid_question_keeps_its_polite_message() -> None:
    answer = Answer("Please ask the question in words.", (), (), True, "invalid question")
    assert speakable(answer) == "Please ask the question in words."


def test_contact_dataclass_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Contact("x", "d", None).who = "y"  # type: ignore[misc]
