"""How an answer is shown: the JSON object the CLI, API and eval share, and readable text."""

from __future__ import annotations

from typing import Any

from bot.types import Answer, Citation


def citation_to_json(citation: Citation) -> dict[str, Any]:
    return {
        "text": citation.text,
        "title": citation.title,
        "source": citation.source,
        "section": citation.section,
        "page": citation.page,
        "start": citation.start,
        "end": citation.end,
        "score": citation.score,
        "passage_id": citation.passage_id,
        "url": citation.url,
        "publisher": citation.publisher,
        "date": citation.date,
        "highlights": [[span.start, span.end] for span in citation.highlights],
    }


def answer_to_json(answer: Answer, with_retrieved: bool = False) -> dict[str, Any]:
    """`{"answer", "abstained", "citations", "latency_ms"}` plus the reason and related passages.

    `with_retrieved` adds every retrieved passage in order (for evaluation: the rank of the gold passage).
    """
    result = {
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [citation_to_json(c) for c in answer.citations],
        "latency_ms": answer.latency_ms,
        "sentences": [{"text": s.text, "citation": s.citation} for s in answer.sentences],
        "reason": answer.reason,
        "related": [citation_to_json(c) for c in answer.related],
        "confidence": answer.confidence,
    }
    if with_retrieved:
        result["retrieved"] = [citation_to_json(c) for c in answer.retrieved]
    return result


def describe_source(citation: Citation) -> str:
    """'Sector cooperation — Embassy of Denmark, Dhaka, section: …, page 3'."""
    parts = [citation.title]
    if citation.publisher:
        parts.append(citation.publisher)
    if citation.date:
        parts.append(citation.date)
    where = []
    if citation.section:
        where.append(f"section: {citation.section}")
    if citation.page is not None:
        where.append(f"page {citation.page}")
    return " — ".join(parts) + (f" ({'; '.join(where)})" if where else "")


def answer_to_text(answer: Answer) -> str:
    """The answer with [n] markers and its numbered sources, for a terminal."""
    lines: list[str] = []
    if answer.abstained:
        lines.append(answer.text)
        if answer.reason:
            lines.append(f"({answer.reason})")
        if answer.related:
            lines.append("\nClosest passages:")
            for number, citation in enumerate(answer.related, start=1):
                lines.append(f"  {number}. {describe_source(citation)}\n     {_indent(citation.text)}")
        return "\n".join(lines)
    lines.append(" ".join(f"{s.text} [{s.citation + 1}]" for s in answer.sentences))
    lines.append("\nSources:")
    for number, citation in enumerate(answer.citations, start=1):
        lines.append(f"  [{number}] {describe_source(citation)} · {citation.source}:{citation.start}-{citation.end}")
        lines.append(f"      {_indent(citation.text)}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return " ".join(text.split())
