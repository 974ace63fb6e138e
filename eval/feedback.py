"""Answers users marked wrong or incomplete, turned into candidate questions for a person to review.

Input: the feedback store's export, JSON lines, one record per verdict:

    {"question": "Who funds the project?", "answer": "The documents don't say.", "verdict": "wrong",
     "comment": "It is Denmark, see the embassy page"}

`question` and `verdict` are required; `answer` and `comment` are strings when present; extra fields are
kept out of the way except `citations` (a list of objects with `source`), whose sources are shown to the
reviewer. Verdicts `wrong` and `incomplete` (any case) become candidates; others (`good`, `helpful`...)
are counted and left out.

Output: question-file lines (see eval/questions.py) with empty `answer_parts` and `gold` and a `review`
object holding what the users said. A person fills in the answer key (or sets `"abstain": true` when the
documents do not answer it), picks the category, drops `review`, and moves the line into
eval/questions.jsonl. Questions already in the question file, or asked twice, appear once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.errors import FeedbackFileError
from eval.metrics import normalise
from eval.questions import Question

CANDIDATE_VERDICTS = frozenset({"wrong", "incomplete"})
REVIEW_TODO = (
    "fill answer_parts and gold from the documents (or set abstain: true if they do not answer it), "
    "choose the category and split, remove 'review', then move the line into eval/questions.jsonl"
)


@dataclass(frozen=True)
class FeedbackRecord:
    question: str
    answer: str
    verdict: str  # lower-cased
    comment: str
    cited_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidates:
    lines: tuple[dict[str, Any], ...]  # question-file lines for review
    already_asked: tuple[str, ...]  # ids of questions in the question file that users flagged again
    not_flagged: int  # records with another verdict (e.g. good)


def parse_feedback(data: object, where: str) -> FeedbackRecord:
    if not isinstance(data, dict):
        raise FeedbackFileError(f"{where}: expected a JSON object with question, answer, verdict, comment")
    for name in ("question", "verdict"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise FeedbackFileError(f"{where}: '{name}' must be a non-empty string")
    for name in ("answer", "comment"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise FeedbackFileError(f"{where}: '{name}' must be a string when present")
    citations = data.get("citations") or []
    if not isinstance(citations, list) or not all(isinstance(c, dict) for c in citations):
        raise FeedbackFileError(f"{where}: 'citations' must be a list of objects when present")
    sources = tuple(str(c["source"]) for c in citations if c.get("source"))
    return FeedbackRecord(
        " ".join(data["question"].split()),
        data.get("answer") or "",
        data["verdict"].strip().lower(),
        (data.get("comment") or "").strip(),
        sources,
    )


def read_feedback(path: Path) -> list[FeedbackRecord]:
    """Every record of an exported feedback file; raises FeedbackFileError naming the first bad line."""
    if not path.is_file():
        raise FeedbackFileError(f"{path} does not exist; export the feedback first and pass its path")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise FeedbackFileError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        records.append(parse_feedback(data, f"{path}:{number}"))
    return records


def candidate_questions(records: Sequence[FeedbackRecord], existing: Sequence[Question] = ()) -> Candidates:
    """One candidate line per distinct flagged question that the question file does not already hold."""
    known = {normalise(q.question): q.id for q in existing}
    known_ids = {q.id for q in existing}
    grouped: dict[str, list[FeedbackRecord]] = {}
    already: list[str] = []
    not_flagged = 0
    for record in records:
        if record.verdict not in CANDIDATE_VERDICTS:
            not_flagged += 1
            continue
        key = normalise(record.question)
        if key in known:
            if known[key] not in already:
                already.append(known[key])
            continue
        grouped.setdefault(key, []).append(record)
    lines = [_candidate_line(group, known_ids) for group in grouped.values()]
    return Candidates(tuple(lines), tuple(already), not_flagged)


def _candidate_line(group: Sequence[FeedbackRecord], known_ids: set[str]) -> dict[str, Any]:
    first = group[0]
    digest = hashlib.sha256(normalise(first.question).encode()).hexdigest()
    qid = f"fb-{digest[:8]}"
    if qid in known_ids:
        qid = f"fb-{digest[:12]}"
    return {
        "id": qid,
        "question": first.question,
        "category": "other",
        "answer_parts": [],
        "gold": [],
        "abstain": False,
        "split": "dev" if int(digest[:8], 16) % 2 == 0 else "test",
        "review": {
            "todo": REVIEW_TODO,
            "reports": len(group),
            "verdicts": sorted({r.verdict for r in group}),
            "comments": [r.comment for r in group if r.comment],
            "answers_given": list(dict.fromkeys(r.answer for r in group if r.answer)),
            "cited_sources": list(dict.fromkeys(s for r in group for s in r.cited_sources)),
        },
    }


def write_candidates(path: Path, lines: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
