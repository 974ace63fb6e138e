"""Read and validate a question file (JSON lines), naming the line of any problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eval.errors import EvalError

CATEGORIES = frozenset(
    {
        "fact",
        "number",
        "date",
        "list",
        "definition",
        "paraphrase",
        "casual",
        "multi_doc",
        "unanswerable",
        "other",
    }
)
SPLITS = frozenset({"dev", "test"})


class QuestionFileError(EvalError, ValueError):
    """The question file cannot be used as it is; the message names the line."""


@dataclass(frozen=True)
class Gold:
    source: str
    quote: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    category: str = "other"
    answer_parts: tuple[tuple[str, ...], ...] = ()
    gold: tuple[Gold, ...] = ()
    abstain: bool = False
    split: str = "test"

    @property
    def graded(self) -> bool:
        """Whether the line carries what answer metrics need (a bare id+question line does not)."""
        return self.abstain or bool(self.answer_parts or self.gold)


def parse_question(data: object, where: str, warn: Callable[[str], None] | None = None) -> Question:
    """One question line. Structural problems raise; an answer key in another shape than ours is used where it
    can be and otherwise dropped with a warning naming the line, so any question file can still be answered."""
    warn = warn or _raise
    if not isinstance(data, dict):
        raise QuestionFileError(f"{where}: expected a JSON object")
    if isinstance(data.get("id"), int) and not isinstance(data.get("id"), bool):
        data = {**data, "id": str(data["id"])}
    for field in ("id", "question"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise QuestionFileError(f"{where}: '{field}' must be a non-empty string")
    category = data.get("category", "other")
    if not isinstance(category, str) or category not in CATEGORIES:
        warn(f"{where}: unknown category {category!r} (known: {sorted(CATEGORIES)}); reported as its own")
        category = str(category)
    split = data.get("split", "test")
    if split not in SPLITS:
        warn(f"{where}: unknown split {split!r}; counted as 'test'")
        split = "test"
    parts = _answer_parts(data.get("answer_parts", []))
    if parts is None:
        warn(f"{where}: 'answer_parts' must be a list of strings or of lists of strings; not scored")
        parts = []
    gold = _gold(data.get("gold", []))
    if gold is None:
        warn(f'{where}: \'gold\' must be a list of {{"source": str, "quote": str}}; not scored')
        gold = []
    abstain = data.get("abstain", False)
    if not isinstance(abstain, bool):
        raise QuestionFileError(f"{where}: 'abstain' must be true or false")
    if abstain and (parts or gold):
        raise QuestionFileError(
            f"{where}: an unanswerable question ('abstain': true) has no answer_parts or gold"
        )
    return Question(
        id=data["id"],
        question=data["question"],
        category=category,
        answer_parts=tuple(tuple(part) for part in parts),
        gold=tuple(gold),
        abstain=abstain,
        split=split,
    )


def _raise(message: str) -> None:
    raise QuestionFileError(message)


def _answer_parts(parts: object) -> list[list[str]] | None:
    if not isinstance(parts, list):
        return None
    result: list[list[str]] = []
    for part in parts:
        if isinstance(part, str) and part.strip():
            result.append([part])
        elif isinstance(part, list) and part and all(isinstance(alt, str) and alt.strip() for alt in part):
            result.append(list(part))
        else:
            return None
    return result


def _gold(gold: object) -> list[Gold] | None:
    items = gold if isinstance(gold, list) else [gold]
    result: list[Gold] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("quote", item.get("text")), str):
            result.append(Gold(str(item.get("source", "")), item.get("quote", item.get("text"))))
        else:
            return None
    return result


def load_questions(path: Path, warn: Callable[[str], None] | None = None) -> list[Question]:
    """Every question of a JSON-lines file; raises QuestionFileError naming the first bad line.

    With `warn`, an answer key this suite cannot read is reported through it instead of refusing the file.
    """
    if not path.is_file():
        raise QuestionFileError(f"{path} does not exist")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionFileError(f"{where}: not valid JSON ({error.msg})") from None
        question = parse_question(data, where, warn)
        if question.id in seen:
            raise QuestionFileError(
                f"{where}: id {question.id!r} is already used on line {seen[question.id]}"
            )
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise QuestionFileError(f"{path} holds no questions")
    return questions
