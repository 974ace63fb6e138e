"""The gate: today's scores on the question set may not fall below the committed baseline.

`eval/baseline.json` keeps, for every question, what the product got right when the baseline was taken
(and a fingerprint of the question). The gate scores a new run, compares each metric on the questions
both runs share, per split, and names the questions that got worse. Only latency has a tolerance (the
machine is shared). Raising the baseline is a deliberate act: `python -m eval --update-baseline`, then
commit the file with a message that says why.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.errors import BaselineError
from eval.metrics import RECALL_K, reciprocal_rank, summarise
from eval.questions import Question

DEFAULT_BASELINE = Path("eval/baseline.json")
UPDATE_COMMAND = "python -m eval --update-baseline"
QUALITY_SPLITS = ("dev", "test")
RECORD_FIELDS = (
    "split",
    "category",
    "abstain_expected",
    "abstained",
    "correct",
    "all_parts",
    "gold_rank",
    "retrieval_rank",
    "grounded",
)  # verdicts only: latency, which moves on every run, is kept in the summary, so the diff shows what changed

PerQuestion = Callable[[Mapping[str, Any]], float | None]  # None: the metric does not apply to the question


def _flag(key: str, applies: Callable[[Mapping[str, Any]], bool] = lambda r: True) -> PerQuestion:
    return lambda r: float(bool(r[key])) if applies(r) and key in r else None


def _answerable(record: Mapping[str, Any]) -> bool:
    return not record["abstain_expected"]


def _gold_cited(r: Mapping[str, Any]) -> float | None:
    return None if "gold_rank" not in r else float(r["gold_rank"] is not None)


def _gold_first(r: Mapping[str, Any]) -> float | None:
    return None if "gold_rank" not in r else float(r["gold_rank"] == 1)


def _recalled(r: Mapping[str, Any]) -> float | None:
    rank = r.get("retrieval_rank")
    return None if "retrieval_rank" not in r else float(rank is not None and rank <= RECALL_K)


def _reciprocal(r: Mapping[str, Any]) -> float | None:
    return None if "retrieval_rank" not in r else reciprocal_rank(r["retrieval_rank"])


def _refused_rightly(r: Mapping[str, Any]) -> float:
    """Refusal precision falls when an answerable question is refused or an unanswerable one answered."""
    return float(bool(r["abstained"]) == bool(r["abstain_expected"]))


# metric key → (higher is better, the per-question value whose worsening explains a drop)
GATED_METRICS: dict[str, tuple[bool, PerQuestion]] = {
    "overall": (True, _flag("correct")),
    "all_parts": (True, _flag("all_parts", _answerable)),
    "gold_cited": (True, _gold_cited),
    "gold_first": (True, _gold_first),
    "retrieval_recall": (True, _recalled),
    "mrr": (True, _reciprocal),
    "unanswerable_refused": (True, _flag("abstained", lambda r: bool(r["abstain_expected"]))),
    "answerable_refused": (False, _flag("abstained", _answerable)),
    "refusal_precision": (True, _refused_rightly),
}  # grounding is checked absolutely (every answer, whatever the baseline): see `_ungrounded`
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")


@dataclass(frozen=True)
class LatencyTolerance:
    """Latency may grow to `baseline × factor + slack_ms` before the gate fails (the CPU is shared)."""

    factor: float = 1.5
    slack_ms: float = 25.0

    def allows(self, baseline: float, current: float) -> bool:
        return current <= baseline * self.factor + self.slack_ms


@dataclass(frozen=True)
class Regression:
    split: str
    metric: str
    baseline: float
    current: float
    questions: tuple[str, ...]  # the questions that got worse on this metric (for latency: today's slowest)

    def describe(self) -> str:
        which = f"; worse on {', '.join(self.questions)}" if self.questions else ""
        return f"{self.split} {self.metric}: {self.baseline:.3f} → {self.current:.3f}{which}"


@dataclass(frozen=True)
class GateResult:
    regressions: tuple[Regression, ...]
    compared: int
    new_questions: tuple[str, ...] = ()  # not in the baseline, or changed since: not judged
    missing_questions: tuple[str, ...] = ()  # in the baseline but not run
    improved: tuple[str, ...] = ()  # wrong in the baseline, right now
    worsened: tuple[str, ...] = ()  # right in the baseline, wrong now

    @property
    def passed(self) -> bool:
        return not self.regressions

    @property
    def latency_only(self) -> bool:
        return bool(self.regressions) and all(r.metric in LATENCY_METRICS for r in self.regressions)

    def report(self) -> str:
        lines = [
            f"gate: {'passed' if self.passed else 'FAILED'} on {self.compared} questions shared with the "
            "baseline"
        ]
        lines += [f"  regression: {r.describe()}" for r in self.regressions]
        if self.worsened:
            lines.append(f"  questions right in the baseline and wrong now: {', '.join(self.worsened)}")
        if self.improved:
            lines.append(
                f"  questions wrong in the baseline and right now: {', '.join(self.improved)} "
                f"(raise the baseline deliberately: `{UPDATE_COMMAND}`, then commit it)"
            )
        if self.new_questions:
            lines.append(
                f"  not judged (new or changed since the baseline): {', '.join(self.new_questions)}; "
                f"`{UPDATE_COMMAND}` takes them in"
            )
        if self.missing_questions:
            lines.append(f"  in the baseline but not run: {', '.join(self.missing_questions)}")
        if not self.passed:
            lines.append(
                f"  if the change is intended, run `{UPDATE_COMMAND}` and commit eval/baseline.json "
                "saying why"
            )
        return "\n".join(lines)


def question_fingerprint(question: Question) -> str:
    """Changes when anything that decides the question's score changes (text, parts, gold, split)."""
    data = [
        question.question,
        question.category,
        question.split,
        question.abstain,
        [list(p) for p in question.answer_parts],
        [[g.source, g.quote] for g in question.gold],
    ]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:16]


