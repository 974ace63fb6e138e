"""Faults injected and what must follow: a clear message and a health status that says what to do, the old
index answering when an ingest fails or is killed, consistent storage after every kill, recovery after repair.

After each kill: SQLite's integrity_check on the live build's Chroma, its collection count, and the top-k
passages for a fixed set of questions are compared with a reference run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

import app as app_module
from bot.errors import IndexBusyError
from bot.ingest import ingest, ingest_lock
from bot.service import QuestionAnswerer, build_index
from bot.settings import Settings
from bot.store import ChromaConnector, IndexFolder, read_manifest
from tests.conftest import ROOT, settings_for
from tests.serving import ingest_command, records_path, subprocess_env

pytestmark = pytest.mark.slow
FIXED_QUESTIONS = (
    "What does the quillometer count?",
    "How much may a worker lift alone?",
    "How often are dockside cranes inspected?",
    "What is the budget of the moon base?",
)
NEW_DOCUMENT = (
    "# Tug boats\n\nEvery tug boat carries a zarnoscope for measuring hull strain. The zarnoscope "
    "reading is logged after each harbour tow by the tug master.\n"
)


def reference(settings: Settings, embedder) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The top-k passage ids of the fixed questions, from a fresh open of the index."""
    answerer = QuestionAnswerer.open(settings.model_copy(update={"auto_ingest": False}), embedder)
    return {q: [c.passage_id for c in answerer.ask(q).retrieved] for q in FIXED_QUESTIONS}


