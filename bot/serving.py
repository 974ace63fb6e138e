"""What the app serves, shared by the chat and the API: one question in a conversation, answered and recorded.

`Desk` ties the question answerer to the conversations, the records and the speakable form. `DeskHolder`
opens it on first use (and again after a failure, e.g. a Chroma server that was down), and picks up a new
index build when an ingest has switched `index/CURRENT`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.conversation import ConversationStore, Turn, check_conversation_id, resolve_follow_up
from bot.embedding import Embedder
from bot.errors import BotError, ConfigError
from bot.records import AskedRecord, RecordStore
from bot.service import Health, QuestionAnswerer, not_ready_health
from bot.settings import Settings
from bot.speakable import Contact, find_contacts, pick_contact, speakable
from bot.store import IndexFolder
from bot.types import Answer

log = logging.getLogger(__name__)

Form = Literal["chat", "speakable"]
Channel = Literal["api", "chat"]


class Opener(Protocol):
    """Opens a question answerer (`QuestionAnswerer.open`), reusing a loaded model when given one."""

    def __call__(self, settings: Settings, embedder: Embedder | None = None) -> QuestionAnswerer: ...


class Asker(Protocol):
    """What the desk needs of the question answerer (a real `QuestionAnswerer`, or a test's stand-in)."""

    def ask(self, question: Any) -> Answer: ...

    def health(self) -> Health: ...


@dataclass(frozen=True)
class Reply:
    answer: Answer
    text: str  # what to show or say: the answer's text, or its speakable form
    form: Form
    conversation_id: str
    answer_id: str | None  # None when the records could not be written
    resolved_question: str


class Desk:
    """Answers questions in conversations and records every answer."""

    def __init__(
        self,
        asker: Asker,
        conversations: ConversationStore,
        records: RecordStore,
        acronyms: dict[str, str] | None = None,
        contacts: tuple[Contact, ...] = (),
    ) -> None:
        self.asker = asker
        self.conversations = conversations
        self.records = records
        self._acronyms = acronyms or {}
        self._contacts = contacts

    @classmethod
    def around(cls, asker: QuestionAnswerer, conversations: ConversationStore, records: RecordStore) -> Desk:
        index = asker.index
        return cls(asker, conversations, records, dict(index.manifest.acronyms), find_contacts(index.passages))

    def ask(
        self, question: Any, form: Form = "chat", conversation_id: str | None = None, channel: Channel = "api"
    ) -> Reply:
        """Answer `question`, reading it as a follow-up of the conversation's earlier turns."""
        conversation_id = check_conversation_id(conversation_id) if conversation_id else self.conversations.new_id()
        if isinstance(question, str):  # lone surrogates (from JSON "\ud800") cannot be stored or sent back
            question = question.encode("utf-8", "replace").decode("utf-8")
        resolved = question
        if isinstance(question, str):
            resolved = resolve_follow_up(question, self.conversations.turns(conversation_id))
        answer = self.asker.ask(resolved)
        if form == "speakable":
            contact = pick_contact(self._contacts, answer.related or answer.citations) if answer.abstained else None
            text = speakable(answer, self._acronyms, contact)
        else:
            text = answer.text
        shown_question = question if isinstance(question, str) else repr(question)[:200]
        resolved_text = resolved if isinstance(resolved, str) else shown_question
        if isinstance(question, str) and answer.reason != "invalid question":
            self.conversations.add(conversation_id, Turn(question, resolved_text, answer.text, answer.abstained))
        answer_id = self._record(
            AskedRecord(
                channel,
                form,
                conversation_id,
                shown_question,
                resolved_text,
                answer,
                text if form == "speakable" else None,
            )
        )
        return Reply(answer, text, form, conversation_id, answer_id, resolved_text)

    def _record(self, asked: AskedRecord) -> str | None:
        try:
            return self.records.add_answer(asked)
        except Exception as error:  # noqa: BLE001 - a full disk must not stop the answering; it is logged
            log.error("could not record an answer in %s: %s", self.records.path, error)
            return None


class DeskHolder:
    """Opens the desk once, on first use, with what the entry point gave it; reopens after failures.

    A failed open (no index, Chroma server down) is retried on the next request, at most every
    `retry_seconds`, so the app recovers by itself when the cause goes away.
    """

    def __init__(
        self,
        retry_seconds: float = 2.0,
        reload_check_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings: Settings | None = None
        self._open_answerer: Opener = QuestionAnswerer.open
        self._desk: Desk | None = None
        self._conversations: ConversationStore | None = None
        self._records: RecordStore | None = None
        self._lock = threading.Lock()
        self._last_error: BotError | None = None
        self._last_attempt = float("-inf")
        self._last_reload_check = float("-inf")
        self._reloading = False
        self._retry_seconds = retry_seconds
        self._reload_check_seconds = reload_check_seconds
        self._clock = clock

    def configure(self, settings: Settings, open_answerer: Opener | None = None, desk: Desk | None = None) -> None:
        """Set what to open; a test may hand a ready `desk` (or an opener that reuses its model)."""
        with self._lock:
            self._settings = settings
            if open_answerer is not None:
                self._open_answerer = open_answerer
            self._desk = desk
            self._last_error = None
            self._last_attempt = float("-inf")

    @property
    def settings_or_none(self) -> Settings | None:
        return self._settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise ConfigError("the app was not configured; start it with `python app.py`")
        return self._settings

    def records(self) -> RecordStore:
        if self._records is None or self._records.path != self.settings.records_path:
            self._records = RecordStore(self.settings.records_path)
        return self._records

    def get(self) -> Desk:
        """The open desk, or the BotError that says why there is none (retried after `retry_seconds`)."""
        with self._lock:
            desk = self._desk
            if desk is None:
                return self._open_now()
            now = self._clock()
            check = not self._reloading and now - self._last_reload_check >= self._reload_check_seconds
            if check:
                self._last_reload_check = now
                self._reloading = True
        if check:  # outside the lock: questions keep being answered from the old build meanwhile
            try:
                self._reload(desk)
            finally:
                self._reloading = False
        return self._desk or desk

    def _open_now(self) -> Desk:
        now = self._clock()
        if self._last_error is not None and now - self._last_attempt < self._retry_seconds:
            raise self._last_error
        self._last_attempt = now
        try:
            self._desk = self._open()
            self._last_error = None
        except BotError as error:
            self._last_error = error
            raise
        return self._desk

    def _open(self) -> Desk:
        settings = self.settings
        if self._conversations is None:
            self._conversations = ConversationStore(settings.conversation)
        answerer = self._open_answerer(settings)
        return Desk.around(answerer, self._conversations, self.records())

    def _reload(self, desk: Desk) -> None:
        """Switch to a newer build when an ingest made one (a cheap read of index/CURRENT every few seconds)."""
        current = getattr(desk.asker, "index", None)
        if current is None:
            return
        try:
            live = IndexFolder(self.settings.index_dir).current_build()
        except OSError:
            return
        if live is None or live.name == current.build.name:
            return
        try:
            answerer = self._open_answerer(
                self.settings.model_copy(update={"auto_ingest": False}), getattr(desk.asker, "embedder", None)
            )
        except BotError as error:
            log.warning(
                "a new index build %s is there but could not be opened (%s); still answering from %s",
                live.name,
                error,
                current.build.name,
            )
            return
        with self._lock:
            if self._desk is desk:
                self._desk = Desk.around(answerer, desk.conversations, desk.records)
        log.info("switched to the new index build %s", live.name)

    def health(self) -> Health:
        try:
            return self.get().asker.health()
        except BotError as error:
            return not_ready_health(error, "")

    def reset(self) -> None:
        """Forget the open desk (tests; and a clean shutdown)."""
        with self._lock:
            self._desk = None
            self._last_error = None
            self._last_attempt = float("-inf")
