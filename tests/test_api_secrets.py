"""The access token never reaches the logs or the records, and the records hold only what they should."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.service import build_index
from bot.settings import load_settings
from tests.conftest import ROOT
from tests.serving import subprocess_env

pytestmark = pytest.mark.slow
TOKEN = "s3cret-Token-that-must-never-leak-7f3a9"


def test_token_is_in_no_log_and_no_record(embedder, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    records = tmp_path / "records.sqlite3"
    environ = {
        "BOT_CORPUS_DIR": str(tiny_corpus),
        "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_RECORDS_PATH": str(records),
        "BOT_ACCESS_TOKEN": TOKEN,
    }
    build_index(load_settings(environ=environ), embedder)
    settings = load_settings(environ=environ)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_file = tmp_path / "app.log"
    child_env = subprocess_env(**environ)
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=ROOT,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            headers = {"Authorization": f"Bearer {TOKEN}"}
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/api/health", headers=headers, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            asked = httpx.post(
                f"{url}/api/ask",
                json={"question": "What does the quillometer count?"},
                headers=headers,
                timeout=30,
            )
            assert asked.status_code == 200
            assert (
                httpx.post(
                    f"{url}/api/feedback",
                    headers=headers,
                    timeout=30,
                    json={"answer_id": asked.json()["answer_id"], "verdict": "helpful", "comment": "fine"},
                ).status_code
                == 200
            )
            assert (
                httpx.post(
                    f"{url}/api/ask", json={"question": "q?"}, timeout=30, headers={"Authorization": f"Bearer {TOKEN}x"}
                ).status_code
                == 401
            )
            assert (
                httpx.post(f"{url}/login", data={"username": "staff", "password": TOKEN}, timeout=30).status_code == 200
            )
            assert (
                httpx.post(f"{url}/login", data={"username": "staff", "password": "wrong"}, timeout=30).status_code
                >= 400
            )
            assert httpx.get(f"{url}/api/health", timeout=30).status_code == 401
        finally:
            process.terminate()
            process.wait(timeout=30)
    logged = log_file.read_text(encoding="utf-8")
    assert "serving the chat" in logged and TOKEN not in logged
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("records.sqlite3*"))  # with the WAL
    assert TOKEN.encode() not in stored
    import sqlite3

    with sqlite3.connect(records) as db:
        rows = db.execute("SELECT question, answer, sources FROM answers").fetchall()
        feedback = db.execute("SELECT verdict, comment FROM feedback").fetchall()
    assert len(rows) == 1 and rows[0][0] == "What does the quillometer count?"
    assert feedback == [("helpful", "fine")]
