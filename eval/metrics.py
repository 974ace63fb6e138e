"""Pure metrics over one answer (a result line) and over many; every function is table-tested.

Refusal is scored the way SQuAD 2.0 scores it: answerable questions ("has-ans") and unanswerable ones
("no-ans") are reported apart, and `overall` counts a question right when an answerable one is answered
with every required part and an unanswerable one is refused.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from eval.questions import Gold, Question

RECALL_K = 5  # retrieval recall is reported at this depth: the passages a reader would look at

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    """Case, quotes, dashes and white space folded, so formatting never decides a match."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    return " ".join(text.split())


def contains_all_parts(answer: str, parts: Sequence[Sequence[str]]) -> bool:
    """Every part has at least one alternative inside the answer."""
    folded = normalise(answer)
    return all(any(normalise(alt) in folded for alt in part) for part in parts)


def missing_parts(answer: str, parts: Sequence[Sequence[str]]) -> list[str]:
    """The parts (shown by their first alternative) that the answer lacks, e.g. ['DIFE']."""
    folded = normalise(answer)
    return [part[0] for part in parts if not any(normalise(alt) in folded for alt in part)]


def gold_rank(citations: Sequence[Mapping[str, Any]], gold: Sequence[Gold]) -> int | None:
    """1-based rank of the first passage that holds a gold quote from the gold document, or None.

    Works on `citations` (what the answer cites) and on `retrieved` (what retrieval found before answering).
    """
    for rank, citation in enumerate(citations, start=1):
        for item in gold:
            same_source = not item.source or _basename(str(citation.get("source", ""))) == _basename(item.source)
            if same_source and normalise(item.quote) in normalise(str(citation.get("text", ""))):
                return rank
    return None


def _basename(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def reciprocal_rank(rank: int | None) -> float:
    """1/rank, and 0 when the gold passage was not found: the term MRR averages."""
    return 0.0 if rank is None else 1.0 / rank


def grounded(sentences: Sequence[Mapping[str, Any]], citations: Sequence[Mapping[str, Any]]) -> bool:
    """Every answer sentence appears word for word in the citation it points to."""
    for sentence in sentences:
        index = sentence.get("citation")
        if not isinstance(index, int) or not 0 <= index < len(citations):
            return False
        if normalise(str(sentence.get("text", ""))) not in normalise(str(citations[index].get("text", ""))):
            return False
    return True


def word_count(text: str) -> int:
    return len(text.split())


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (q in 0..100), as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def score_result(question: Question, result: Mapping[str, Any]) -> dict[str, Any]:
    """The per-question record: what was right and wrong about one answer.

    `correct` is the SQuAD 2.0 verdict: answered with every part when answerable, refused when not.
    """
    abstained = bool(result.get("abstained"))
    citations = result.get("citations") or []
    answer = str(result.get("answer", ""))
    confidence = result.get("confidence")
    record: dict[str, Any] = {
        "id": question.id,
        "category": question.category,
        "split": question.split,
        "abstain_expected": question.abstain,
        "abstained": abstained,
        "confidence": float(confidence) if isinstance(confidence, int | float) else None,
        "latency_ms": float(result.get("latency_ms", math.nan)),
        "answer_words": word_count(answer) if not abstained else 0,
        "grounded": grounded(result.get("sentences") or [], citations) if not abstained else True,
    }
    if question.abstain:
        record["correct"] = abstained
        return record
    record["all_parts"] = (not abstained) and contains_all_parts(answer, question.answer_parts)
    record["missing_parts"] = missing_parts(answer, question.answer_parts) if not abstained else []
    record["correct"] = record["all_parts"]
    if question.gold:
        record["gold_rank"] = None if abstained else gold_rank(citations, question.gold)
        record["retrieval_rank"] = gold_rank(result.get("retrieved") or [], question.gold)
    return record


def summarise(records: Sequence[Mapping[str, Any]], recall_k: int = RECALL_K) -> dict[str, float]:
    """Aggregate metrics over scored records (NaN where a metric has no questions)."""
    answerable = [r for r in records if not r["abstain_expected"]]
    unanswerable = [r for r in records if r["abstain_expected"]]
    with_gold = [r for r in answerable if "gold_rank" in r]
    with_retrieval = [r for r in answerable if "retrieval_rank" in r]
    refused = [r for r in records if r["abstained"]]
    latencies = [r["latency_ms"] for r in records if not math.isnan(r["latency_ms"])]
    answered_words = [r["answer_words"] for r in answerable if not r["abstained"]]
    recall_hits = [
        r["retrieval_rank"] is not None and r["retrieval_rank"] <= recall_k for r in with_retrieval
    ]
    return {
        "questions": float(len(records)),
        "overall": _mean([r.get("correct", False) for r in records]),
        "all_parts": _mean([r["all_parts"] for r in answerable]),
        "gold_cited": _mean([r["gold_rank"] is not None for r in with_gold]),
        "gold_first": _mean([r["gold_rank"] == 1 for r in with_gold]),
        "retrieval_recall": _mean(recall_hits),
        "mrr": _average([reciprocal_rank(r["retrieval_rank"]) for r in with_retrieval]),
        "unanswerable_refused": _mean([r["abstained"] for r in unanswerable]),
        "answerable_refused": _mean([r["abstained"] for r in answerable]),
        "refusal_precision": _mean([r["abstain_expected"] for r in refused]),
        "grounded": _mean([r["grounded"] for r in records]),
        "median_words": percentile(answered_words, 50) if answered_words else math.nan,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_max_ms": max(latencies) if latencies else math.nan,
    }


def score_all(questions: Sequence[Question], results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per-question records for every graded question that has a result, in question-file order."""
    by_id = {r["id"]: r for r in results}
    return [score_result(q, by_id[q.id]) for q in questions if q.graded and q.id in by_id]


def _mean(flags: Sequence[bool]) -> float:
    return sum(1.0 for flag in flags if flag) / len(flags) if flags else math.nan


def _average(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan
