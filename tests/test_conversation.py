"""Follow-up questions resolved against earlier turns; the conversation store's bounds and expiry."""

from __future__ import annotations

import pytest

from bot.conversation import (
    ConversationStore,
    Turn,
    check_conversation_id,
    question_subject,
    resolve_follow_up,
)
from bot.errors import QuestionError
from bot.settings import ConversationSettings


def turn(question: str) -> Turn:
    return Turn(question, question, "an answer", False)


@pytest.mark.parametrize(
    ("previous", "follow_up", "resolved"),
    [
        (
            "When did the Improving Fire and General Building Safety project start?",
            "and when does it end?",
            "when does the Improving Fire and General Building Safety project end?",
        ),
        ("Who implements the OSH partnership?", "and who funds it?", "who funds the OSH partnership?"),
        (
            "Who implements the OSH partnership?",
            "what about the dairy project?",
            "Who implements the dairy project?",
        ),
        (
            "How many inspections were conducted in Dhaka?",
            "what about in Chittagong?",
            "How many inspections were conducted in Chittagong?",
        ),
        (
            "Which countries fund the Advancing Decent Work project?",
            "Is it still running?",
            "Is the Advancing Decent Work project still running?",
        ),
        (
            "Which countries fund the Advancing Decent Work project?",
            "and its budget?",
            "the Advancing Decent Work project's budget?",
        ),
        (
            "Which countries fund the Advancing Decent Work project?",
            "when did that start?",
            "when did the Advancing Decent Work project start?",
        ),
        ("Who implements the OSH partnership?", "and the budget?", "the budget? (the OSH partnership)"),
        ("What is DIFE?", "where is it based?", "where is DIFE based?"),
        ("When was the OSH profile launched?", "who launched it?", "who launched the OSH profile?"),
        # a question with its own subject is left alone
        (
            "Who implements the OSH partnership?",
            "What is the One Health approach?",
            "What is the One Health approach?",
        ),
        (
            "Who implements the OSH partnership?",
            "When did the Skills 21 project start?",
            "When did the Skills 21 project start?",
        ),
    ],
)
def test_follow_up_takes_the_previous_subject(previous: str, follow_up: str, resolved: str) -> None:
    assert resolve_follow_up(follow_up, [turn(previous)]) == resolved


def test_first_question_and_subjectless_history_are_unchanged() -> None:
    assert resolve_follow_up("and when does it end?", []) == "and when does it end?"
    assert resolve_follow_up("and when does it end?", [turn("hello?")]) == "and when does it end?"


def test_chains_use_the_resolved_previous_turn() -> None:
    first = turn("When did the Skills 21 project start?")
    second_resolved = resolve_follow_up("who funds it?", [first])
    second = Turn("who funds it?", second_resolved, "", False)
    assert (
        resolve_follow_up("and when does it end?", [first, second]) == "when does the Skills 21 project end?"
    )


def test_subject_of_a_question() -> None:
    assert question_subject("Who implements the OSH partnership?") == "the OSH partnership"
    assert question_subject("When did the project start?") == "the project"
    assert question_subject("and when does it end?") is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_keeps_the_last_turns_and_expires_idle_conversations() -> None:
    clock = Clock()
    store = ConversationStore(ConversationSettings(max_turns=2, max_conversations=10, idle_seconds=60), clock)
    for number in range(5):
        store.add("a", turn(f"question {number}?"))
    assert [t.question for t in store.turns("a")] == ["question 3?", "question 4?"]
    clock.now = 61
    assert store.turns("a") == () and len(store) == 0


def test_store_forgets_the_least_recently_used_beyond_its_bound() -> None:
    clock = Clock()
    store = ConversationStore(ConversationSettings(max_turns=2, max_conversations=3, idle_seconds=60), clock)
    for name in "abcd":
        clock.now += 1
        store.add(name, turn("q?"))
    assert len(store) == 3 and store.turns("a") == () and store.turns("d")


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "<script>", "../etc", "id\x00"])
def test_bad_conversation_ids_are_refused(bad: str) -> None:
    with pytest.raises(QuestionError, match="conversation_id"):
        check_conversation_id(bad)