def baseline_payload(
    questions: Sequence[Question], records: Sequence[Mapping[str, Any]], about: Mapping[str, Any]
) -> dict[str, Any]:
    """What `--update-baseline` writes: the summary (for people), every question's record (for the gate)."""
    fingerprints = {q.id: question_fingerprint(q) for q in questions}
    metrics = {
        split: summarise([r for r in records if split == "all" or r["split"] == split])
        for split in (*QUALITY_SPLITS, "all")
        if split == "all" or any(r["split"] == split for r in records)
    }
    return {
        "about": {**about, "update_with": UPDATE_COMMAND},
        "metrics": {split: {k: _round(v) for k, v in summary.items()} for split, summary in metrics.items()},
        "questions": {
            r["id"]: {"fingerprint": fingerprints[r["id"]], **{k: r[k] for k in RECORD_FIELDS if k in r}}
            for r in records
        },
    }


def write_baseline(path: Path, payload: Mapping[str, Any]) -> None:
    """One question per line, so a reviewer sees in the diff which questions changed."""
    questions = payload["questions"]
    head = {k: v for k, v in payload.items() if k != "questions"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ',\n "questions": {\n'
    text += ",\n".join(
        f"  {json.dumps(qid)}: {json.dumps(record, ensure_ascii=False)}" for qid, record in questions.items()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n }\n}\n", encoding="utf-8")


