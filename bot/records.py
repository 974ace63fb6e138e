"""What was asked and what was answered, and what staff thought of it, in one SQLite file.

Each answer is one row (question, the question as answered, answer, sources, latency, channel, form,
conversation); each thumbs up/down or comment is a row of `feedback`. Nothing else is kept: no address,
header or token. `python -m bot records export FILE` writes the feedback as JSON lines for review and for
`python -m eval --from-feedback FILE`.

Writes are committed one by one in WAL mode, so a killed process loses no committed record.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.errors import BotError, ConfigError
from bot.types import Answer

Verdict = Literal["helpful", "wrong", "incomplete"]
VERDICTS: tuple[str, ...] = ("helpful", "wrong", "incomplete")
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    asked_at REAL NOT NULL,
    channel TEXT NOT NULL,
    form TEXT NOT NULL,
    conversation_id TEXT,
    question TEXT NOT NULL,
    resolved_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    reason TEXT,
    sources TEXT NOT NULL,
    latency_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL REFERENCES answers(id),
    given_at REAL NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'wrong', 'incomplete')),
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id);
"""


class UnknownAnswerError(BotError):
    """Feedback names an answer the records do not hold."""


@dataclass(frozen=True)
class AskedRecord:
    """One answered question, as stored."""

    channel: Literal["api", "chat"]
    form: str
    conversation_id: str | None
    question: str
    resolved_question: str
    answer: Answer
    spoken: str | None = None  # the speakable text, when that form was asked for


class RecordStore:
    """The records database at `path`; safe to share between threads."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cannot open the records database {path} ({error}); set records_path "
                "(BOT_RECORDS_PATH) to a writable file"
            ) from None

    def add_answer(self, asked: AskedRecord) -> str:
        """Store one answer and return its id (what feedback refers to)."""
        answer_id = uuid.uuid4().hex
        answer = asked.answer
        sources = [
            {"source": c.source, "title": c.title, "passage_id": c.passage_id, "start": c.start, "end": c.end}
            for c in answer.citations
        ]
        with self._lock:
            self._db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    self._clock(),
                    asked.channel,
                    asked.form,
                    asked.conversation_id,
                    asked.question,
                    asked.resolved_question,
                    asked.spoken if asked.spoken is not None else answer.text,
                    int(answer.abstained),
                    answer.reason,
                    json.dumps(sources, ensure_ascii=False),
                    answer.latency_ms,
                ),
            )
        return answer_id

    def add_feedback(self, answer_id: str, verdict: str, comment: str = "") -> None:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
        with self._lock:
            known = self._db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if not known:
                raise UnknownAnswerError(
                    f"no answer with id {answer_id!r}; use the answer_id /api/ask returned"
                )
            self._db.execute(
                "INSERT INTO feedback (answer_id, given_at, verdict, comment) VALUES (?, ?, ?, ?)",
                (answer_id, self._clock(), verdict, comment),
            )

    def feedback_rows(self, include_unrated: bool = False) -> Iterator[dict[str, Any]]:
        """Each verdict joined with its answer (and, with `include_unrated`, answers nobody rated)."""
        join = "LEFT JOIN" if include_unrated else "JOIN"
        query = (
            f"SELECT a.id, a.asked_at, a.channel, a.form, a.conversation_id, a.question, a.resolved_question,"
            f" a.answer, a.abstained, a.reason, a.sources, a.latency_ms, f.verdict, f.comment, f.given_at "
            f"FROM answers a {join} feedback f ON f.answer_id = a.id ORDER BY a.asked_at, f.id"
        )
        with self._lock:
            rows = self._db.execute(query).fetchall()
        for row in rows:
            (
                answer_id,
                asked_at,
                channel,
                form,
                conversation_id,
                question,
                resolved,
                answer,
                abstained,
                reason,
                sources,
                latency_ms,
                verdict,
                comment,
                given_at,
            ) = row
            yield {
                "question": question,
                "answer": answer,
                "verdict": verdict or "unrated",
                "comment": comment or "",
                "answer_id": answer_id,
                "asked_at": asked_at,
                "given_at": given_at,
                "channel": channel,
                "form": form,
                "conversation_id": conversation_id,
                "resolved_question": resolved,
                "abstained": bool(abstained),
                "reason": reason,
                "citations": json.loads(sources),
                "latency_ms": latency_ms,
            }

    def export(self, target: Path, include_unrated: bool = False) -> int:
        """Write the feedback as JSON lines to `target`; returns how many lines."""
        count = 0
        with target.open("w", encoding="utf-8") as handle:
            for row in self.feedback_rows(include_unrated):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        return count

    def counts(self) -> tuple[int, int]:
        """(answers, feedback rows)."""
        with self._lock:
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            feedback = self._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
        return int(answers), int(feedback)

    def close(self) -> None:
        with self._lock:
            self._db.close()
