"""Choosing the abstention threshold (`answer.min_confidence`) on the dev half, the SQuAD 2.0 way.

The product answers when its evidence score (`confidence`) is at least the threshold and refuses
otherwise. Run once with the threshold at 0 (every question answered, each with its confidence), and the
outcome at any threshold follows without running again: an answerable question is right when it is
answered and holds every required part, an unanswerable one when it is refused. The threshold with the
best share of right questions on the dev half is chosen; the test half only measures it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.metrics import contains_all_parts
from eval.questions import Question


@dataclass(frozen=True)
class RefusalPoint:
    """One question as the threshold sees it."""

    question_id: str
    confidence: float | None  # None: refused before any evidence was scored (e.g. an invalid question)
    answerable: bool
    right_if_answered: bool  # for an answerable question: the unrefused answer holds every part


@dataclass(frozen=True)
class ThresholdScore:
    threshold: float
    overall: float  # share of all questions right
    has_ans: float  # share of answerable questions answered with every part (NaN without any)
    no_ans: float  # share of unanswerable questions refused (NaN without any)


@dataclass(frozen=True)
class Calibration:
    best: ThresholdScore
    curve: tuple[
        ThresholdScore, ...
    ]  # at 0, every distinct confidence and above the highest (a step function)
    questions: int


def refusal_points(questions: Sequence[Question], results: Sequence[Mapping[str, Any]]) -> list[RefusalPoint]:
    """Points from results of a run that never refused for weak evidence (threshold 0)."""
    by_id = {r["id"]: r for r in results}
    points = []
    for question in questions:
        result = by_id.get(question.id)
        if result is None or not question.graded:
            continue
        confidence = result.get("confidence")
        usable = isinstance(confidence, int | float) and not result.get("abstained")
        right = (not question.abstain) and contains_all_parts(
            str(result.get("answer", "")), question.answer_parts
        )
        points.append(
            RefusalPoint(
                question.id,
                float(confidence) if usable else None,  # type: ignore[arg-type]
                not question.abstain,
                right,
            )
        )
    return points


def score_at(points: Sequence[RefusalPoint], threshold: float) -> ThresholdScore:
    """The outcome if the product refused every answer whose confidence is below `threshold`."""

    def answered(point: RefusalPoint) -> bool:
        return point.confidence is not None and point.confidence >= threshold

    answerable = [p for p in points if p.answerable]
    unanswerable = [p for p in points if not p.answerable]
    right_answerable = sum(1 for p in answerable if answered(p) and p.right_if_answered)
    right_unanswerable = sum(1 for p in unanswerable if not answered(p))
    return ThresholdScore(
        threshold=threshold,
        overall=(right_answerable + right_unanswerable) / len(points) if points else math.nan,
        has_ans=right_answerable / len(answerable) if answerable else math.nan,
        no_ans=right_unanswerable / len(unanswerable) if unanswerable else math.nan,
    )


def curve_thresholds(points: Sequence[RefusalPoint]) -> list[float]:
    """0, every distinct confidence, and one step above the highest: where the outcome can change.

    A threshold anywhere in (c_k, c_k+1] gives the outcome of c_k+1, so the score is a step function.
    """
    levels = sorted({p.confidence for p in points if p.confidence is not None})
    return [0.0, *levels, _ceil4(levels[-1] + 0.0001)] if levels else [0.0]


def choose_threshold(points: Sequence[RefusalPoint]) -> Calibration:
    """The threshold with the best overall score: the middle of the widest range of thresholds reaching it.

    Any threshold inside a flat stretch of the curve scores the same on these questions; its middle leaves
    the most room on both sides for questions that were not seen. Example: if everything at or below
    0.62 ties for best, 0.31 is chosen, not 0.
    """
    if not points:
        raise ValueError("no graded questions to calibrate on; check --questions and --split")
    edges = curve_thresholds(points)
    curve = tuple(score_at(points, t) for t in edges)
    # band k holds the thresholds (edges[k], edges[k+1]] (from 0 inclusive for the first); its score is
    # that of its upper edge
    bands = [(edges[k], edges[k + 1], curve[k + 1]) for k in range(len(edges) - 1)] or [(0.0, 0.0, curve[0])]
    best_value = max(band[2].overall for band in bands)
    runs: list[tuple[float, float]] = []
    previous_best = False
    for low, high, score in bands:
        is_best = math.isclose(score.overall, best_value)
        if is_best and previous_best:
            runs[-1] = (runs[-1][0], high)
        elif is_best:
            runs.append((low, high))
        previous_best = is_best
    low, high = max(runs, key=lambda run: run[1] - run[0])  # the first of equally wide ones
    threshold = _inside(round((low + high) / 2, 4), low, high)
    return Calibration(best=score_at(points, threshold), curve=curve, questions=len(points))


def _inside(value: float, low: float, high: float) -> float:
    """`value` moved onto the 4-decimal grid inside (low, high] (or [0, high] when low is 0)."""
    if value > high:
        return math.floor(round(high * 10_000, 6)) / 10_000
    if value <= low and low > 0:
        return _ceil4(low + 0.00005)
    return value


def simulated_refusals(points: Sequence[RefusalPoint], threshold: float) -> dict[str, bool]:
    """Which questions would be refused at `threshold`: compared with a real run, it checks the method."""
    return {p.question_id: not (p.confidence is not None and p.confidence >= threshold) for p in points}


def _ceil4(value: float) -> float:
    return math.ceil(round(value * 10_000, 6)) / 10_000


@dataclass(frozen=True)
class ThresholdStudy:
    """The chosen threshold (on dev) beside the current one, both measured on dev and test."""

    chosen: Calibration  # on the dev half
    current_threshold: float
    dev_at_current: ThresholdScore
    test_at_chosen: ThresholdScore | None  # None when the run had no test questions
    test_at_current: ThresholdScore | None
    test_curve: tuple[ThresholdScore, ...]
    mismatched: tuple[str, ...] | None  # questions whose real refusal differs from the simulated one

    def describe(self) -> str:
        best = self.chosen.best
        lines = [
            f"answer.min_confidence chosen on dev ({self.chosen.questions} questions): {best.threshold:.4f}",
            "",
            "| threshold | split | overall | has-ans | no-ans |",
            "|---|---|---|---|---|",
        ]
        rows = [
            ("chosen", best.threshold, "dev", best),
            ("chosen", best.threshold, "test", self.test_at_chosen),
            ("current", self.current_threshold, "dev", self.dev_at_current),
            ("current", self.current_threshold, "test", self.test_at_current),
        ]
        for label, value, split, score in rows:
            if score is not None:
                lines.append(
                    f"| {label} {value:.4f} | {split} | {score.overall:.2f} | {score.has_ans:.2f} | "
                    f"{score.no_ans:.2f} |"
                )
        if self.mismatched is not None:
            lines.append("")
            lines.append(
                "check: at the current threshold the simulation reproduces the real run's refusals"
                if not self.mismatched
                else "check FAILED: simulated refusals differ from the real run on "
                f"{', '.join(self.mismatched)}; "
                "the answerer no longer refuses by the confidence threshold alone"
            )
        return "\n".join(lines)


def study_thresholds(
    questions: Sequence[Question],
    zero_threshold_results: Sequence[Mapping[str, Any]],
    current_threshold: float,
    real_results: Sequence[Mapping[str, Any]] | None = None,
) -> ThresholdStudy:
    """Choose on dev from a run at threshold 0; measure on test; check against a real run when given."""
    points = refusal_points(questions, zero_threshold_results)
    split_of = {q.id: q.split for q in questions}
    dev = [p for p in points if split_of[p.question_id] == "dev"]
    test = [p for p in points if split_of[p.question_id] == "test"]
    if not dev:
        raise ValueError("no graded dev questions to calibrate on; the question file needs a 'dev' split")
    chosen = choose_threshold(dev)
    mismatched = None
    if real_results is not None:
        simulated = simulated_refusals(points, current_threshold)
        real = {r["id"]: bool(r.get("abstained")) for r in real_results}
        mismatched = tuple(qid for qid, refused in simulated.items() if qid in real and real[qid] != refused)
    return ThresholdStudy(
        chosen=chosen,
        current_threshold=current_threshold,
        dev_at_current=score_at(dev, current_threshold),
        test_at_chosen=score_at(test, chosen.best.threshold) if test else None,
        test_at_current=score_at(test, current_threshold) if test else None,
        test_curve=tuple(score_at(test, t) for t in curve_thresholds(test)) if test else (),
        mismatched=mismatched,
    )
