"""`python -m eval`: answer every question of a file, write one JSON line each, print the metrics."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.formatting import answer_to_json
from bot.settings import Settings, load_settings
from eval.metrics import score_result, summarise
from eval.questions import Question, QuestionFileError, load_questions

DEFAULT_QUESTIONS = Path("eval/questions.jsonl")
TABLE_COLUMNS = (
    ("n", "questions", "{:.0f}"),
    ("parts", "all_parts", "{:.2f}"),
    ("gold", "gold_cited", "{:.2f}"),
    ("first", "gold_first", "{:.2f}"),
    ("refuse", "unanswerable_refused", "{:.2f}"),
    ("wrong-ref", "answerable_refused", "{:.2f}"),
    ("grounded", "grounded", "{:.2f}"),
    ("words", "median_words", "{:.0f}"),
    ("p50 ms", "latency_p50_ms", "{:.1f}"),
    ("p95 ms", "latency_p95_ms", "{:.1f}"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Run the question set and score it.")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSON-lines question file")
    parser.add_argument("--out", type=Path, default=Path("out/results.jsonl"), help="where results are written")
    parser.add_argument("--corpus", type=Path, help="build the index from this folder first")
    parser.add_argument("--index", type=Path, help="index folder (default: index/, or beside --out with --corpus)")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all", help="which questions to run")
    return parser


def run_questions(settings: Settings, questions: Sequence[Question], ingest_first: bool) -> list[dict[str, Any]]:
    """Answer each question with the real service; the results keep the CLI's `--json` fields."""
    from bot.embedding import MiniLMEmbedder
    from bot.service import QuestionAnswerer, build_index

    embedder = MiniLMEmbedder()
    if ingest_first:
        logging.getLogger(__name__).info(build_index(settings, embedder).summary())
    answerer = QuestionAnswerer.open(settings, embedder)
    answerer.ask("warm-up question")  # the first call pays one-off costs that are not per-question latency
    results = []
    for question in questions:
        answer = answerer.ask(question.question)
        results.append({"id": question.id, "question": question.question, **answer_to_json(answer, with_retrieved=True)})
    return results


def write_results(path: Path, results: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")


def metrics_table(questions: Sequence[Question], results: Sequence[Mapping[str, Any]]) -> str:
    """Per-category and overall metrics for each split, as a Markdown table."""
    by_id = {r["id"]: r for r in results}
    records = [score_result(q, by_id[q.id]) for q in questions if q.graded and q.id in by_id]
    if not records:
        latencies = summarise([{"abstain_expected": False, "abstained": False, "latency_ms": r["latency_ms"],
                                "answer_words": 0, "grounded": True, "all_parts": False} for r in results])
        return f"{len(results)} questions answered (no answer keys to score); p50 {latencies['latency_p50_ms']:.1f} ms"
    header = "| split | category | " + " | ".join(name for name, _, _ in TABLE_COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(TABLE_COLUMNS) + 2)]
    splits = sorted({r["split"] for r in records})
    for split in [*splits, "all"] if len(splits) > 1 else splits:
        chosen = [r for r in records if split == "all" or r["split"] == split]
        categories = sorted({r["category"] for r in chosen})
        for category in [*categories, "ALL"]:
            subset = [r for r in chosen if category == "ALL" or r["category"] == category]
            summary = summarise(subset)
            cells = [_cell(fmt, summary[key]) for _, key, fmt in TABLE_COLUMNS]
            lines.append(f"| {split} | {category} | " + " | ".join(cells) + " |")
    failed = [r["id"] for r in records if not r["abstain_expected"] and not r["all_parts"]]
    bad_refusals = [r["id"] for r in records if r["abstain_expected"] and not r["abstained"]]
    ungrounded = [r["id"] for r in records if not r["grounded"]]
    lines.append("")
    lines.append(f"missing parts: {', '.join(failed) or 'none'}")
    lines.append(f"unanswerable but answered: {', '.join(bad_refusals) or 'none'}")
    lines.append(f"not grounded: {', '.join(ungrounded) or 'none'}")
    return "\n".join(lines)


def _cell(fmt: str, value: float) -> str:
    return "–" if isinstance(value, float) and math.isnan(value) else fmt.format(value)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        questions = load_questions(args.questions)
        if args.split != "all":
            questions = [q for q in questions if q.split == args.split]
        index = args.index or (args.out.parent / f"index-{args.corpus.name}" if args.corpus else None)
        settings = load_settings(args.config, corpus_dir=args.corpus, index_dir=index)
        results = run_questions(settings, questions, ingest_first=args.corpus is not None)
    except (BotError, QuestionFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_results(args.out, results)
    print(metrics_table(questions, results))
    print(f"\nresults written to {args.out}")
    return 0
