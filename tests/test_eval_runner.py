import json
from pathlib import Path

import pytest

from eval.runner import main

pytestmark = pytest.mark.slow


def test_runner_builds_answers_and_scores(tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    lines = [
        {"id": "t1", "question": "How much may a worker lift alone?", "category": "number",
         "answer_parts": [["25 kilograms"]], "gold": [{"source": "warehouse-page.html", "quote": "at most 25 kilograms"}],
         "split": "dev"},
        {"id": "t2", "question": "What is the recipe for chocolate cake?", "category": "unanswerable",
         "abstain": True, "split": "test"},
        {"id": "t3", "question": "Who should be contacted about cranes?"},
    ]
    questions.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "results.jsonl"
    code = main(["--questions", str(questions), "--out", str(out), "--corpus", str(tiny_corpus),
                 "--index", str(tmp_path / "index")])
    assert code == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["t1", "t2", "t3"]
    assert all({"id", "question", "answer", "abstained", "citations", "latency_ms"} <= set(r) for r in results)
    assert results[1]["abstained"] is True
    printed = capsys.readouterr().out
    assert "| dev | ALL | 1 | 1.00 | 1.00 | 1.00 |" in printed
    assert "Lena Marsh" in results[2]["answer"]


def test_runner_names_a_bad_question_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "ok?"}\n{"id": "a", "question": "dup?"}\n', encoding="utf-8")
    assert main(["--questions", str(questions), "--out", str(tmp_path / "r.jsonl")]) == 1
    assert "q.jsonl:2" in capsys.readouterr().err
