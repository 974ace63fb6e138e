"""`python -m eval.bench`: speed and scale, as ratios measured side by side in one run (issue 9).

    python -m eval.bench                  # everything, under ten minutes on 2 cores; writes eval/bench/latest.*
    python -m eval.bench --quick          # small sizes, for a smoke test
    python -m eval.bench --full           # scale points embedded for real (a 100k build takes about an hour)
    python -m eval.bench --skip onnx,cold-start --out DIR

Every figure is set against a reference measured in the same process, in the same minutes: the ask
latency against the floor (one query embedding + a Chroma lookup + a BM25 lookup, taken turn about
with the asks), ingestion against bare `SentenceTransformer.encode` on the same passages, a re-ingest
against the full build it follows. Absolute figures are for context: on a shared machine they move.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings, load_settings
from eval.bench_ask import measure_asks
from eval.bench_report import machine_facts, targets, write_outputs
from eval.bench_sections import (
    measure_cold_start,
    measure_ingestion,
    measure_reingest,
    measure_scale,
)
from eval.questions import Question, load_questions

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "eval" / "bench"
SECTIONS = ("ingest", "onnx", "reingest", "ask", "peers", "scale", "cold-start")
log = logging.getLogger("eval.bench")


@dataclass(frozen=True)
class Plan:
    """What one run measures and how big."""

    corpus: Path
    questions: list[Question]
    work: Path  # temporary folder: derived documents and every index built here
    copies: int  # shuffled copies of each corpus document embedded for the ingestion figures
    sizes: tuple[int, ...]
    full: bool
    skip: frozenset[str]
    probe_questions: int

    def runs(self, section: str) -> bool:
        return section not in self.skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where latest.json, latest.md and the plot go")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="the seed corpus (default corpus/)")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--quick", action="store_true", help="small sizes and few questions (a smoke test)")
    parser.add_argument("--full", action="store_true", help="embed every scale point for real (slow)")
    parser.add_argument("--sizes", help="scale points, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--copies", type=int, help="copies of each document embedded for ingestion (default 8)")
    parser.add_argument("--skip", default="", help=f"sections to leave out: {','.join(SECTIONS)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpx2", "sentence_transformers", "chromadb", "bot", "bm25s", "llama_index", "eval.peers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    skip = frozenset(s.strip() for s in args.skip.split(",") if s.strip())
    unknown = skip - set(SECTIONS)
    if unknown:
        print(f"error: unknown section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
        return 2
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else ((300, 1000) if args.quick else (1000, 10_000, 100_000))
    )
    questions = load_questions(args.questions)
    work = Path(tempfile.mkdtemp(prefix="osh-bench-"))
    plan = Plan(
        args.corpus.resolve(),
        questions[:24] if args.quick else questions,
        work,
        args.copies or (1 if args.quick else 8),
        sizes,
        args.full,
        skip,
        12 if args.quick else len(questions),
    )
    try:
        results = run(plan)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    write_outputs(results, args.out)
    print((args.out / "latest.md").read_text(encoding="utf-8"))
    return 0


def run(plan: Plan) -> dict[str, Any]:
    """Every section the plan asks for, in an order that lets each reuse what the one before built."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine_facts(),
        "plan": {
            "questions": len(plan.questions),
            "copies": plan.copies,
            "sizes": list(plan.sizes),
            "full": plan.full,
            "skipped": sorted(plan.skip),
        },
    }
    from bot.embedding import MiniLMEmbedder
    from eval.bench_sections import default_threads

    default_threads()  # before the product sets any
    embedder = MiniLMEmbedder()
    settings = _seed_settings(plan)
    results["embedding_backend"] = settings.embedding.backend
    ingestion = None
    if any(plan.runs(section) for section in ("ingest", "onnx", "reingest", "scale")):
        log.info(
            "ingestion: %d copies of each document, torch%s", plan.copies, "" if not plan.runs("onnx") else " and ONNX"
        )
        ingestion = measure_ingestion(
            plan.corpus, plan.work, plan.copies, embedder, settings.chunking, with_onnx=plan.runs("onnx")
        )
        results["ingest"] = ingestion.figures
        ingestion.default_backend = settings.embedding.backend
    if plan.runs("reingest") and ingestion is not None:
        log.info("re-ingest of an unchanged corpus")
        results["reingest"] = measure_reingest(ingestion, embedder)
    if plan.runs("ask") or plan.runs("peers"):
        log.info("ask: %d questions, turn about with the floor", len(plan.questions))
        onnx_dir = ingestion.onnx_dir if ingestion else None
        results["ask"] = measure_asks(
            settings,
            plan.questions,
            embedder,
            with_api=plan.runs("ask"),
            with_peer=plan.runs("peers"),
            onnx_dir=onnx_dir,
        )
    if plan.runs("scale") and ingestion is not None:
        log.info("scale: %s passages%s", ", ".join(f"{n:,}" for n in plan.sizes), " (embedded)" if plan.full else "")
        results["scale"] = measure_scale(
            ingestion,
            plan.sizes,
            plan.work,
            plan.full,
            embedder,
            plan.corpus,
            plan.copies,
            _questions_file(plan),
            plan.probe_questions,
        )
    if plan.runs("cold-start"):
        log.info("cold start of python app.py")
        from bot.embedding import open_embedder

        open_embedder(settings.embedding)  # the ONNX export, made once, is part of the setup like the index
        if not (settings.index_dir / "CURRENT").is_file():
            from bot.service import build_index

            build_index(settings, embedder)
        asked = [q.question for q in plan.questions[: plan.probe_questions]]
        results["cold_start"] = measure_cold_start(settings, plan.work, asked)
    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results)
    return results


def _seed_settings(plan: Plan) -> Settings:
    return load_settings(
        environ={},
        corpus_dir=plan.corpus,
        index_dir=plan.work / "seed-index",
        records_path=plan.work / "records" / "records.sqlite3",
    )


def _questions_file(plan: Plan) -> Path:
    path = plan.work / "questions.jsonl"
    if not path.is_file():
        with path.open("w", encoding="utf-8") as handle:
            for question in plan.questions:
                handle.write(json.dumps({"id": question.id, "question": question.question}) + "\n")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
