"""Conversations: follow-up questions read against the turns before them, and a bounded store of turns.

`resolve_follow_up` is a pure function: "and when does it end?" after "When did the Improving Fire and
General Building Safety project start?" becomes "when does the Improving Fire and General Building Safety
project end?". A question that names its own subject is left as it is.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import QuestionError
from bot.settings import ConversationSettings

WH_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how"}
AUXILIARIES = {
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "will",
    "would",
    "can",
    "could",
    "has",
    "have",
    "had",
    "should",
    "may",
    "might",
    "shall",
    "must",
}
DO_AUXILIARIES = AUXILIARIES - {"is", "are", "was", "were", "has", "have", "had"}
DETERMINERS = {"the", "a", "an"}
CONNECTORS = ("and ", "also ", "so ", "then ", "but ", "what about ", "how about ", "and what about ")
# Words that point back to something named earlier; "its"/"their" stand for "<subject>'s".
PRONOUNS = {
    "it": "",
    "they": "",
    "them": "",
    "its": "'s",
    "their": "'s",
    "this": "",
    "that": "",
    "these": "",
    "those": "",
    "he": "",
    "she": "",
    "him": "",
    "her": "'s",
    "his": "'s",
    "there": "",
}
PREPOSITIONS = {"in", "on", "at", "for", "of", "by", "with", "from", "to", "about", "during"}
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_WORD = re.compile(r"[\w’'&-]+|[^\w\s]")


@dataclass(frozen=True)
class Turn:
    question: str  # as asked
    resolved: str  # what was answered: the question with the conversation's subject filled in
    answer: str
    abstained: bool


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_name(word: str) -> bool:
    return word[:1].isupper() or sum(ch.isupper() for ch in word) >= 2 or word[:1].isdigit()


def question_subject(question: str) -> str | None:
    """The thing a question asks about, or None when it names nothing of its own.

    >>> question_subject("When did the Improving Fire and General Building Safety project start?")
    'the Improving Fire and General Building Safety project'
    >>> question_subject("and when does it end?") is None
    True
    """
    words = [w for w in _words(question) if w not in {"?", "!", "."}]
    if not words:
        return None
    first = words[0].lower()
    start = next(
        (i for i, w in enumerate(words) if i > 0 and (w.lower() in DETERMINERS or _is_name(w))), None
    )
    if start is None:
        return None
    subject = words[start:]
    if subject and subject[0].lower() in PRONOUNS:
        return None
    # "When did the project start?": the last word is the verb the auxiliary goes with, not the subject.
    auxiliary = words[1].lower() if first in WH_WORDS and len(words) > 1 else first
    if (
        auxiliary in DO_AUXILIARIES
        and len(subject) > 1
        and not _is_name(subject[-1])
        or auxiliary in AUXILIARIES
        and len(subject) > 1
        and subject[-1].lower().endswith(("ed", "en"))
    ):
        subject = subject[:-1]
    while subject and subject[-1].lower() in PREPOSITIONS | DETERMINERS | {",", ";", ":"}:
        subject = subject[:-1]
    text = " ".join(subject).replace(" ,", ",").strip()
    if not text or text.lower() in PRONOUNS or text.lower() in DETERMINERS:
        return None
    return text


def _strip_connector(question: str) -> tuple[str, str | None]:
    lowered = question.lower()
    for connector in sorted(CONNECTORS, key=len, reverse=True):
        if lowered.startswith(connector):
            return question[len(connector) :].strip(), connector.strip()
    return question.strip(), None


def resolve_follow_up(question: str, previous: Sequence[Turn]) -> str:
    """The question with the conversation's subject filled in when it leans on an earlier turn.

    - a pronoun stands for the previous subject: "and when does it end?" → "when does <subject> end?";
    - "what about X?" asks the previous question again about X;
    - a short question that starts with "and" and names nothing gets the subject added: "and the budget?"
      → "the budget? (<subject>)".
    A question with a subject of its own, or the first of a conversation, is returned unchanged.
    """
    question = " ".join(question.split())
    if not previous or not question:
        return question
    last = previous[-1]
    subject = question_subject(last.resolved)
    if subject is None:
        return question
    body, connector = _strip_connector(question)
    if not body:
        return question
    if connector in ("what about", "how about", "and what about"):
        return _ask_again_about(last.resolved, subject, body.rstrip("?").strip()) or question
    words = body.split()
    own_subject = question_subject(body) if body.split()[0].lower() in WH_WORDS | AUXILIARIES else None
    for index, word in enumerate(words):
        bare = word.lower().strip("?,.!")
        if bare in PRONOUNS and own_subject is None and bare not in {"that", "this"} | {"there"}:
            trailing = word[len(word.rstrip("?,.!")) :]
            words[index] = subject + PRONOUNS[bare] + trailing
            return " ".join(words)
    if own_subject is None and (connector or len(words) <= 4):
        for index, word in enumerate(words):
            if word.lower().strip("?,.!") in {"that", "this", "there"}:
                trailing = word[len(word.rstrip("?,.!")) :]
                replacement = f"in {subject}" if word.lower().startswith("there") else subject
                words[index] = replacement + trailing
                return " ".join(words)
        return f"{body} ({subject})"
    return question


def _ask_again_about(previous_question: str, previous_subject: str, new_subject: str) -> str | None:
    """'Who implements the OSH partnership?' + 'the dairy project' → 'Who implements the dairy project?'."""
    if not new_subject:
        return None
    at = previous_question.find(previous_subject)
    if at < 0:
        return None
    before = previous_question[:at].rstrip()
    first_word = new_subject.split()[0].lower()
    if first_word in PREPOSITIONS and before.lower().endswith(" " + first_word):
        new_subject = new_subject.split(" ", 1)[1] if " " in new_subject else new_subject
    return previous_question[:at] + new_subject + previous_question[at + len(previous_subject) :]


def check_conversation_id(conversation_id: str) -> str:
    """A caller's conversation id, if it is one we can keep (letters, digits, `._:-`, up to 64)."""
    if not CONVERSATION_ID.match(conversation_id):
        raise QuestionError(
            "conversation_id must be 1–64 letters, digits or . _ : -; leave it out to start one"
        )
    return conversation_id


@dataclass
class _Conversation:
    turns: list[Turn]
    last_used: float


class ConversationStore:
    """Turns of the conversations in progress, bounded in number and length; idle ones expire.

    Thread-safe: the API and the chat add turns from many threads.
    """

    def __init__(self, settings: ConversationSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def new_id(self) -> str:
        return secrets.token_urlsafe(12)

    def turns(self, conversation_id: str) -> tuple[Turn, ...]:
        """The conversation's kept turns, oldest first (none when it is new or has expired)."""
        with self._lock:
            self._expire()
            conversation = self._conversations.get(conversation_id)
            return tuple(conversation.turns) if conversation else ()

    def add(self, conversation_id: str, turn: Turn) -> None:
        with self._lock:
            self._expire()
            conversation = self._conversations.pop(conversation_id, None) or _Conversation([], 0.0)
            conversation.turns = [*conversation.turns, turn][-self._settings.max_turns :]
            conversation.last_used = self._clock()
            self._conversations[conversation_id] = conversation
            while len(self._conversations) > self._settings.max_conversations:
                self._conversations.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._conversations)

    def _expire(self) -> None:
        cutoff = self._clock() - self._settings.idle_seconds
        while self._conversations:
            oldest_id, oldest = next(iter(self._conversations.items()))
            if oldest.last_used >= cutoff:
                break
            del self._conversations[oldest_id]
