import json
from pathlib import Path

import pytest

from eval.runner import main

pytestmark = pytest.mark.slow

LINES = [
    {
        "id": "t1",
        "question": "How much may a worker lift alone?",
        "category": "number",
        "answer_parts": [["25 kilograms"]],
        "gold": [{"source": "warehouse-page.html", "quote": "at most 25 kilograms"}],
        "split": "dev",
    },
    {
        "id": "t2",
        "question": "What is the recipe for chocolate cake?",
        "category": "unanswerable",
        "abstain": True,
        "split": "test",
    },
    {"id": "t3", "question": "Who should be contacted about cranes?"},
]
GRADED = [
    *LINES[:2],
    {
        "id": "t4",
        "question": "How many crew members are needed on the bridge for night crossings?",
        "category": "number",
        "answer_parts": [["two crew members"]],
        "gold": [{"source": "river-ferries.md", "quote": "Night crossings need two crew members"}],
        "split": "test",
    },
    {
        "id": "t5",
        "question": "Who inspects dockside cranes?",
        "category": "fact",
        "answer_parts": [["Harbour Safety Board", "HSB"]],
        "gold": [{"source": "harbour-cranes.txt", "quote": "inspects every dockside crane twice a year"}],
        "split": "dev",
    },
    {
        "id": "t6",
        "question": "What is the speed limit for forklifts on the moon?",
        "category": "unanswerable",
        "abstain": True,
        "split": "dev",
    },
]


def _write(path: Path, lines: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_runner_builds_answers_and_scores(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _write(tmp_path / "q.jsonl", LINES)
    out = tmp_path / "out" / "results.jsonl"
    code = main(
        [
            "--questions",
            str(questions),
            "--out",
            str(out),
            "--corpus",
            str(tiny_corpus),
            "--index",
            str(tmp_path / "index"),
        ]
    )
    assert code == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["t1", "t2", "t3"]
    expected = {"id", "question", "answer", "abstained", "citations", "latency_ms", "retrieved", "confidence"}
    assert all(expected <= set(r) for r in results)
    assert results[1]["abstained"] is True
    printed = capsys.readouterr().out
    assert "| dev | ALL | 1 | 1.00 | 1.00 | 1.00 |" in printed
    assert "Lena Marsh" in results[2]["answer"]


def test_runner_names_a_bad_question_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a", "question": "ok?"}\n{"id": "a", "question": "dup?"}\n', encoding="utf-8"
    )
    assert main(["--questions", str(questions), "--out", str(tmp_path / "r.jsonl")]) == 1
    assert "q.jsonl:2" in capsys.readouterr().err


def test_compare_and_report_run_every_system_on_the_same_questions(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _write(tmp_path / "q.jsonl", GRADED)
    out = tmp_path / "out" / "results.jsonl"
    report = tmp_path / "report"
    code = main(
        [
            "--questions",
            str(questions),
            "--out",
            str(out),
            "--corpus",
            str(tiny_corpus),
            "--index",
            str(tmp_path / "index"),
            "--compare",
            "--report",
            str(report),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    for split in ("dev", "test"):
        for system in ("ours", "bm25", "dense", "llama-index"):
            assert f"| {split} | {system} | " in printed
    assert "| dev | ours − llama-index |" in printed
    peer = [json.loads(line) for line in (out.parent / "results.llama-index.jsonl").read_text().splitlines()]
    assert [r["id"] for r in peer] == [line["id"] for line in GRADED]
    assert all(len(r["citations"]) == 1 and r["retrieved"] for r in peer)
    assert {r["citations"][0]["source"] for r in peer} <= {
        "harbour-cranes.txt",
        "river-ferries.md",
        "warehouse-page.html",
    }
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "## Systems side by side" in text and "## Failed questions (ours)" in text
    assert all(
        (report / name).is_file()
        for name in ("categories.png", "latency.png", "retrieval.png", "calibration.png")
    )


def test_calibrate_baseline_and_gate_from_the_command_line(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = _write(tmp_path / "q.jsonl", GRADED)
    common = ["--questions", str(questions), "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index")]
    assert main([*common, "--calibrate"]) == 0
    printed = capsys.readouterr().out
    assert "answer.min_confidence = " in printed and "reproduces the real run" in printed
    baseline = tmp_path / "baseline.json"
    assert main([*common, "--gate", "--baseline", str(baseline)]) == 1
    assert "create it deliberately" in capsys.readouterr().err
    assert main([*common, "--update-baseline", "--baseline", str(baseline)]) == 0
    assert set(json.loads(baseline.read_text())["questions"]) == {"t1", "t2", "t4", "t5", "t6"}
    assert main([*common, "--gate", "--baseline", str(baseline)]) == 0
    assert "gate: passed on 5 questions" in capsys.readouterr().out


def test_a_question_that_breaks_the_system_does_not_end_the_run() -> None:
    from eval.compare import answer_questions
    from eval.questions import Question

    class Fragile:
        name = "fragile"

        def ask(self, question: str):  # type: ignore[no-untyped-def]
            if "boom" in question:
                raise RuntimeError("the index vanished")
            from bot.types import Answer

            return Answer("fine", (), (), False)

    results = answer_questions(Fragile(), [Question("a", "boom?"), Question("b", "calm?")])  # type: ignore[arg-type]
    assert results[0]["error"] == "RuntimeError: the index vanished" and results[0]["abstained"] is True
    assert results[1]["answer"] == "fine"
