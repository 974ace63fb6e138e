import math

import pytest

from eval.metrics import (
    contains_all_parts,
    gold_rank,
    grounded,
    missing_parts,
    normalise,
    percentile,
    reciprocal_rank,
    score_result,
    summarise,
)
from eval.questions import Gold, Question


@pytest.mark.parametrize(
    ("answer", "parts", "expected"),
    [
        ("DWEA and DIFE are the partners.", [["DWEA"], ["DIFE"]], True),
        ("DWEA is a partner.", [["DWEA"], ["DIFE"]], False),
        (
            "The Danish Working Environment Authority helps.",
            [["DWEA", "Danish Working Environment Authority"]],
            True,
        ),
        ("Runs 2023–2025.", [["2023-2025"]], True),
        ("anything", [], True),
    ],
)
def test_contains_all_parts(answer: str, parts: list[list[str]], expected: bool) -> None:
    assert contains_all_parts(answer, parts) is expected


def test_gold_rank_needs_the_same_document_and_the_quote() -> None:
    gold = [Gold("docs/a.txt", "the implementing partners")]
    citations = [
        {"source": "b.txt", "text": "They are the implementing partners."},
        {"source": "a.txt", "text": "Nothing here."},
        {"source": "a.txt", "text": "DWEA and DIFE are the  implementing\npartners."},
    ]
    assert gold_rank(citations, gold) == 3
    assert gold_rank(citations[:2], gold) is None


