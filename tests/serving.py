"""Helpers for tests of the app: a client on a real index, and a stand-in answerer for timing tests."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

import app as app_module
from bot.conversation import ConversationStore
from bot.records import RecordStore
from bot.service import Health, QuestionAnswerer
from bot.serving import Desk
from bot.settings import Settings
from bot.types import Answer


def subprocess_env(**extra: str) -> dict[str, str]:
    """This process's environment without any BOT_* setting, plus `extra`: a child sees only what a test sets."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BOT_")} | extra


def ingest_command(corpus: Path, index: Path, *options: str) -> list[str]:
    """`python -m bot ingest [OPTIONS] --corpus CORPUS --index INDEX`."""
    return [sys.executable, "-m", "bot", "ingest", *options, "--corpus", str(corpus), "--index", str(index)]


@contextmanager
def app_client(settings: Settings, asker: Any, **client_options: Any) -> Iterator[TestClient]:
    """A TestClient of the whole app (API and chat) whose desk answers with `asker`."""
    records = RecordStore(settings.records_path)
    conversations = ConversationStore(settings.conversation)
    desk = (
        Desk.around(asker, conversations, records)
        if isinstance(asker, QuestionAnswerer)
        else Desk(asker, conversations, records)
    )
    app_module.desk.configure(settings, desk=desk)
    try:
        with TestClient(
            app_module.create_app(settings), raise_server_exceptions=False, **client_options
        ) as client:
            yield client
    finally:
        app_module.desk.reset()
        records.close()


class SlowAsker:
    """Answers after `seconds`: for timeout and concurrency tests."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def ask(self, question: Any) -> Answer:
        time.sleep(self.seconds)
        return Answer("Slow answer.", (), (), True, "test")

    def health(self) -> Health:
        return Health(True, 0, 0, "stand-in", None, None, "stand-in")


def records_path(tmp_path: Path) -> Path:
    return tmp_path / "records" / "records.sqlite3"
