"""`python -m eval`: answer every question of a file, write one JSON line each, print the metrics.

python -m eval --questions FILE --out FILE [--split dev|test] [--corpus DIR --index DIR]
python -m eval --compare [--systems ours,bm25,dense,llama-index] [--report DIR]
python -m eval --calibrate          # choose answer.min_confidence on the dev half
python -m eval --gate               # fail (exit 1) when a metric falls below eval/baseline.json
python -m eval --update-baseline    # rewrite eval/baseline.json from a fresh run (commit it deliberately)
python -m eval --from-feedback FILE # flagged answers → candidate question lines for review
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.settings import Settings, load_settings
from eval.calibrate import ThresholdStudy
from eval.compare import (
    SystemRun,
    answer_questions,
    differences_table,
    records_by_system,
    run_system,
    split_gap,
)
from eval.errors import EvalError
from eval.metrics import score_all
from eval.peers import SYSTEM_NAMES, open_systems, product_system
from eval.questions import Question, load_questions
from eval.tables import LEGEND, category_table, failure_lists, system_table

DEFAULT_QUESTIONS = Path("eval/questions.jsonl")
DEFAULT_RESULTS = Path("out/results.jsonl")
DEFAULT_CANDIDATES = Path("out/feedback-candidates.jsonl")
log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    from eval.gate import DEFAULT_BASELINE

    parser = argparse.ArgumentParser(prog="python -m eval", description="Run the question set and score it.")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSON-lines question file")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where results are written (default {DEFAULT_RESULTS}; "
        f"with --from-feedback, the candidates: {DEFAULT_CANDIDATES})",
    )
    parser.add_argument("--corpus", type=Path, help="build the index from this folder first")
    parser.add_argument(
        "--index", type=Path, help="index folder (default: index/, or beside --out with --corpus)"
    )
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument(
        "--split", choices=("dev", "test", "all"), default="all", help="which questions to run"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="run the peers on the same questions too and print one table of all systems",
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEM_NAMES),
        help=f"systems for --compare, comma-separated (default {','.join(SYSTEM_NAMES)})",
    )
    parser.add_argument("--report", type=Path, metavar="DIR", help="write report.md and PNG plots into DIR")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="baseline file of the gate")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads while measuring (default 1: on a shared 2-core machine two threads wait on each "
        "other and a 15 ms query can take 500 ms; 0 leaves torch's default, as the product runs)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--calibrate",
        action="store_true",
        help="choose answer.min_confidence on the dev half by the best SQuAD 2.0 overall score",
    )
    action.add_argument("--gate", action="store_true", help="exit 1 when a metric falls below the baseline")
    action.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite the baseline from a fresh run (a deliberate act: commit it saying why)",
    )
    action.add_argument(
        "--from-feedback",
        type=Path,
        metavar="FILE",
        help="exported feedback (JSON lines) → candidate question lines for review",
    )
    return parser


def run_questions(
    settings: Settings, questions: Sequence[Question], ingest_first: bool
) -> list[dict[str, Any]]:
    """Answer each question with the real service; the results keep the CLI's `--json` fields."""
    from bot.embedding import open_embedder
    from bot.service import build_index

    embedder = open_embedder(settings.embedding)
    if ingest_first:
        log.info(build_index(settings, embedder).summary())
    return answer_questions(product_system("ours", settings, embedder), questions)