def read_baseline(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BaselineError(
            f"no baseline at {path}; create it deliberately with `{UPDATE_COMMAND}` and commit it"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"{path} is not valid JSON ({error.msg}, line {error.lineno}); restore it with "
            f"`git checkout {path}` or rewrite it with `{UPDATE_COMMAND}`"
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("questions"), dict):
        raise BaselineError(f"{path} has no 'questions' table; rewrite it with `{UPDATE_COMMAND}`")
    return payload


def check_gate(
    baseline: Mapping[str, Any],
    questions: Sequence[Question],
    records: Sequence[Mapping[str, Any]],
    tolerance: LatencyTolerance = LatencyTolerance(),
    check_latency: bool = True,
) -> GateResult:
    """Compare a scored run with the baseline on the questions both hold unchanged.

    `check_latency=False` judges quality only: the test suite uses it, since speed is the benchmark's to
    measure (`python -m eval.bench`), never a timed test's.
    """
    stored: Mapping[str, Mapping[str, Any]] = baseline["questions"]
    fingerprints = {q.id: question_fingerprint(q) for q in questions}
    current = {r["id"]: r for r in records}
    shared = [
        qid for qid in current if qid in stored and stored[qid].get("fingerprint") == fingerprints.get(qid)
    ]
    before = [{"id": qid, "latency_ms": math.nan, "answer_words": 0, **stored[qid]} for qid in shared]
    after = [current[qid] for qid in shared]
    regressions: list[Regression] = []
    for split in QUALITY_SPLITS:
        old = [r for r in before if r["split"] == split]
        new = [r for r in after if r["split"] == split]
        regressions += _quality_regressions(split, old, new)
    if check_latency:
        regressions += _latency_regressions(baseline.get("metrics", {}).get("all", {}), after, tolerance)
    regressions += _ungrounded(after)
    correct_before = {r["id"]: bool(r.get("correct")) for r in before}
    return GateResult(
        regressions=tuple(regressions),
        compared=len(shared),
        new_questions=tuple(qid for qid in current if qid not in shared),
        missing_questions=tuple(qid for qid in stored if qid not in current),
        improved=tuple(r["id"] for r in after if r.get("correct") and not correct_before[r["id"]]),
        worsened=tuple(r["id"] for r in after if not r.get("correct") and correct_before[r["id"]]),
    )


def _quality_regressions(
    split: str, before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> list[Regression]:
    if not before:
        return []
    old_summary, new_summary = summarise(before), summarise(after)
    old_by_id = {r["id"]: r for r in before}
    found = []
    for metric, (higher_is_better, value_of) in GATED_METRICS.items():
        old, new = old_summary[metric], new_summary[metric]
        if math.isnan(old) or math.isnan(new):
            continue
        dropped = new < old - 1e-9 if higher_is_better else new > old + 1e-9
        if dropped:
            worse = []
            for record in after:
                was, now = value_of(old_by_id[record["id"]]), value_of(record)
                if was is not None and now is not None and (now < was if higher_is_better else now > was):
                    worse.append(record["id"])
            found.append(Regression(split, metric, old, new, tuple(worse)))
    return found


def _latency_regressions(
    baseline_summary: Mapping[str, Any], after: Sequence[Mapping[str, Any]], tolerance: LatencyTolerance
) -> list[Regression]:
    """Latency percentiles over all questions against the baseline's, naming today's slowest questions."""
    if not after:
        return []
    new_summary = summarise(after)
    slowest = tuple(r["id"] for r in sorted(after, key=lambda r: -r["latency_ms"])[:5])
    found = []
    for metric in LATENCY_METRICS:
        old = baseline_summary.get(metric)
        if isinstance(old, int | float) and not tolerance.allows(old, new_summary[metric]):
            found.append(Regression("all", metric, float(old), new_summary[metric], slowest))
    return found


def _ungrounded(after: Sequence[Mapping[str, Any]]) -> list[Regression]:
    """An answer sentence outside its cited passage is a bug whatever the baseline says."""
    bad = tuple(r["id"] for r in after if not r["grounded"])
    if not bad:
        return []
    return [Regression("all", "grounded (must be 1.000)", 1.0, summarise(after)["grounded"], bad)]


def _round(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else round(value, 4)


def fastest_of(
    first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The first run's records with each question's latency the lower of two runs.

    Used only after a latency-only failure: a slow moment of a shared machine does not repeat on the same
    questions, slower code does.
    """
    again = {r["id"]: r["latency_ms"] for r in second}
    return [{**r, "latency_ms": min(r["latency_ms"], again.get(r["id"], r["latency_ms"]))} for r in first]


def unstable(first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]) -> list[str]:
    """Questions whose verdict differs between two runs of the same system (a gate on them would be flaky)."""
    verdict = ("correct", "abstained", "gold_rank", "retrieval_rank", "grounded")
    again = {r["id"]: r for r in second}
    return [
        r["id"] for r in first if r["id"] in again and any(r.get(k) != again[r["id"]].get(k) for k in verdict)
    ]
