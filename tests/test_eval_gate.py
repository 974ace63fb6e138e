"""The gate: pure checks on hand-made records, then the real product against the committed baseline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.service import QuestionAnswerer
from bot.types import Answer, AnswerSentence, Citation
from eval.compare import run_system
from eval.errors import BaselineError
from eval.gate import (
    LatencyTolerance,
    baseline_payload,
    check_gate,
    fastest_of,
    read_baseline,
    unstable,
    write_baseline,
)
from eval.peers import System
from eval.questions import Gold, Question, load_questions
from tests.conftest import ROOT

QUESTIONS = [
    Question("a", "Who?", "fact", (("X",),), (Gold("d.txt", "X is"),), split="dev"),
    Question("b", "When?", "date", (("2020",),), (Gold("d.txt", "in 2020"),), split="dev"),
    Question("c", "What?", "fact", (("Y",),), (Gold("d.txt", "Y is"),), split="test"),
    Question("u", "Cake?", "unanswerable", abstain=True, split="test"),
]


def _record(
    question: Question,
    right: bool = True,
    abstained: bool = False,
    latency: float = 10.0,
    grounded: bool = True,
    retrieval_rank: int | None = 1,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": question.id,
        "split": question.split,
        "category": question.category,
        "abstain_expected": question.abstain,
        "abstained": abstained,
        "latency_ms": latency,
        "answer_words": 5,
        "grounded": grounded,
        "confidence": 0.9,
    }
    if question.abstain:
        record["correct"] = abstained
    else:
        record |= {
            "all_parts": right and not abstained,
            "correct": right and not abstained,
            "gold_rank": 1 if right and not abstained else None,
            "retrieval_rank": retrieval_rank,
        }
    return record


def _baseline(records: list[dict[str, Any]]) -> dict[str, Any]:
    return baseline_payload(QUESTIONS, records, {"note": "test"})


GOOD = [
    _record(QUESTIONS[0]),
    _record(QUESTIONS[1]),
    _record(QUESTIONS[2]),
    _record(QUESTIONS[3], abstained=True),
]


def test_the_same_run_passes() -> None:
    result = check_gate(_baseline(GOOD), QUESTIONS, GOOD)
    assert result.passed and result.compared == 4
    assert "gate: passed on 4 questions" in result.report()


def test_a_drop_fails_and_names_the_question() -> None:
    worse = [GOOD[0], _record(QUESTIONS[1], right=False), GOOD[2], GOOD[3]]
    result = check_gate(_baseline(GOOD), QUESTIONS, worse)
    assert not result.passed
    failed = {(r.split, r.metric): r.questions for r in result.regressions}
    assert failed[("dev", "all_parts")] == ("b",)
    assert failed[("dev", "overall")] == ("b",)
    assert failed[("dev", "gold_cited")] == ("b",)
    assert ("test", "all_parts") not in failed
    assert result.worsened == ("b",)
    report = result.report()
    assert "dev all_parts: 1.000 → 0.500; worse on b" in report
    assert "python -m eval --update-baseline" in report


@pytest.mark.parametrize(
    ("changed", "metric"),
    [
        (_record(QUESTIONS[3], abstained=False), "unanswerable_refused"),
        (_record(QUESTIONS[0], abstained=True), "answerable_refused"),
        (_record(QUESTIONS[2], retrieval_rank=3), "mrr"),
        (_record(QUESTIONS[2], retrieval_rank=None), "retrieval_recall"),
    ],
)
def test_each_kind_of_drop_is_caught(changed: dict[str, Any], metric: str) -> None:
    run = [changed if r["id"] == changed["id"] else r for r in GOOD]
    result = check_gate(_baseline(GOOD), QUESTIONS, run)
    assert metric in {r.metric for r in result.regressions}
    assert all(r.questions == (changed["id"],) for r in result.regressions if r.metric == metric)


def test_an_improvement_passes_and_asks_for_a_deliberate_raise() -> None:
    weaker = [GOOD[0], _record(QUESTIONS[1], right=False), GOOD[2], GOOD[3]]
    result = check_gate(_baseline(weaker), QUESTIONS, GOOD)
    assert result.passed and result.improved == ("b",)
    assert "raise the baseline deliberately" in result.report()


def test_ungrounded_answers_fail_whatever_the_baseline() -> None:
    bad = [_record(QUESTIONS[0], grounded=False), *GOOD[1:]]
    result = check_gate(_baseline(bad), QUESTIONS, bad)
    assert not result.passed
    assert result.regressions[0].metric.startswith("grounded") and result.regressions[0].questions == ("a",)


@pytest.mark.parametrize(("latency", "passes"), [(12.0, True), (40.0, True), (41.0, False), (500.0, False)])
def test_latency_has_a_tolerance(latency: float, passes: bool) -> None:
    slow = [{**r, "latency_ms": latency} for r in GOOD]
    result = check_gate(_baseline(GOOD), QUESTIONS, slow, LatencyTolerance(factor=1.5, slack_ms=25))
    assert result.passed is passes
    assert result.latency_only is (not passes)


def test_the_faster_of_two_runs_judges_latency() -> None:
    first = [{**r, "latency_ms": 500.0 if r["id"] == "a" else 10.0} for r in GOOD]
    second = [{**r, "latency_ms": 11.0} for r in GOOD]
    assert [r["latency_ms"] for r in fastest_of(first, second)] == [11.0, 10.0, 10.0, 10.0]
    assert check_gate(_baseline(GOOD), QUESTIONS, fastest_of(first, second)).passed


def test_new_and_changed_questions_are_not_judged_but_listed() -> None:
    changed = [
        replace(QUESTIONS[0], answer_parts=(("Z",),)),
        *QUESTIONS[1:],
        Question("n", "New?", "fact", (("Q",),), split="dev"),
    ]
    run = [_record(changed[0], right=False), *GOOD[1:], _record(changed[-1], right=False)]
    result = check_gate(_baseline(GOOD), changed, run)
    assert result.passed and result.compared == 3
    assert result.new_questions == ("a", "n")
    assert "not judged" in result.report()


def test_baseline_round_trip_one_question_per_line(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, _baseline(GOOD))
    text = path.read_text(encoding="utf-8")
    assert sum(1 for line in text.splitlines() if '"fingerprint"' in line) == len(GOOD)
    assert check_gate(read_baseline(path), QUESTIONS, GOOD).passed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "create it deliberately with `python -m eval --update-baseline`"),
        ("{oops", "not valid JSON"),
        ('{"metrics": {}}', "no 'questions' table"),
    ],
)
def test_a_bad_baseline_says_what_to_do(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message.replace("(", r"\(")):
        read_baseline(path)


# The real product against the committed baseline: what `make test` runs.

QUESTION_FILE = ROOT / "eval" / "questions.jsonl"
BASELINE_FILE = ROOT / "eval" / "baseline.json"


def _gate_run(service: QuestionAnswerer, questions: list[Question]) -> list[dict[str, Any]]:
    return list(run_system(System("ours", "the product", service.ask), questions).records)


@pytest.fixture()
def one_torch_thread() -> Iterator[None]:
    """As `python -m eval` measures: two threads on a shared 2-core machine turn 15 ms into 500 ms."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_the_product_does_not_fall_below_the_committed_baseline(seed_answerer: QuestionAnswerer) -> None:
    questions = load_questions(QUESTION_FILE)
    baseline = read_baseline(BASELINE_FILE)
    records = _gate_run(seed_answerer, questions)
    result = check_gate(baseline, questions, records, check_latency=False)  # speed is the benchmark's, not a test's
    assert result.passed, result.report()
    assert not result.new_questions and not result.missing_questions, (
        "eval/questions.jsonl changed since the baseline; run `python -m eval --update-baseline` and commit "
        "eval/baseline.json\n" + result.report()
    )


