"""Read and validate a question file (JSON lines), naming the line of any problem."""

from __future__ import annotations

import json
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


def parse_question(data: object, where: str) -> Question:
    if not isinstance(data, dict):
        raise QuestionFileError(f"{where}: expected a JSON object")
    for field in ("id", "question"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise QuestionFileError(f"{where}: '{field}' must be a non-empty string")
    category = data.get("category", "other")
    if category not in CATEGORIES:
        raise QuestionFileError(f"{where}: unknown category {category!r}; use one of {sorted(CATEGORIES)}")
    split = data.get("split", "test")
    if split not in SPLITS:
        raise QuestionFileError(f"{where}: unknown split {split!r}; use 'dev' or 'test'")
    parts = data.get("answer_parts", [])
    if not isinstance(parts, list) or not all(
        isinstance(part, list) and part and all(isinstance(alt, str) and alt.strip() for alt in part)
        for part in parts
    ):
        raise QuestionFileError(f"{where}: 'answer_parts' must be a list of non-empty lists of strings")
    gold = data.get("gold", [])
    if not isinstance(gold, list) or not all(
        isinstance(g, dict) and isinstance(g.get("source"), str) and isinstance(g.get("quote"), str)
        for g in gold
    ):
        raise QuestionFileError(f'{where}: \'gold\' must be a list of {{"source": str, "quote": str}}')
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
        gold=tuple(Gold(g["source"], g["quote"]) for g in gold),
        abstain=abstain,
        split=split,
    )


def load_questions(path: Path) -> list[Question]:
    """Every question of a JSON-lines file; raises QuestionFileError naming the first bad line."""
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
        question = parse_question(data, where)
        if question.id in seen:
            raise QuestionFileError(
                f"{where}: id {question.id!r} is already used on line {seen[question.id]}"
            )
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise QuestionFileError(f"{path} holds no questions")
    return questions