@pytest.mark.parametrize(
    ("sentences", "expected"),
    [
        ([{"text": "DWEA helps.", "citation": 0}], True),
        ([{"text": "DWEA helps.", "citation": 1}], False),
        ([{"text": "Made up claim.", "citation": 0}], False),
        ([], True),
    ],
)
def test_grounded(sentences, expected) -> None:  # type: ignore[no-untyped-def]
    assert grounded(sentences, [{"text": "Intro. DWEA   helps. More."}]) is expected


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([5.0], 95, 5.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 95, 4.8),
        ([0.0, 10.0], 0, 0.0),
    ],
)
def test_percentile_matches_linear_interpolation(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_normalise_folds_case_quotes_dashes_and_space() -> None:
    assert normalise("Denmark’s  “SSC” – 2023") == 'denmark\'s "ssc" - 2023'


def _record(expected_abstain: bool, abstained: bool, parts: bool = False, rank: int | None = None) -> dict:
    record = {
        "abstain_expected": expected_abstain,
        "abstained": abstained,
        "latency_ms": 10.0,
        "answer_words": 5,
        "grounded": True,
    }
    if not expected_abstain:
        record |= {"all_parts": parts, "gold_rank": rank}
    return record


def test_summary_counts_answerable_and_unanswerable_separately() -> None:
    records = [
        _record(False, False, parts=True, rank=1),
        _record(False, False, parts=False, rank=2),
        _record(False, True),
        _record(True, True),
        _record(True, False),
    ]
    summary = summarise(records)
    assert summary["all_parts"] == pytest.approx(1 / 3)
    assert summary["gold_cited"] == pytest.approx(2 / 3)
    assert summary["gold_first"] == pytest.approx(1 / 3)
    assert summary["answerable_refused"] == pytest.approx(1 / 3)
    assert summary["unanswerable_refused"] == pytest.approx(1 / 2)
    assert summary["refusal_precision"] == pytest.approx(1 / 2)
    assert math.isnan(summarise([_record(False, False, True, 1)])["unanswerable_refused"])


@pytest.mark.parametrize(
    ("answer", "parts", "missing"),
    [
        ("DWEA and DIFE.", [["DWEA"], ["DIFE", "Department of Inspection"]], []),
        ("DWEA only.", [["DWEA"], ["DIFE", "Department of Inspection"]], ["DIFE"]),
        ("", [["A"], ["B"]], ["A", "B"]),
    ],
)
def test_missing_parts_are_named_by_their_first_alternative(answer: str, parts, missing) -> None:  # type: ignore[no-untyped-def]
    assert missing_parts(answer, parts) == missing


@pytest.mark.parametrize(("rank", "expected"), [(1, 1.0), (2, 0.5), (4, 0.25), (None, 0.0)])
def test_reciprocal_rank(rank: int | None, expected: float) -> None:
    assert reciprocal_rank(rank) == pytest.approx(expected)


QUESTION = Question(
    "q1",
    "Who implements it?",
    "fact",
    (("DWEA",), ("DIFE",)),
    (Gold("a.txt", "are the partners"),),
    split="dev",
)
UNANSWERABLE = Question("q2", "Cake recipe?", "unanswerable", abstain=True, split="test")
GOLD_PASSAGE = {"source": "a.txt", "text": "DWEA and DIFE are the partners."}
OTHER_PASSAGE = {"source": "b.txt", "text": "Something else."}


@pytest.mark.parametrize(
    ("question", "result", "expected"),
    [
        # answered right, gold cited first, retrieved second
        (
            QUESTION,
            {
                "answer": "DWEA and DIFE.",
                "abstained": False,
                "citations": [GOLD_PASSAGE],
                "sentences": [{"text": "DWEA and DIFE are the partners.", "citation": 0}],
                "retrieved": [OTHER_PASSAGE, GOLD_PASSAGE],
                "latency_ms": 12.0,
                "confidence": 0.8,
            },
            {
                "correct": True,
                "all_parts": True,
                "gold_rank": 1,
                "retrieval_rank": 2,
                "grounded": True,
                "missing_parts": [],
                "confidence": 0.8,
            },
        ),
        # refused although answerable: wrong, but retrieval still found the gold passage first
        (
            QUESTION,
            {
                "answer": "The documents don't say.",
                "abstained": True,
                "citations": [],
                "retrieved": [GOLD_PASSAGE],
                "latency_ms": 9.0,
                "confidence": 0.3,
            },
            {"correct": False, "all_parts": False, "gold_rank": None, "retrieval_rank": 1, "abstained": True},
        ),
        # a sentence that is not in its citation: not grounded
        (
            QUESTION,
            {
                "answer": "DWEA and DIFE.",
                "abstained": False,
                "citations": [OTHER_PASSAGE],
                "sentences": [{"text": "DWEA and DIFE.", "citation": 0}],
                "retrieved": [],
                "latency_ms": 1.0,
            },
            {"grounded": False, "gold_rank": None, "retrieval_rank": None, "confidence": None},
        ),
        # unanswerable: right only when refused; no retrieval metrics
        (
            UNANSWERABLE,
            {"answer": "The documents don't say.", "abstained": True, "latency_ms": 5.0},
            {"correct": True, "abstain_expected": True},
        ),
        (
            UNANSWERABLE,
            {"answer": "Bake it.", "abstained": False, "citations": [], "latency_ms": 5.0},
            {"correct": False},
        ),
    ],
)
def test_score_result(question: Question, result: dict, expected: dict) -> None:  # type: ignore[type-arg]
    record = score_result(question, result)
    assert {key: record[key] for key in expected} == expected
    if question.abstain:
        assert "retrieval_rank" not in record and "all_parts" not in record


def test_summary_retrieval_recall_mrr_and_overall() -> None:
    records = [
        {**_record(False, False, parts=True, rank=1), "retrieval_rank": 1, "correct": True},
        {**_record(False, False, parts=False, rank=None), "retrieval_rank": 4, "correct": False},
        {**_record(False, False, parts=True, rank=2), "retrieval_rank": None, "correct": True},
        {**_record(True, True), "correct": True},
    ]
    summary = summarise(records, recall_k=3)
    assert summary["retrieval_recall"] == pytest.approx(1 / 3)
    assert summary["mrr"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert summary["overall"] == pytest.approx(3 / 4)
    assert summarise(records, recall_k=5)["retrieval_recall"] == pytest.approx(2 / 3)


def test_latency_percentiles_and_max() -> None:
    records = [{**_record(False, False, True, 1), "latency_ms": float(ms)} for ms in (10, 20, 30, 40, 1000)]
    summary = summarise(records)
    assert summary["latency_p50_ms"] == pytest.approx(30.0)
    assert summary["latency_p95_ms"] == pytest.approx(808.0)
    assert summary["latency_max_ms"] == pytest.approx(1000.0)
