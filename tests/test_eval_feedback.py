import json
from pathlib import Path

import pytest

from eval.errors import FeedbackFileError
from eval.feedback import FeedbackRecord, candidate_questions, read_feedback
from eval.questions import Question, load_questions
from eval.runner import main

EXISTING = [Question("q001", "Which ministry does DIFE fall under?", "fact", (("MoLE",),), split="dev")]


def _record(
    question: str, verdict: str = "wrong", answer: str = "An answer.", comment: str = ""
) -> FeedbackRecord:
    return FeedbackRecord(question, answer, verdict, comment)


def test_wrong_and_incomplete_answers_become_candidates() -> None:
    records = [
        _record("Who funds B-CAP?", "wrong", "The documents don't say.", "Denmark does"),
        _record("Who funds  b-cap?", "incomplete", "IFC.", "and Denmark"),  # the same question, asked again
        _record("When did SSC start?", "good"),
        _record("Which ministry does DIFE fall under?", "wrong"),  # already in the question file
        _record("How many inspectors are there?", "incomplete"),
    ]
    candidates = candidate_questions(records, EXISTING)
    assert [line["question"] for line in candidates.lines] == [
        "Who funds B-CAP?",
        "How many inspectors are there?",
    ]
    assert candidates.already_asked == ("q001",)
    assert candidates.not_flagged == 1
    first = candidates.lines[0]
    assert first["id"].startswith("fb-") and first["answer_parts"] == [] and first["gold"] == []
    assert first["review"]["reports"] == 2
    assert first["review"]["verdicts"] == ["incomplete", "wrong"]
    assert first["review"]["comments"] == ["Denmark does", "and Denmark"]
    assert first["review"]["answers_given"] == ["The documents don't say.", "IFC."]


def test_candidate_ids_are_stable_and_do_not_clash() -> None:
    one = candidate_questions([_record("Who funds B-CAP?")]).lines[0]
    again = candidate_questions([_record("who funds b-cap?")]).lines[0]
    assert one["id"] == again["id"] and one["split"] == again["split"]
    clashing = [Question(one["id"], "Something else entirely?")]
    assert candidate_questions([_record("Who funds B-CAP?")], clashing).lines[0]["id"] != one["id"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "feedback.jsonl:2: not valid JSON"),
        (json.dumps({"answer": "x", "verdict": "wrong"}), "feedback.jsonl:2: 'question' must be"),
        (json.dumps({"question": "q?", "verdict": ""}), "'verdict' must be"),
        (json.dumps({"question": "q?", "verdict": "wrong", "comment": 3}), "'comment' must be a string"),
        (
            json.dumps({"question": "q?", "verdict": "wrong", "citations": "a.txt"}),
            "'citations' must be a list",
        ),
        (json.dumps(["q?", "wrong"]), "expected a JSON object"),
    ],
)
def test_bad_feedback_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "feedback.jsonl"
    good = json.dumps({"question": "Who?", "answer": "A.", "verdict": "wrong", "comment": ""})
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(FeedbackFileError, match=message):
        read_feedback(path)


def test_cli_writes_candidates_that_the_question_loader_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feedback = tmp_path / "feedback.jsonl"
    rows = [
        {
            "question": "Who funds B-CAP?",
            "answer": "IFC.",
            "verdict": "Incomplete",
            "comment": "Denmark too",
            "citations": [{"source": "embassy.txt", "text": "..."}],
            "created_at": "2026-11-20T10:00:00Z",
        },
        {"question": "Is this good?", "answer": "Yes.", "verdict": "good", "comment": ""},
    ]
    feedback.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "candidates.jsonl"
    assert (
        main(["--from-feedback", str(feedback), "--out", str(out), "--questions", str(tmp_path / "none")])
        == 0
    )
    assert "1 candidate questions written" in capsys.readouterr().out
    loaded = load_questions(out)
    assert [q.question for q in loaded] == ["Who funds B-CAP?"] and not loaded[0].graded
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["review"]["cited_sources"] == ["embassy.txt"]


def test_cli_names_a_missing_feedback_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from-feedback", str(tmp_path / "missing.jsonl")]) == 1
    assert "export the feedback first" in capsys.readouterr().err
