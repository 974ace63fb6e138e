"""A bounded load test on loopback: 50 concurrent callers, 4,000 questions, an ingest in the middle.

It stops by itself (request count and a deadline), prints throughput, p50/p95/p99 latency and errors, and
writes out/load-report.json. The bar: 0 errors, every answer recorded, the new build picked up.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from bot.service import QuestionAnswerer
from tests.conftest import ROOT, SEED_CORPUS
from tests.serving import ingest_command, subprocess_env

pytestmark = pytest.mark.slow
CLIENTS = 50
REQUESTS = 4000
DEADLINE_SECONDS = 300
QUESTIONS = (
    "Who implements the OSH partnership?",
    "How many inspections were conducted in Dhaka?",
    "Which countries fund the Advancing Decent Work project?",
    "When did the Improving Fire and General Building Safety project end?",
    "What is the One Health approach?",
    "What is the budget of the Labour Act help line?",
    "When was Bangladesh's first OSH profile launched?",
    "What does DIFE stand for?",
)
NEW_DOCUMENT = (
    "# Boiler inspections\n\nThe boiler inspectorate checks every textile boiler once a year with a "
    "quorvex gauge. Quorvex readings above the limit stop the boiler until it is repaired.\n"
)


@pytest.fixture()
def served(seed_answerer: QuestionAnswerer, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`python app.py` on loopback over a copy of the seed corpus and its built index."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    shutil.copytree(seed_answerer.settings.index_dir, index)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = subprocess_env(
        BOT_CORPUS_DIR=str(corpus), BOT_INDEX_DIR=str(index), BOT_RECORDS_PATH=str(tmp_path / "records.sqlite3")
    )
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "app.log").read_text()
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url, corpus, index, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


async def run_load(url: str, on_quarter: asyncio.Event) -> dict[str, object]:
    latencies: list[float] = []
    errors: list[str] = []
    answer_ids: list[str] = []
    issued = 0
    stop_at = time.monotonic() + DEADLINE_SECONDS

    async def caller(number: int, http: httpx.AsyncClient) -> None:
        nonlocal issued
        conversation: str | None = None
        while issued < REQUESTS and time.monotonic() < stop_at:
            issued += 1
            if issued == REQUESTS // 4:
                on_quarter.set()
            turn = issued % 10
            body: dict[str, object] = {
                "question": QUESTIONS[issued % len(QUESTIONS)],
                "form": "speakable" if turn % 3 == 0 else "chat",
            }
            if turn == 9 and conversation:
                body = {"question": "and when did it end?", "conversation_id": conversation}
            started = time.perf_counter()
            try:
                response = await http.post(f"{url}/api/ask", json=body)
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.text[:200]}")
                continue
            reply = response.json()
            conversation = reply["conversation_id"]
            answer_ids.append(reply["answer_id"])

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await asyncio.gather(*(caller(n, http) for n in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    values = np.array(latencies) if latencies else np.zeros(1)
    return {
        "clients": CLIENTS,
        "requests": len(latencies) + sum(1 for e in errors if not e[:3].isdigit()),
        "seconds": round(elapsed, 1),
        "throughput_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "errors": len(errors),
        "first_errors": errors[:5],
        "answer_ids": answer_ids,
    }


def test_load_with_an_ingest_in_the_middle(served) -> None:  # type: ignore[no-untyped-def]
    url, corpus, index, folder = served

    async def scenario() -> tuple[dict[str, object], int]:
        quarter = asyncio.Event()

        async def ingest_when_a_quarter_is_done() -> int:
            await quarter.wait()
            (corpus / "boiler-inspections.md").write_text(NEW_DOCUMENT, encoding="utf-8")
            process = await asyncio.create_subprocess_exec(
                *ingest_command(corpus, index),
                cwd=ROOT,
                env=subprocess_env(),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            return await process.wait()

        load, ingest_code = await asyncio.gather(run_load(url, quarter), ingest_when_a_quarter_is_done())
        return load, ingest_code

    report, ingest_code = asyncio.run(scenario())
    answer_ids = report.pop("answer_ids")
    with sqlite3.connect(folder / "records.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM answers")}
    report["answers_recorded"] = len(stored)
    report["answers_lost"] = len(set(answer_ids) - stored)  # type: ignore[arg-type]
    report["ingest_exit_code"] = ingest_code
    time.sleep(5.5)  # the app looks for a new build every 5 s
    report["documents_after_ingest"] = httpx.get(f"{url}/api/health", timeout=30).json()["documents"]
    print("\nload report: " + json.dumps(report))
    (ROOT / "out").mkdir(exist_ok=True)
    (ROOT / "out" / "load-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    assert report["errors"] == 0, report["first_errors"]
    assert report["requests"] == REQUESTS
    assert report["answers_lost"] == 0 and ingest_code == 0
    assert report["documents_after_ingest"] == 4
    answer = httpx.post(f"{url}/api/ask", json={"question": "What does the quorvex gauge check?"}, timeout=30).json()
    assert "boiler" in answer["answer"]
