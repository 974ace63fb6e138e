"""The report from hand-made results: no model needed, so it runs in a second."""

from pathlib import Path
from typing import Any

from eval.calibrate import study_thresholds
from eval.compare import SystemRun
from eval.metrics import score_all
from eval.questions import Gold, Question
from eval.report import write_report

QUESTIONS = [
    Question(
        "q1",
        "Who implements it?",
        "fact",
        (("DWEA",), ("DIFE",)),
        (Gold("a.txt", "are the partners"),),
        split="dev",
    ),
    Question(
        "q2", "How many inspections?", "number", (("102",),), (Gold("a.txt", "102 inspections"),), split="dev"
    ),
    Question("q3", "Cake recipe?", "unanswerable", abstain=True, split="test"),
    Question(
        "q4", "When did it start?", "date", (("2018",),), (Gold("b.txt", "started in 2018"),), split="test"
    ),
]
PARTNERS = {"source": "a.txt", "text": "DWEA and DIFE are the partners."}
INSPECTIONS = {"source": "a.txt", "text": "Over four months, 102 inspections were conducted."}
START = {"source": "b.txt", "text": "The programme started in 2018 in Dhaka."}
OTHER = {"source": "c.txt", "text": "Phase 2 introduced targeted inspections in construction."}


def _result(
    qid: str,
    answer: str,
    cited: list[dict[str, Any]],
    retrieved: list[dict[str, Any]],
    abstained: bool = False,
    confidence: float = 0.8,
    latency: float = 15.0,
) -> dict[str, Any]:
    sentences = [{"text": answer, "citation": 0}] if cited and not abstained else []
    return {
        "id": qid,
        "answer": answer,
        "abstained": abstained,
        "citations": cited,
        "sentences": sentences,
        "retrieved": retrieved,
        "confidence": confidence,
        "latency_ms": latency,
    }


OURS = [
    _result("q1", "DWEA and DIFE are the partners.", [PARTNERS], [PARTNERS, OTHER]),
    _result(
        "q2",
        "Phase 2 introduced targeted inspections in construction.",
        [OTHER],
        [OTHER, INSPECTIONS],
        confidence=0.55,
    ),
    _result(
        "q3", "Phase 2 introduced targeted inspections in construction.", [OTHER], [OTHER], confidence=0.52
    ),
    _result("q4", "The programme started in 2018 in Dhaka.", [START], [START]),
]
PEER = [
    _result("q1", "DWEA and DIFE are the partners.", [PARTNERS], [PARTNERS], latency=30.0),
    _result(
        "q2", "Over four months, 102 inspections were conducted.", [INSPECTIONS], [INSPECTIONS], latency=30.0
    ),
    _result("q3", "Phase 2 introduced targeted inspections in construction.", [OTHER], [OTHER], latency=30.0),
    _result(
        "q4",
        "Phase 2 introduced targeted inspections in construction.",
        [OTHER],
        [OTHER, START],
        latency=30.0,
    ),
]


def _run(name: str, results: list[dict[str, Any]]) -> SystemRun:
    return SystemRun(name, f"{name} system", tuple(results), tuple(score_all(QUESTIONS, results)))


def test_report_lists_every_failure_with_answer_gold_and_rank(tmp_path: Path) -> None:
    runs = [_run("ours", OURS), _run("peer", PEER)]
    study = study_thresholds(QUESTIONS, OURS, current_threshold=0.5, real_results=OURS)
    path = write_report(tmp_path / "report", QUESTIONS, runs, study, "Test note.")
    text = path.read_text(encoding="utf-8")
    assert "## Failed questions (ours): 2 of 4" in text
    assert "### q2 (dev, number): How many inspections?" in text
    assert "missing '102'; gold passage not cited" in text
    assert "retrieved at rank 2 of 2, not cited" in text
    assert "“102 inspections”" in text and "ranked first instead (c.txt)" in text
    assert "- **right in**: peer" in text
    assert "### q3 (test, unanswerable): Cake recipe?" in text and "unanswerable but answered" in text
    assert "### q1" not in text and "### q4" not in text
    assert "| dev | ours − peer |" in text  # the paired bootstrap differences
    assert "answer.min_confidence chosen on dev" in text and "Test note." in text
    for plot in ("categories.png", "latency.png", "retrieval.png", "calibration.png"):
        data = (tmp_path / "report" / plot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, plot
        assert f"]({plot})" in text


def test_a_report_of_one_system_has_no_differences_section(tmp_path: Path) -> None:
    text = write_report(tmp_path, QUESTIONS, [_run("ours", OURS)]).read_text(encoding="utf-8")
    assert "Are the differences real?" not in text and "right in" not in text
    assert not (tmp_path / "calibration.png").exists()
