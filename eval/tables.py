"""Markdown tables of metrics: per split and category for one system, and systems side by side."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from eval.metrics import RECALL_K, summarise

Column = tuple[str, str, str]  # header, metric key, format

CATEGORY_COLUMNS: tuple[Column, ...] = (
    ("n", "questions", "{:.0f}"),
    ("parts", "all_parts", "{:.2f}"),
    ("gold", "gold_cited", "{:.2f}"),
    ("first", "gold_first", "{:.2f}"),
    (f"R@{RECALL_K}", "retrieval_recall", "{:.2f}"),
    ("MRR", "mrr", "{:.2f}"),
    ("refuse", "unanswerable_refused", "{:.2f}"),
    ("ref-prec", "refusal_precision", "{:.2f}"),
    ("wrong-ref", "answerable_refused", "{:.2f}"),
    ("overall", "overall", "{:.2f}"),
    ("grounded", "grounded", "{:.2f}"),
    ("words", "median_words", "{:.0f}"),
    ("p50 ms", "latency_p50_ms", "{:.1f}"),
    ("p95 ms", "latency_p95_ms", "{:.1f}"),
    ("max ms", "latency_max_ms", "{:.0f}"),
)

SYSTEM_COLUMNS: tuple[Column, ...] = (
    ("n", "questions", "{:.0f}"),
    ("overall", "overall", "{:.2f}"),
    ("has-ans", "all_parts", "{:.2f}"),
    ("no-ans", "unanswerable_refused", "{:.2f}"),
    ("gold", "gold_cited", "{:.2f}"),
    ("first", "gold_first", "{:.2f}"),
    (f"R@{RECALL_K}", "retrieval_recall", "{:.2f}"),
    ("MRR", "mrr", "{:.2f}"),
    ("wrong-ref", "answerable_refused", "{:.2f}"),
    ("ref-prec", "refusal_precision", "{:.2f}"),
    ("grounded", "grounded", "{:.2f}"),
    ("words", "median_words", "{:.0f}"),
    ("p50 ms", "latency_p50_ms", "{:.1f}"),
    ("p95 ms", "latency_p95_ms", "{:.1f}"),
    ("max ms", "latency_max_ms", "{:.0f}"),
)

LEGEND = (
    "parts/has-ans: answerable questions answered with every required part; gold/first: gold passage cited "
    f"(anywhere / first); R@{RECALL_K}, MRR: gold passage among the first {RECALL_K} retrieved / mean "
    "reciprocal "
    "rank, before answering; refuse/no-ans: unanswerable questions refused; ref-prec: share of refusals that "
    "were right; wrong-ref: answerable questions refused; overall: SQuAD 2.0 score (has-ans right or no-ans "
    "refused, over all questions); grounded: every answer sentence inside its cited passage."
)


def cell(fmt: str, value: float) -> str:
    return "–" if isinstance(value, float) and math.isnan(value) else fmt.format(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def splits_of(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The splits present, then 'all' when there is more than one."""
    splits = sorted({r["split"] for r in records})
    return [*splits, "all"] if len(splits) > 1 else splits


def in_split(records: Sequence[Mapping[str, Any]], split: str) -> list[Mapping[str, Any]]:
    return [r for r in records if split == "all" or r["split"] == split]


def category_table(records: Sequence[Mapping[str, Any]]) -> str:
    """Per split, one row per category and one for all of them ('ALL')."""
    rows = []
    for split in splits_of(records):
        chosen = in_split(records, split)
        for category in [*sorted({r["category"] for r in chosen}), "ALL"]:
            subset = [r for r in chosen if category == "ALL" or r["category"] == category]
            summary = summarise(subset)
            rows.append([split, category, *(cell(fmt, summary[key]) for _, key, fmt in CATEGORY_COLUMNS)])
    return markdown_table(["split", "category", *(name for name, _, _ in CATEGORY_COLUMNS)], rows)


def system_table(records_by_system: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """One row per split and system, the systems in the order given."""
    rows = []
    all_records = [r for records in records_by_system.values() for r in records]
    for split in splits_of(all_records):
        for name, records in records_by_system.items():
            summary = summarise(in_split(records, split))
            rows.append([split, name, *(cell(fmt, summary[key]) for _, key, fmt in SYSTEM_COLUMNS)])
    return markdown_table(["split", "system", *(name for name, _, _ in SYSTEM_COLUMNS)], rows)


def failure_lists(records: Sequence[Mapping[str, Any]]) -> str:
    """The ids behind each kind of failure, so a reader can look them up."""
    failed = [r["id"] for r in records if not r["abstain_expected"] and not r["all_parts"]]
    bad_refusals = [r["id"] for r in records if r["abstain_expected"] and not r["abstained"]]
    ungrounded = [r["id"] for r in records if not r["grounded"]]
    return "\n".join(
        [
            f"missing parts: {', '.join(failed) or 'none'}",
            f"unanswerable but answered: {', '.join(bad_refusals) or 'none'}",
            f"not grounded: {', '.join(ungrounded) or 'none'}",
        ]
    )
