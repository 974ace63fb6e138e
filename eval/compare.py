"""Run several systems on the same questions and say how they differ, with bootstrap intervals."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.formatting import answer_to_json
from eval.metrics import reciprocal_rank, score_all
from eval.peers import System
from eval.questions import Question
from eval.stats import Interval, paired_bootstrap, unpaired_bootstrap
from eval.tables import in_split, markdown_table, splits_of

GAP_WARNING = 0.10  # a dev − test difference this large is flagged even when the interval is wide
WARM_UP = "What does the warm-up question ask?"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemRun:
    """One system's answers to the question set: the raw result lines and their scored records."""

    name: str
    description: str
    results: tuple[dict[str, Any], ...]
    records: tuple[dict[str, Any], ...]


def answer_questions(system: System, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """One result line per question: `id`, `question` and the fields of `ask --json` with `retrieved`."""
    system.ask(WARM_UP)  # the first call pays one-off costs that are not per-question latency
    return [_answer_one(system, q) for q in questions]


def _answer_one(system: System, question: Question) -> dict[str, Any]:
    """One result line; a question that makes the system fail is recorded as a failure, not the end of the run."""
    try:
        answer = system.ask(question.question)
    except Exception as error:  # noqa: BLE001 - one bad question must not lose the answers to all the others
        log.error("question %s failed: %s: %s", question.id, type(error).__name__, error)
        return {"id": question.id, "question": question.question, "answer": "", "abstained": True, "citations": [],
                "latency_ms": 0.0, "sentences": [], "reason": None, "related": [], "confidence": None,
                "retrieved": [], "error": f"{type(error).__name__}: {error}"}
    return {"id": question.id, "question": question.question, **answer_to_json(answer, with_retrieved=True)}


def run_system(system: System, questions: Sequence[Question]) -> SystemRun:
    results = answer_questions(system, questions)
    return SystemRun(system.name, system.description, tuple(results), tuple(score_all(questions, results)))


def records_by_system(runs: Sequence[SystemRun]) -> dict[str, Sequence[Mapping[str, Any]]]:
    return {run.name: run.records for run in runs}


def per_question(records: Sequence[Mapping[str, Any]], metric: str) -> dict[str, float]:
    """A per-question score the system-level metric averages: 'overall' (right or not) or 'mrr'."""
    if metric == "overall":
        return {r["id"]: float(r["correct"]) for r in records}
    if metric == "mrr":
        return {r["id"]: reciprocal_rank(r["retrieval_rank"]) for r in records if "retrieval_rank" in r}
    raise ValueError(f"no per-question score for {metric!r}; use 'overall' or 'mrr'")


def paired_difference(
    ours: Sequence[Mapping[str, Any]], theirs: Sequence[Mapping[str, Any]], metric: str, seed: int = 0
) -> Interval | None:
    """Ours − theirs on the questions both scored, with a paired bootstrap interval (None: nothing shared)."""
    mine, other = per_question(ours, metric), per_question(theirs, metric)
    shared = [qid for qid in mine if qid in other]
    if not shared:
        return None
    return paired_bootstrap([mine[q] for q in shared], [other[q] for q in shared], seed=seed)


def differences_table(runs: Sequence[SystemRun], metrics: Sequence[str] = ("overall", "mrr")) -> str:
    """Ours minus each peer, per split, as `+d [low, high]` (95% paired bootstrap; * = excludes 0)."""
    ours, peers = runs[0], runs[1:]
    rows = []
    for split in splits_of(list(ours.records)):
        for peer in peers:
            cells = []
            for metric in metrics:
                interval = paired_difference(
                    in_split(ours.records, split), in_split(peer.records, split), metric
                )
                cells.append(interval.describe() if interval else "–")
            rows.append([split, f"{ours.name} − {peer.name}", *cells])
    return markdown_table(["split", "difference", *(f"Δ {m}" for m in metrics)], rows)


def split_gap(records: Sequence[Mapping[str, Any]], metric: str = "overall") -> str | None:
    """A warning when the dev half scores clearly better than the held-out test half, else a note."""
    dev = [v for r, v in _scores(records, metric) if r["split"] == "dev"]
    test = [v for r, v in _scores(records, metric) if r["split"] == "test"]
    if not dev or not test:
        return None
    interval = unpaired_bootstrap(dev, test)
    text = f"dev − test {metric}: {interval.describe()} (dev {len(dev)}, test {len(test)} questions)"
    if interval.difference >= GAP_WARNING or (interval.excludes_zero and interval.difference > 0):
        return (
            "WARNING: the dev half scores better than the held-out test half; "
            + text
            + ": tuning may be fitting the dev questions"
        )
    return text


def _scores(records: Sequence[Mapping[str, Any]], metric: str) -> list[tuple[Mapping[str, Any], float]]:
    scores = per_question(records, metric)
    return [(r, scores[r["id"]]) for r in records if r["id"] in scores]