class BackwardsAnswerer:
    """A plausible bug: the ranking read backwards, so answers come from the weakest retrieved passage."""

    def answer(self, retrieval: Any, index: Any) -> Answer:
        citations = tuple(_citation(hit) for hit in retrieval.hits)
        if not citations:
            return Answer("The documents don't say.", (), (), abstained=True)
        weakest = retrieval.hits[-1].passage
        sentence = " ".join(weakest.sentence_text(weakest.sentences[0]).split())
        return Answer(
            sentence,
            (AnswerSentence(sentence, 0),),
            (citations[-1],),
            abstained=False,
            retrieved=citations,
            confidence=1.0,
        )


def _citation(hit: Any) -> Citation:
    passage = hit.passage
    return Citation(
        passage.passage_id,
        passage.doc_id,
        passage.text,
        passage.meta.title,
        passage.doc_id,
        passage.section,
        passage.page,
        passage.start,
        passage.end,
        hit.score,
    )


@pytest.mark.slow
def test_the_gate_fails_a_broken_answerer_and_names_the_questions(seed_answerer: QuestionAnswerer) -> None:
    questions = load_questions(QUESTION_FILE)
    broken = QuestionAnswerer.open(
        seed_answerer.settings, seed_answerer.embedder, answerer=BackwardsAnswerer()
    )
    result = check_gate(read_baseline(BASELINE_FILE), questions, _gate_run(broken, questions))
    assert not result.passed
    failed = {(r.split, r.metric) for r in result.regressions}
    assert {
        ("dev", "all_parts"),
        ("test", "all_parts"),
        ("dev", "gold_first"),
        ("test", "unanswerable_refused"),
    } <= failed
    report = result.report()
    assert "FAILED" in report and "q001" in report  # q001 is answered right by the product
    assert len(result.worsened) > 50


def test_runs_that_disagree_are_named() -> None:
    flipped = [GOOD[0], _record(QUESTIONS[1], right=False), *GOOD[2:]]
    assert unstable(GOOD, GOOD) == []
    assert unstable(GOOD, flipped) == ["b"]
