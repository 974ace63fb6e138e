import json
from pathlib import Path

import pytest

from eval.questions import QuestionFileError, load_questions

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "question": "Who?", "category": "fact", "answer_parts": [["X"]],
                   "gold": [{"source": "d.txt", "quote": "X is"}], "split": "dev"})


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "questions.jsonl:2: not valid JSON"),
        (json.dumps({"id": "b"}), "questions.jsonl:2: 'question' must be"),
        (json.dumps({"id": "a", "question": "again?"}), "id 'a' is already used on line 1"),
        (json.dumps({"id": "b", "question": "q", "category": "gossip"}), "unknown category 'gossip'"),
        (json.dumps({"id": "b", "question": "q", "split": "train"}), "unknown split"),
        (json.dumps({"id": "b", "question": "q", "answer_parts": ["X", 3]}), "'answer_parts' must be"),
        (json.dumps({"id": "b", "question": "q", "abstain": True, "answer_parts": [["X"]]}), "unanswerable"),
        (json.dumps({"id": "b", "question": "q", "gold": [{"source": "x"}]}), "'gold' must be"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, bad_line: str, message: str) -> None:
    with pytest.raises(QuestionFileError, match=message.replace("(", r"\(")):
        load_questions(_write(tmp_path, [GOOD, bad_line]))


def test_minimal_lines_are_accepted(tmp_path: Path) -> None:
    questions = load_questions(_write(tmp_path, [json.dumps({"id": "x", "question": "Anything?"})]))
    assert questions[0].question == "Anything?" and not questions[0].graded


def test_the_committed_question_set_is_valid_and_large_enough() -> None:
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    assert len(questions) >= 80
    assert sum(q.abstain for q in questions) >= 10
    assert {q.split for q in questions} == {"dev", "test"}
    corpus = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").iterdir() if p.suffix == ".txt"}
    for question in questions:
        for gold in question.gold:
            assert gold.quote in corpus[gold.source], question.id


def test_a_foreign_answer_key_is_read_where_it_can_be_and_warned_about(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 7, "question": "Who?", "category": "comparison", "split": "train",
                    "answer_parts": ["DWEA", ["DIFE", "Department"]], "gold": {"text": "are the partners"}}),
        json.dumps({"id": "b", "question": "What?", "gold": "just a string"}),
    ]
    warnings: list[str] = []
    questions = load_questions(_write(tmp_path, lines), warn=warnings.append)
    first, second = questions
    assert first.id == "7" and first.category == "comparison" and first.split == "test"
    assert first.answer_parts == (("DWEA",), ("DIFE", "Department"))
    assert first.gold[0].quote == "are the partners" and first.gold[0].source == ""
    assert second.gold == ()
    assert [w.split(": ")[0].rsplit(":", 1)[1] for w in warnings] == ["1", "1", "2"]
