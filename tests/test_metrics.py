import math

import pytest

from eval.metrics import contains_all_parts, gold_rank, grounded, normalise, percentile, summarise
from eval.questions import Gold


@pytest.mark.parametrize(
    ("answer", "parts", "expected"),
    [
        ("DWEA and DIFE are the partners.", [["DWEA"], ["DIFE"]], True),
        ("DWEA is a partner.", [["DWEA"], ["DIFE"]], False),
        ("The Danish Working Environment Authority helps.", [["DWEA", "Danish Working Environment Authority"]], True),
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
    [([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([5.0], 95, 5.0), ([1.0, 2.0, 3.0, 4.0, 5.0], 95, 4.8), ([0.0, 10.0], 0, 0.0)],
)
def test_percentile_matches_linear_interpolation(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_normalise_folds_case_quotes_dashes_and_space() -> None:
    assert normalise("Denmark’s  “SSC” – 2023") == "denmark's \"ssc\" - 2023"


def _record(expected_abstain: bool, abstained: bool, parts: bool = False, rank: int | None = None) -> dict:
    record = {"abstain_expected": expected_abstain, "abstained": abstained, "latency_ms": 10.0,
              "answer_words": 5, "grounded": True}
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