def check_consistent(settings: Settings, embedder, expected: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    build = IndexFolder(settings.index_dir).current_build()
    assert build is not None
    manifest = read_manifest(build)
    with sqlite3.connect(build / "chroma" / "chroma.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    collection = ChromaConnector().open_collection(build, manifest.collection)
    assert collection.count() == manifest.passage_count == len(np.load(build / "passage_vectors.npy"))
    assert reference(settings, embedder) == expected


@pytest.fixture()
def built(embedder, tiny_corpus: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index", records_path=records_path(tmp_path), auto_ingest=False)
    build_index(settings, embedder)
    return settings, reference(settings, embedder)


# --- index faults: the API says what to do (503), health says not ready, repair brings it back -------------


def _no_folder(index: Path) -> None:
    shutil.rmtree(index)


def _path_is_a_file(index: Path) -> None:
    shutil.rmtree(index)
    index.write_text("not a folder", encoding="utf-8")


def _current_names_nothing(index: Path) -> None:
    (index / "CURRENT").write_text("build-that-does-not-exist", encoding="utf-8")


def _live(index: Path) -> Path:
    build = IndexFolder(index).current_build()
    assert build is not None
    return build


def _manifest_garbage(index: Path) -> None:
    (_live(index) / "manifest.json").write_text("{ not json", encoding="utf-8")


def _other_model(index: Path) -> None:
    manifest = _live(index) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps(data | {"model_id": "some/other-model@v2"}), encoding="utf-8")


def _passages_truncated(index: Path) -> None:
    passages = _live(index) / "passages.jsonl"
    passages.write_bytes(passages.read_bytes()[: passages.stat().st_size // 2])


def _vectors_missing(index: Path) -> None:
    (_live(index) / "passage_vectors.npy").unlink()


def _chroma_deleted(index: Path) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    shutil.rmtree(_live(index) / "chroma")
    SharedSystemClient.clear_system_cache()  # as a freshly started process would find it


def _lexical_deleted(index: Path) -> None:
    shutil.rmtree(_live(index) / "lexical")


INDEX_FAULTS: list[tuple[str, Callable[[Path], None], str]] = [
    ("index folder missing", _no_folder, "python -m bot ingest"),
    ("index path is a file", _path_is_a_file, "python -m bot ingest"),
    ("CURRENT names a missing build", _current_names_nothing, "python -m bot ingest"),
    ("manifest not JSON", _manifest_garbage, "python -m bot ingest"),
    ("index from another model", _other_model, "--rebuild"),
    ("passages file truncated", _passages_truncated, "--rebuild"),
    ("vectors file missing", _vectors_missing, "--rebuild"),
    ("Chroma folder deleted", _chroma_deleted, "--rebuild"),
    ("BM25 folder deleted", _lexical_deleted, "--rebuild"),
]


@pytest.mark.parametrize(("fault", "damage", "says"), INDEX_FAULTS, ids=[f[0] for f in INDEX_FAULTS])
def test_index_faults_say_what_to_do_and_recover(
    built,
    embedder,
    fault: str,
    damage: Callable[[Path], None],  # type: ignore[no-untyped-def]
    says: str,
) -> None:
    settings, expected = built
    damage(settings.index_dir)
    app_module.desk.configure(settings, lambda s, e=None: QuestionAnswerer.open(s, e or embedder))
    app_module.desk._retry_seconds = 0.0
    try:
        with TestClient(app_module.create_app(settings), raise_server_exceptions=False) as client:
            health = client.get("/api/health")
            assert health.status_code == 503 and health.json()["ready"] is False and says in health.json()["detail"]
            asked = client.post("/api/ask", json={"question": FIXED_QUESTIONS[0]})
            assert asked.status_code == 503 and says in asked.json()["detail"]
            history, _, status, _, _ = app_module.respond(FIXED_QUESTIONS[0], [], {})
            assert "not ready" in history[1]["content"] and "Not ready" in status

            if settings.index_dir.is_file():
                settings.index_dir.unlink()
            build_index(settings, embedder, rebuild=True)  # the repair the message names
            assert client.get("/api/health").json()["ready"] is True
            assert "passengers" in client.post("/api/ask", json={"question": FIXED_QUESTIONS[0]}).json()["answer"]
    finally:
        app_module.desk.reset()
        app_module.desk._retry_seconds = 2.0
    check_consistent(settings, embedder, expected)


# --- ingest faults: the old index keeps answering ----------------------------------------------------------


class FailingChroma(ChromaConnector):
    """Fails to write the new build's collection as a full (or read-only) disk would."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def write_collection(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=["disk full", "read-only disk"])
def test_a_failed_ingest_leaves_the_old_index_answering(built, embedder, code: int) -> None:  # type: ignore[no-untyped-def]
    settings, expected = built
    before = _live(settings.index_dir).name
    (settings.corpus_dir / "tug-boats.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    with pytest.raises(OSError) as failure:
        ingest(settings.corpus_dir, settings.index_dir, embedder, settings.chunking, FailingChroma(code))
    assert failure.value.errno == code
    assert _live(settings.index_dir).name == before
    check_consistent(settings, embedder, expected)
    report = build_index(settings, embedder)  # space is back: the next ingest completes
    assert "tug-boats.md" in report.added


def test_ingest_killed_before_the_switch_leaves_a_consistent_index(built, embedder) -> None:  # type: ignore[no-untyped-def]
    settings, expected = built
    (settings.corpus_dir / "tug-boats.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    run = subprocess.run(
        ingest_command(settings.corpus_dir, settings.index_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(BOT_TEST_CRASH_BEFORE_SWITCH="1"),
    )
    assert run.returncode == 99
    check_consistent(settings, embedder, expected)


def test_ingest_killed_mid_build_leaves_a_consistent_index(built, embedder) -> None:  # type: ignore[no-untyped-def]
    settings, expected = built
    (settings.corpus_dir / "tug-boats.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    builds_before = set(settings.index_dir.glob("build-*"))
    process = subprocess.Popen(
        ingest_command(settings.corpus_dir, settings.index_dir, "--rebuild"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=subprocess_env(),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(settings.index_dir.glob("build-*")) - builds_before:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)  # the new build folder exists: the kill lands while it is written
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    check_consistent(settings, embedder, expected)
    build_index(settings, embedder)  # the lock died with the process; the next ingest completes
    assert len(read_manifest(_live(settings.index_dir)).documents) == 4


# --- storage: two processes on one embedded index --------------------------------------------------------


def test_two_processes_read_one_embedded_index(built, embedder) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    expected = QuestionAnswerer.open(settings, embedder).ask(FIXED_QUESTIONS[0])
    command = [
        sys.executable,
        "-m",
        "bot",
        "ask",
        FIXED_QUESTIONS[0],
        "--json",
        "--corpus",
        str(settings.corpus_dir),
        "--index",
        str(settings.index_dir),
    ]
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env()
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        body = json.loads(out)
        assert body["answer"] == expected.text
        assert [c["passage_id"] for c in body["citations"]] == [c.passage_id for c in expected.citations]


def test_a_second_writer_gets_a_clear_error_not_a_hang(built) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    with ingest_lock(settings.index_dir):
        started = time.monotonic()
        run = subprocess.run(
            ingest_command(settings.corpus_dir, settings.index_dir),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=subprocess_env(),
        )
        with pytest.raises(IndexBusyError, match="another ingest"):
            build_index(settings, None, rebuild=True)  # type: ignore[arg-type]
    assert run.returncode == 1 and "another ingest is writing" in run.stderr
    assert time.monotonic() - started < 120


def test_the_app_switches_to_a_new_build_without_stopping(built, embedder) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    app_module.desk.configure(settings, lambda s, e=None: QuestionAnswerer.open(s, e or embedder))
    app_module.desk._reload_check_seconds = 0.0
    try:
        with TestClient(app_module.create_app(settings), raise_server_exceptions=False) as client:
            question = {"question": "What does the zarnoscope measure?"}
            assert client.post("/api/ask", json=question).json()["abstained"] is True
            (settings.corpus_dir / "tug-boats.md").write_text(NEW_DOCUMENT, encoding="utf-8")
            build_index(settings, embedder)
            body = client.post("/api/ask", json=question).json()
            assert "hull strain" in body["answer"] and client.get("/api/health").json()["documents"] == 4
    finally:
        app_module.desk.reset()
        app_module.desk._reload_check_seconds = 5.0


# --- the app killed while answering: no committed record is lost ------------------------------------------


def test_app_killed_mid_load_loses_no_record(built) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=subprocess_env(
            BOT_CORPUS_DIR=str(settings.corpus_dir),
            BOT_INDEX_DIR=str(settings.index_dir),
            BOT_RECORDS_PATH=str(settings.records_path),
        ),
    )
    url = f"http://127.0.0.1:{port}"
    answered: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        stop = threading.Event()

        def client() -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    try:
                        response = http.post(f"{url}/api/ask", json={"question": FIXED_QUESTIONS[0]})
                    except httpx.HTTPError:
                        return
                    if response.status_code == 200:
                        answered.append(response.json()["answer_id"])

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        while len(answered) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert len(answered) >= 40
    with sqlite3.connect(settings.records_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM answers")}
    assert set(answered) <= stored  # every answer a caller received was recorded
