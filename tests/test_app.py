"""The app: API routes, chat handlers, feedback, escaping, exposure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import app as app_module
from bot.access import check_exposure, is_loopback
from bot.errors import ConfigError
from bot.service import QuestionAnswerer
from bot.webview import markdown_text, sources_html
from tests.conftest import ROOT, SEED_CORPUS, settings_for
from tests.serving import SlowAsker, app_client, records_path

pytestmark = pytest.mark.slow
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture()
def client(seed_answerer: QuestionAnswerer, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = settings_for(SEED_CORPUS, seed_answerer.settings.index_dir, records_path=records_path(tmp_path))
    with app_client(settings, seed_answerer) as test_client:
        yield test_client


def test_ask_returns_the_cli_fields_and_a_conversation(client: TestClient) -> None:
    question = "How many inspections were conducted in Dhaka?"
    body = client.post("/api/ask", json={"question": question}).json()
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ask",
            question,
            "--json",
            "--corpus",
            str(SEED_CORPUS),
            "--index",
            str(app_module.desk.settings.index_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )
    expected = json.loads(cli.stdout)
    assert body["answer"] == expected["answer"] and "102 inspections" in body["answer"]
    assert [c | {"score": 0} for c in body["citations"]] == [c | {"score": 0} for c in expected["citations"]]
    assert set(expected) <= set(body)
    assert body["conversation_id"] and body["answer_id"] and body["form"] == "chat"


def test_speakable_form_is_plain_words_with_the_source(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Who implements the OSH partnership?", "form": "speakable"}).json()
    spoken = body["answer"]
    assert "Department of Inspection for Factories and Establishments" in spoken
    assert spoken.endswith("This is from Sector cooperation, by the Embassy of Denmark in Dhaka.")
    assert not any(symbol in spoken for symbol in "[]()<>*#_|`")
    assert body["citations"][0]["source"] == "embassy-denmark-dhaka-sector-cooperation.txt"


def test_speakable_refusal_names_the_contact(client: TestClient) -> None:
    body = client.post(
        "/api/ask", json={"question": "What is the budget of the Labour Act help line?", "form": "speakable"}
    ).json()
    assert body["abstained"] is True
    assert body["answer"].startswith(
        "The documents I have don't say that. For more, you could contact Sector Counsellor"
    )


def test_follow_up_in_the_same_conversation(client: TestClient) -> None:
    first = client.post(
        "/api/ask",
        json={"question": "When did the Improving Fire and General Building Safety project start?"},
    ).json()
    follow = client.post(
        "/api/ask", json={"question": "and when did it end?", "conversation_id": first["conversation_id"]}
    ).json()
    assert follow["resolved_question"] == "when did the Improving Fire and General Building Safety project end?"
    assert "31 December 2016" in follow["answer"]
    alone = client.post("/api/ask", json={"question": "and when did it end?"}).json()
    assert alone["resolved_question"] == "and when did it end?"


def test_feedback_is_recorded_and_exported(client: TestClient, tmp_path: Path) -> None:
    answer = client.post("/api/ask", json={"question": "Who funds the dairy project?"}).json()
    response = client.post(
        "/api/feedback",
        json={"answer_id": answer["answer_id"], "verdict": "incomplete", "comment": "Name the ministry too"},
    )
    assert response.status_code == 200 and response.json()["recorded"] is True
    assert client.post("/api/feedback", json={"answer_id": "missing", "verdict": "wrong"}).status_code == 404
    assert client.post("/api/feedback", json={"answer_id": answer["answer_id"], "verdict": "meh"}).status_code == 422
    long_comment = {"answer_id": answer["answer_id"], "verdict": "wrong", "comment": "x" * 3000}
    assert "limit is 2,000" in client.post("/api/feedback", json=long_comment).json()["detail"]
    target = tmp_path / "out.jsonl"
    cli = subprocess.run(
        [sys.executable, "-m", "bot", "records", "export", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "BOT_RECORDS_PATH": str(app_module.desk.settings.records_path)},
    )
    assert cli.returncode == 0, cli.stderr
    line = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert line["question"] == "Who funds the dairy project?" and line["verdict"] == "incomplete"
    assert line["comment"] == "Name the ministry too" and line["answer"] == answer["answer"]


def test_health_reports_the_index(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["ready"] is True and body["documents"] == 3 and body["passages"] > 0
    assert "MiniLM" in body["model"] and body["index_age_seconds"] >= 0


def test_chat_page_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/health", "/api/feedback"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_chat_turn_shows_answer_sources_and_takes_feedback(client: TestClient) -> None:
    history, sources, status, cleared, state = app_module.respond("Who implements the OSH partnership?", [], {})
    assert cleared == "" and history[0]["role"] == "user"
    assert "implementing partners" in history[1]["content"] and "\\[1\\]" in history[1]["content"]
    assert "<mark>" in sources and "Sector cooperation" in sources and "Embassy of Denmark" in sources
    assert "Answered from the documents" in status
    history, _, _, _, state = app_module.respond("and who funds it?", history, state)
    assert len(history) == 4 and state["conversation_id"]

    class Like:
        index = 3
        liked = False

    assert "recorded as wrong" in app_module.record_like(state, Like())  # type: ignore[arg-type]
    note, box = app_module.record_comment(state, "incomplete", "more please")
    assert "recorded as incomplete" in note and box == ""
    assert app_module.desk.records().counts() == (2, 2)


def test_chat_shows_the_not_in_the_documents_state(client: TestClient) -> None:
    history, sources, status, _, _ = app_module.respond("What is the budget of the Labour Act help line?", [], {})
    assert "Not in the documents" in history[1]["content"] and "Not in the documents" in status
    assert "Closest passages" in sources


def test_document_and_question_text_is_never_markup() -> None:
    assert markdown_text("<script>alert(1)</script> **bold** [x](http://e)") == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*\\*bold\\*\\* \\[x\\]\\(http://e\\)"
    )
    from bot.types import Answer, Citation, Span

    citation = Citation(
        "p",
        "d",
        "<img src=x onerror=alert(1)> text",
        "<b>T</b>",
        "d",
        None,
        None,
        0,
        10,
        1.0,
        highlights=(Span(0, 5),),
    )
    html = sources_html(Answer("a", (), (citation,), False))
    assert "<img" not in html and "<b>T</b>" not in html and "&lt;img" in html


def test_a_slow_answer_times_out_with_504(tmp_path: Path) -> None:
    settings = settings_for(
        SEED_CORPUS,
        tmp_path / "index",
        records_path=records_path(tmp_path),
        limits={"request_timeout_seconds": 0.3},
    )
    with app_client(settings, SlowAsker(1.0)) as client:
        response = client.post("/api/ask", json={"question": "anything?"})
    assert response.status_code == 504 and "within 0.3 seconds" in response.json()["detail"]


def test_access_token_guards_the_api_and_the_chat(tmp_path: Path) -> None:
    settings = settings_for(
        SEED_CORPUS,
        tmp_path / "index",
        records_path=records_path(tmp_path),
        access_token=TOKEN,
        host="0.0.0.0",
    )
    check_exposure(settings)
    with app_client(settings, SlowAsker(0)) as client:
        assert client.post("/api/ask", json={"question": "q?"}).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token-at-all"}
        assert client.post("/api/ask", json={"question": "q?"}, headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert client.post("/api/ask", json={"question": "q?"}, headers=right).status_code == 200
        assert client.get("/api/health", headers=right).status_code == 200
        config = client.get("/config")
        assert config.status_code == 401 or "login" in config.text.lower() or config.json().get("auth_required")
        assert client.post("/login", data={"username": "x", "password": "wrong"}).status_code >= 400
        assert client.post("/login", data={"username": "staff", "password": TOKEN}).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host": "0.0.0.0"}, "BOT_ACCESS_TOKEN"),
        ({"host": "192.168.1.5"}, "BOT_ACCESS_TOKEN"),
        ({"host": "example.org"}, "BOT_ACCESS_TOKEN"),
        ({"host": "0.0.0.0", "access_token": "short"}, "shorter than 16"),
    ],
)
def test_exposed_without_a_token_refuses_to_start(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_exposure(settings_for(SEED_CORPUS, Path("index"), **overrides))


def test_app_refuses_to_start_exposed_without_a_token(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "app.py", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 1 and "BOT_ACCESS_TOKEN" in run.stdout


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


def test_limits_come_from_settings(tmp_path: Path) -> None:
    from bot.settings import load_settings

    settings = load_settings(
        environ={
            "BOT_LIMITS__MAX_REQUEST_BYTES": "2048",
            "BOT_LIMITS__REQUEST_TIMEOUT_SECONDS": "5",
            "BOT_LIMITS__MAX_COMMENT_CHARS": "20",
            "BOT_CONVERSATION__MAX_TURNS": "3",
            "BOT_CONVERSATION__MAX_CONVERSATIONS": "2",
            "BOT_CONVERSATION__IDLE_SECONDS": "60",
            "BOT_RECORDS_PATH": str(records_path(tmp_path)),
        }
    )
    assert settings.limits.max_request_bytes == 2048 and settings.conversation.max_conversations == 2
    with app_client(settings, SlowAsker(0)) as client:
        too_big = client.post("/api/ask", json={"question": "x" * 3000})
        assert too_big.status_code == 413 and "2048 bytes" in too_big.json()["detail"]
        ids = [client.post("/api/ask", json={"question": f"question {n}?"}).json()["conversation_id"] for n in range(3)]
        assert len(app_module.desk.get().conversations) == 2 and not app_module.desk.get().conversations.turns(ids[0])
        answer_id = client.post("/api/ask", json={"question": "q?"}).json()["answer_id"]
        long_comment = client.post(
            "/api/feedback", json={"answer_id": answer_id, "verdict": "wrong", "comment": "x" * 21}
        )
        assert long_comment.status_code == 422 and "limit is 20" in long_comment.json()["detail"]
