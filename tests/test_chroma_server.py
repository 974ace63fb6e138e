"""Chroma as a server: a real `chroma run` on a loopback port; ingest, answer, lose it (503) and recover."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import app as app_module
from bot.service import QuestionAnswerer, build_index
from tests.conftest import ROOT, settings_for
from tests.serving import records_path

pytestmark = pytest.mark.slow
CHROMA = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "chroma"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port P`, started and stopped by the test."""

    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"chroma run did not answer on port {self.port} within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.fail(f"{CHROMA} is missing; `make setup` installs chromadb, which provides it")
    server = ChromaServer(tmp_path / "chroma-data", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_ingest_and_answer_through_a_chroma_server(
    embedder,
    tiny_corpus: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    chroma_server: ChromaServer,
) -> None:
    environ = {"BOT_CHROMA_HOST": "127.0.0.1", "BOT_CHROMA_PORT": str(chroma_server.port)}
    from bot.settings import load_settings

    settings = load_settings(
        environ=environ,
        corpus_dir=tiny_corpus,
        index_dir=tmp_path / "index",
        records_path=records_path(tmp_path),
        auto_ingest=False,
    )
    assert settings.chroma_host == "127.0.0.1"
    report = build_index(settings, embedder)
    assert report.passages > 0
    assert not (tmp_path / "index" / report.build / "chroma").exists()  # the vectors went to the server
    listed = httpx.get(
        f"http://127.0.0.1:{chroma_server.port}/api/v2/tenants/default_tenant/databases/"
        "default_database/collections"
    ).json()
    assert [c["name"] for c in listed] == [f"passages-{report.build}"]

    app_module.desk.configure(settings, lambda s, e=None: QuestionAnswerer.open(s, e or embedder))
    try:
        with TestClient(app_module.create_app(settings), raise_server_exceptions=False) as client:
            body = client.post("/api/ask", json={"question": "What does the quillometer count?"}).json()
            assert "passengers" in body["answer"] and body["citations"][0]["source"] == "river-ferries.md"

            chroma_server.stop()
            down = client.post("/api/ask", json={"question": "What does the quillometer count?"})
            assert down.status_code == 503
            assert f"Chroma server at 127.0.0.1:{chroma_server.port} does not answer" in down.json()["detail"]

            chroma_server.start()
            time.sleep(0.5)
            back = client.post("/api/ask", json={"question": "What does the quillometer count?"})
            assert back.status_code == 200 and "passengers" in back.json()["answer"]
    finally:
        app_module.desk.reset()


def test_app_started_while_the_server_is_down_recovers(
    embedder,
    tiny_corpus: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    chroma_server: ChromaServer,
) -> None:
    settings = settings_for(
        tiny_corpus,
        tmp_path / "index",
        records_path=records_path(tmp_path),
        chroma_host="127.0.0.1",
        chroma_port=chroma_server.port,
        auto_ingest=False,
    )
    build_index(settings, embedder)
    chroma_server.stop()
    app_module.desk.configure(settings, lambda s, e=None: QuestionAnswerer.open(s, e or embedder))
    app_module.desk._retry_seconds = 0.0
    try:
        with TestClient(app_module.create_app(settings), raise_server_exceptions=False) as client:
            health = client.get("/api/health")
            assert health.status_code == 503 and health.json()["ready"] is False
            assert "does not answer" in health.json()["detail"] and "chroma run" in health.json()["detail"]
            assert (
                client.post("/api/ask", json={"question": "What does the quillometer count?"}).status_code
                == 503
            )
            chroma_server.start()
            assert client.get("/api/health").json()["ready"] is True
            body = client.post("/api/ask", json={"question": "What does the quillometer count?"}).json()
            assert "passengers" in body["answer"]
    finally:
        app_module.desk.reset()
        app_module.desk._retry_seconds = 2.0
