"""The index side at 1k, 10k and 100k passages: build time, size on disk, and the serving process's cost.

`build_scaled_index` writes a real build (the product's `write_build`: passages, vectors, BM25, Chroma)
of derived passages; `serve_probe` starts a fresh Python process that opens it the way the app does
(`QuestionAnswerer.open`), asks questions, and reports its query latency and its peak resident memory:

    python -m eval.bench_scale --index DIR --questions eval/questions.jsonl --count 60
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store import BuildContents, ChromaConnector, IndexFolder, Manifest, write_build
from eval.bench_corpus import Derived, derive_passages
from eval.metrics import percentile


@dataclass(frozen=True)
class ScaleBuild:
    passages: int
    seconds: float  # writing the build: passages, vectors, BM25, Chroma (embedding not included)
    disk_bytes: int
    index_dir: Path


def build_scaled_index(
    real: Derived, count: int, root: Path, model_id: str, chunking: str, acronyms: dict[str, str]
) -> ScaleBuild:
    """A build of `count` passages derived from `real`, in `root`, made current."""
    derived = derive_passages(real, count)
    folder = IndexFolder(root)
    started = time.perf_counter()
    build = folder.new_build()
    documents: dict[str, Any] = {}
    for passage in derived.passages:
        documents.setdefault(passage.doc_id, 0)
        documents[passage.doc_id] += 1
    from bot.store import DocumentEntry

    manifest = Manifest(
        model_id=model_id,
        chunking=chunking,
        documents={doc: DocumentEntry(f"derived-{doc}", doc, n) for doc, n in documents.items()},
        passage_count=count,
        acronyms=acronyms,
        built_at=time.time(),
        build=build.name,
        collection=f"passages-{build.name}",
    )
    write_build(
        build,
        BuildContents(derived.passages, derived.passage_vectors, derived.sentence_vectors),
        manifest,
        ChromaConnector(),
    )
    folder.switch_to(build)
    seconds = time.perf_counter() - started
    return ScaleBuild(count, seconds, disk_usage(build), root)


def disk_usage(folder: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks, as `du` counts them)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def serve_probe(index_dir: Path, questions: Path, count: int, timeout: float = 600.0) -> dict[str, Any]:
    """Open the index in a fresh process as the app does, ask `count` questions; its figures as a dict."""
    command = [
        sys.executable,
        "-m",
        "eval.bench_scale",
        "--index",
        str(index_dir),
        "--questions",
        str(questions),
        "--count",
        str(count),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"serving probe failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _probe(index_dir: Path, questions: Path, count: int) -> dict[str, Any]:
    from bot.service import QuestionAnswerer
    from bot.settings import load_settings
    from eval.questions import load_questions

    started = time.perf_counter()
    settings = load_settings(environ={}, index_dir=index_dir, corpus_dir=index_dir / "no-corpus", auto_ingest=False)
    service = QuestionAnswerer.open(settings)
    opened = time.perf_counter() - started
    asked = [q.question for q in load_questions(questions)][:count]
    service.ask("What does the warm-up question ask?")  # one-off costs: caches, first BM25 typo table
    latencies = []
    for question in asked:
        began = time.perf_counter()
        service.ask(question)
        latencies.append((time.perf_counter() - began) * 1000)
    peak = peak_memory_bytes()
    resident = resident_memory_bytes()
    return {
        "open_seconds": round(opened, 2),
        "questions": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "peak_rss_bytes": peak,
        "anonymous_bytes_at_end": resident.get("RssAnon"),
        "file_backed_bytes_at_end": resident.get("RssFile"),
    }


def peak_memory_bytes() -> int:
    """This process's peak resident memory (VmHWM). Not `getrusage`: on Linux its ru_maxrss keeps the parent's
    size from before `exec`, so a child of a big benchmark process would report the benchmark's memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux: the best there is


def resident_memory_bytes() -> dict[str, int]:
    """RssAnon (the process's own memory) and RssFile (mapped files: the index's vectors, the model's weights,
    libraries; page cache the kernel can drop) now."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return {}
    return {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in status.read_text().splitlines()
        if line.startswith(("RssAnon:", "RssFile:"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(_probe(args.index, args.questions, args.count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
