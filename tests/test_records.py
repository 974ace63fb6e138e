"""The records database: answers and feedback, exported as `python -m eval --from-feedback` reads them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.records import AskedRecord, RecordStore, UnknownAnswerError
from bot.types import Answer, AnswerSentence, Citation
from eval.feedback import read_feedback

CITATION = Citation("p1", "doc.txt", "passage", "Title", "doc.txt", None, None, 0, 7, 1.0)


def asked(question: str, text: str = "An answer.") -> AskedRecord:
    answer = Answer(text, (AnswerSentence(text, 0),), (CITATION,), False, latency_ms=12.5)
    return AskedRecord("api", "chat", "conv-1", question, question, answer)


def test_answers_and_feedback_export_as_json_lines_eval_reads(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records" / "r.sqlite3")
    first = store.add_answer(asked("Who funds it?"))
    second = store.add_answer(asked("Who runs it?"))
    store.add_answer(asked("Not rated?"))
    store.add_feedback(first, "wrong", "It is Denmark")
    store.add_feedback(second, "helpful")
    target = tmp_path / "feedback.jsonl"
    assert store.export(target) == 2
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert lines[0] | {} == lines[0] and {
        k: lines[0][k] for k in ("question", "answer", "verdict", "comment")
    } == {"question": "Who funds it?", "answer": "An answer.", "verdict": "wrong", "comment": "It is Denmark"}
    assert lines[0]["citations"][0]["source"] == "doc.txt" and lines[0]["latency_ms"] == 12.5
    records = read_feedback(target)
    assert [r.verdict for r in records] == ["wrong", "helpful"] and records[0].cited_sources == ("doc.txt",)
    assert store.export(tmp_path / "all.jsonl", include_unrated=True) == 3
    assert store.counts() == (3, 2)


def test_feedback_for_an_unknown_answer_or_verdict_is_refused(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "r.sqlite3")
    with pytest.raises(UnknownAnswerError, match="answer_id"):
        store.add_feedback("nope", "wrong")
    with pytest.raises(ValueError, match="verdict"):
        store.add_feedback(store.add_answer(asked("q?")), "meh")


def test_the_database_holds_only_its_two_tables(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    RecordStore(path).add_answer(asked("q?"))
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = [row[1] for row in db.execute("PRAGMA table_info(answers)")]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert tables - {"sqlite_sequence"} == {"answers", "feedback"}
    assert columns == [
        "id",
        "asked_at",
        "channel",
        "form",
        "conversation_id",
        "question",
        "resolved_question",
        "answer",
        "abstained",
        "reason",
        "sources",
        "latency_ms",
    ]


def test_an_unusable_path_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(ConfigError, match="BOT_RECORDS_PATH"):
        RecordStore(tmp_path / "taken" / "r.sqlite3")
