"""`python -m bot ingest` killed with SIGKILL at random moments never leaves the live index broken.

Each run changes the corpus (or asks for --rebuild), starts the real CLI, and kills it at a moment drawn
from a seeded random generator: after a delay from the start, or a delay after its new build folder
appears, or once that build has its Chroma folder; one run stops itself between writing the manifest and
switching (the worst moment, which a timer rarely hits). After each kill the live index must answer from
the old or the new corpus, whole: the collection count equals the manifest's passage count and a fixed
question retrieves what a clean build of that corpus retrieves. The next ingest must finish the work and
clean up what the killed one left.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.embedding import MiniLMEmbedder
from bot.ingest import index_is_current
from bot.service import QuestionAnswerer, build_index
from bot.store import MANIFEST_FILE, IndexFolder, read_manifest
from tests.conftest import ROOT, SEED_CORPUS, TINY_CORPUS, settings_for

pytestmark = pytest.mark.slow

SEED = 20260424
QUESTION = "Who implements the OSH partnership?"
CHANGED_FILE = "embassy-denmark-dhaka-sector-cooperation.txt"
ADDED_LINE = "\nThe partners agreed to meet every quarter to review the inspection guidelines.\n"
# (how the run is stopped, seconds of delay drawn from this range, whether it re-embeds all instead of a change)
KILLS = [("timer", (2.0, 9.0), False), ("build folder", (0.0, 1.5), False), ("chroma folder", (0.0, 0.4), True),
         ("timer", (4.0, 12.0), False), ("build folder", (0.0, 0.8), False), ("before switch", (0.0, 0.0), False)]


@dataclass(frozen=True)
class Live:
    """What the live index holds and answers."""

    documents: dict[str, str]  # file → content hash
    top: tuple[str, ...]  # passage ids retrieved first for QUESTION


def _set_state(corpus: Path, state: str) -> None:
    """State "a" is the seed corpus; "b" has one file changed and the tiny collection added."""
    shutil.copy2(SEED_CORPUS / CHANGED_FILE, corpus / CHANGED_FILE)
    for name in ("harbour-cranes.txt", "river-ferries.md", "warehouse-page.html"):
        (corpus / name).unlink(missing_ok=True)
    if state == "b":
        with (corpus / CHANGED_FILE).open("a", encoding="utf-8") as handle:
            handle.write(ADDED_LINE)
        for name in ("harbour-cranes.txt", "river-ferries.md", "warehouse-page.html"):
            shutil.copy2(TINY_CORPUS / name, corpus / name)


def _live(settings, embedder: MiniLMEmbedder) -> Live:  # type: ignore[no-untyped-def]
    """Open the live index the way the app does and check it is whole."""
    answerer = QuestionAnswerer.open(settings, embedder)
    index = answerer.index
    manifest = index.manifest
    assert index.collection.count() == manifest.passage_count == len(index.passages)
    assert index.passage_vectors.shape[0] == manifest.passage_count
    assert index.sentence_vectors.shape[0] == sum(len(p.sentences) for p in index.passages)
    assert {p.doc_id for p in index.passages} == set(manifest.documents)
    top = tuple(c.passage_id for c in answerer.ask(QUESTION).retrieved[:3])
    return Live({doc: entry.content_hash for doc, entry in manifest.documents.items()}, top)


def _start_ingest(corpus: Path, index: Path, rebuild: bool, crash_before_switch: bool) -> subprocess.Popen[bytes]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BOT_")}
    if crash_before_switch:
        environment["BOT_TEST_CRASH_BEFORE_SWITCH"] = "1"
    command = [sys.executable, "-m", "bot", "ingest", "--corpus", str(corpus), "--index", str(index)]
    return subprocess.Popen(command + (["--rebuild"] if rebuild else []), cwd=ROOT, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition, process: subprocess.Popen[bytes], timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _new_builds(index: Path, before: set[str]) -> list[Path]:
    return [p for p in index.glob("build-*") if p.name not in before]


def _kill_at(process: subprocess.Popen[bytes], index: Path, how: str, delay: float) -> str:
    """Stop the ingest as `how` says; returns where it was when it stopped."""
    before = {p.name for p in index.glob("build-*")}
    if how == "build folder":
        _wait_for(lambda: _new_builds(index, before), process)
    elif how == "chroma folder":
        _wait_for(lambda: any((b / "chroma").exists() for b in _new_builds(index, before)), process)
    if how != "before switch":
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=300)
    builds = _new_builds(index, before)
    live = IndexFolder(index).current_build()
    if code == 0:
        return "finished before the kill"
    if not builds:
        return f"killed before writing (exit {code})"
    if live in builds:
        return f"killed after the switch (exit {code})"
    if all((b / MANIFEST_FILE).is_file() for b in builds):
        return f"stopped between manifest and switch (exit {code})"
    return f"killed while writing the build (exit {code})"


def test_killed_ingest_leaves_a_whole_index_and_the_next_ingest_finishes(
    embedder: MiniLMEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = settings_for(corpus, index, auto_ingest=False)
    expected: dict[str, Live] = {}
    for state in ("b", "a"):  # clean builds of both corpora: what each must answer
        _set_state(corpus, state)
        build_index(settings, embedder)
        expected[state] = _live(settings, embedder)
    assert expected["a"].documents != expected["b"].documents

    generator = random.Random(SEED)
    state, outcomes = "a", []
    for run, (how, (low, high), rebuild) in enumerate(KILLS):
        new_state = state if rebuild else ("b" if state == "a" else "a")
        _set_state(corpus, new_state)
        delay = generator.uniform(low, high)
        process = _start_ingest(corpus, index, rebuild, crash_before_switch=how == "before switch")
        outcome = _kill_at(process, index, how, delay)
        outcomes.append(f"run {run}: {'--rebuild' if rebuild else state + '→' + new_state}, {how} "
                        f"+{delay:.2f} s: {outcome}")

        live = _live(settings, embedder)  # whatever the moment, the live index is whole ...
        assert live in (expected[state], expected[new_state]), outcomes[-1]  # ... and is the old or the new one

        report = build_index(settings, embedder)  # the next ingest finishes the work
        assert index_is_current(corpus, index, embedder.model_id, settings.chunking)
        assert _live(settings, embedder) == expected[new_state], outcomes[-1]
        unfinished = [b for b in index.glob("build-*") if not (b / MANIFEST_FILE).is_file()]
        assert unfinished == [], (outcomes[-1], report.summary())
        current = IndexFolder(index).current_build()
        assert current is not None and read_manifest(current).passage_count == sum(
            1 for line in (current / "passages.jsonl").open(encoding="utf-8") if line.strip())
        state = new_state

    with capsys.disabled():
        print("\n" + "\n".join(outcomes))
    assert any("while writing" in o or "between manifest and switch" in o for o in outcomes), outcomes