def write_results(path: Path, results: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")


def metrics_table(questions: Sequence[Question], results: Sequence[Mapping[str, Any]]) -> str:
    """Per-category and overall metrics for each split, as a Markdown table, and the failing ids."""
    records = score_all(questions, results)
    if not records:
        return f"{len(results)} questions answered (no answer keys to score)"
    return category_table(records) + "\n\n" + failure_lists(records)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return _dispatch(args)
    except (BotError, EvalError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.from_feedback:
        return _from_feedback(args)
    _pin_threads(args.torch_threads)
    questions = load_questions(args.questions, warn=lambda message: print(f"warning: {message}", file=sys.stderr))
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    out: Path = args.out or DEFAULT_RESULTS
    index = args.index or (out.parent / f"index-{args.corpus.name}" if args.corpus else None)
    # An index named without its corpus is answered from as it is, never rebuilt from ./corpus behind its back.
    auto_ingest = False if args.index is not None and args.corpus is None else None
    settings = load_settings(args.config, corpus_dir=args.corpus, index_dir=index, auto_ingest=auto_ingest)
    embedder = _embedder(settings)
    if args.corpus is not None:
        from bot.service import build_index

        log.info(build_index(settings, embedder).summary())
    if args.calibrate:
        return _calibrate(settings, embedder, questions)
    if args.update_baseline or args.gate:
        return _baseline(args, settings, embedder, questions)
    names = [n.strip() for n in args.systems.split(",") if n.strip()] if args.compare else ["ours"]
    if names[0] != "ours":
        names = ["ours", *[n for n in names if n != "ours"]]
    systems = open_systems(names, settings, embedder, make_embedder=lambda: _embedder(settings))
    runs = []
    for system in systems:
        log.info("answering %d questions with %s", len(questions), system.name)
        runs.append(run_system(system, questions))
    write_results(out, runs[0].results)
    for run in runs[1:]:
        write_results(out.with_name(f"{out.stem}.{run.name}{out.suffix}"), run.results)
    if args.compare:
        print(system_table(records_by_system(runs)) + "\n\n" + LEGEND)
        if len(runs) > 1:
            print("\nours minus each peer (95% paired bootstrap; * = interval excludes 0):\n")
            print(differences_table(runs))
    else:
        print(metrics_table(questions, runs[0].results))
    gap = split_gap(runs[0].records)
    if gap:
        print("\n" + gap)
    print(
        f"\nresults written to {out}"
        + (f" (peers beside it as {out.stem}.<system>{out.suffix})" if len(runs) > 1 else "")
    )
    if args.report:
        study = _study(settings, embedder, questions, runs[0])
        path = _write_report(args.report, questions, runs, study, settings, args.torch_threads)
        print(f"report written to {path}")
    return 0


def _pin_threads(count: int) -> None:
    if count > 0:
        import torch

        torch.set_num_threads(count)


def _embedder(settings: Settings) -> Any:
    from bot.embedding import open_embedder

    return open_embedder(settings.embedding)


def _zero_threshold(settings: Settings) -> Settings:
    """The same product answering every question (the threshold at 0), each answer with its confidence."""
    return settings.model_copy(update={"answer": settings.answer.model_copy(update={"min_confidence": 0.0})})


def _study(
    settings: Settings, embedder: Any, questions: Sequence[Question], ours: SystemRun | None
) -> ThresholdStudy | None:
    from eval.calibrate import study_thresholds

    if not any(q.split == "dev" and q.graded for q in questions):
        log.warning("no graded dev questions: the refusal threshold is not studied")
        return None
    zero = answer_questions(product_system("ours", _zero_threshold(settings), embedder), questions)
    return study_thresholds(
        questions, zero, settings.answer.min_confidence, list(ours.results) if ours else None
    )


def _calibrate(settings: Settings, embedder: Any, questions: Sequence[Question]) -> int:
    ours = run_system(product_system("ours", settings, embedder), questions)
    study = _study(settings, embedder, questions, ours)
    if study is None:
        raise EvalError('calibration needs graded questions with "split": "dev"; run it on the whole file')
    print(study.describe())
    print(
        f"\nanswer.min_confidence = {study.chosen.best.threshold:.4f}  (freeze it in bot/settings.py "
        "or bot.toml; measure test with it, never tune on test)"
    )
    return 0


def _baseline(
    args: argparse.Namespace, settings: Settings, embedder: Any, questions: Sequence[Question]
) -> int:
    from eval.gate import baseline_payload, check_gate, fastest_of, read_baseline, unstable, write_baseline

    run = run_system(product_system("ours", settings, embedder), questions)
    if args.update_baseline:
        # twice, each question's latency the faster: the baseline should not record a busy moment
        again = run_system(product_system("ours", settings, _embedder(settings)), questions)
        changing = unstable(run.records, again.records)
        if changing:
            raise EvalError(
                f"two runs disagree on {', '.join(changing)}: the product is not deterministic, so "
                "a baseline would make the gate flaky; fix that first"
            )
        records = fastest_of(run.records, again.records)
        about = {
            "questions_file": args.questions.as_posix(),
            "model": embedder.model_id,
            "retrieval": settings.retrieval.model_dump(mode="json"),
            "answer": settings.answer.model_dump(mode="json"),
            "chunking": settings.chunking.model_dump(mode="json"),
            "latency": "per question, the faster of two runs",
        }
        write_baseline(args.baseline, baseline_payload(questions, records, about))
        print(system_table({"ours": records}))
        print(f"\nbaseline written to {args.baseline}: review the diff and commit it saying why it changed")
        return 0
    baseline = read_baseline(args.baseline)
    result = check_gate(baseline, questions, run.records)
    if result.latency_only:
        log.info("only latency regressed; measuring once more to tell a slow machine from slow code")
        again = run_system(product_system("ours", settings, _embedder(settings)), questions)
        result = check_gate(baseline, questions, fastest_of(run.records, again.records))
    print(result.report())
    return 0 if result.passed else 1


def _write_report(
    out_dir: Path,
    questions: Sequence[Question],
    runs: Sequence[SystemRun],
    study: ThresholdStudy | None,
    settings: Settings,
    torch_threads: int,
) -> Path:
    from eval.report import write_report

    note = (
        f"Retrieval {settings.retrieval.mode}, top {settings.retrieval.top_k}; refusal threshold "
        f"answer.min_confidence = {settings.answer.min_confidence:.2f}. Latency measured with "
        f"{torch_threads or 'the default number of'} torch thread(s) on this machine."
    )
    return write_report(out_dir, questions, runs, study, note)


def _from_feedback(args: argparse.Namespace) -> int:
    from eval.feedback import candidate_questions, read_feedback, write_candidates

    existing = load_questions(args.questions) if args.questions.is_file() else []
    candidates = candidate_questions(read_feedback(args.from_feedback), existing)
    out = args.out or DEFAULT_CANDIDATES
    write_candidates(out, candidates.lines)
    print(
        f"{len(candidates.lines)} candidate questions written to {out} for review "
        f"({candidates.not_flagged} records with other verdicts left out)"
    )
    if candidates.already_asked:
        print(f"flagged again, already in {args.questions}: {', '.join(candidates.already_asked)}")
    return 0
