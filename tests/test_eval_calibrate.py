import math

import pytest

from eval.calibrate import (
    RefusalPoint,
    choose_threshold,
    curve_thresholds,
    refusal_points,
    score_at,
    study_thresholds,
)
from eval.questions import Gold, Question


def _answerable(qid: str, confidence: float | None, right: bool = True) -> RefusalPoint:
    return RefusalPoint(qid, confidence, True, right)


def _unanswerable(qid: str, confidence: float | None) -> RefusalPoint:
    return RefusalPoint(qid, confidence, False, False)


POINTS = [
    _answerable("a1", 0.9),
    _answerable("a2", 0.7),
    _answerable(
        "a3", 0.4, right=False
    ),  # a wrong answer with weak evidence: better refused... but it is answerable
    _unanswerable("u1", 0.3),
    _unanswerable("u2", 0.6),
]


@pytest.mark.parametrize(
    ("threshold", "overall", "has_ans", "no_ans"),
    [
        (0.0, 2 / 5, 2 / 3, 0.0),  # answers everything: both unanswerable wrong
        (0.35, 3 / 5, 2 / 3, 1 / 2),  # refuses u1
        (0.65, 4 / 5, 2 / 3, 1.0),  # refuses u1, a3, u2: a3 was wrong anyway
        (0.8, 3 / 5, 1 / 3, 1.0),  # refuses a2, which was right
        (1.0, 2 / 5, 0.0, 1.0),  # refuses everything
    ],
)
def test_score_at(threshold: float, overall: float, has_ans: float, no_ans: float) -> None:
    score = score_at(POINTS, threshold)
    assert (score.overall, score.has_ans, score.no_ans) == pytest.approx((overall, has_ans, no_ans))


def test_confidence_equal_to_the_threshold_is_answered() -> None:
    """The product refuses below the threshold, so a score equal to it answers."""
    assert score_at([_answerable("a", 0.5)], 0.5).has_ans == 1.0
    assert score_at([_unanswerable("u", 0.5)], 0.5).no_ans == 0.0


def test_the_curve_steps_at_each_confidence() -> None:
    assert curve_thresholds(POINTS) == [0.0, 0.3, 0.4, 0.6, 0.7, 0.9, 0.9001]
    assert curve_thresholds([_answerable("a", None)]) == [0.0]


def test_the_best_threshold_is_chosen() -> None:
    calibration = choose_threshold(POINTS)
    assert calibration.best.threshold == pytest.approx(0.65)
    assert calibration.best.overall == pytest.approx(4 / 5)
    assert calibration.questions == 5


def test_a_perfect_gap_takes_its_middle() -> None:
    points = [
        _unanswerable("u1", 0.1),
        _unanswerable("u2", 0.2),
        _unanswerable("u3", 0.3),
        _answerable("a1", 0.4),
        _answerable("a2", 0.5),
    ]
    # any threshold in (0.3, 0.4] separates them perfectly
    assert choose_threshold(points).best.threshold == pytest.approx(0.35)


def test_ties_take_the_middle_of_the_widest_range_not_zero() -> None:
    points = [
        _answerable("a1", 0.628),
        _unanswerable("u1", 0.7103),
        _answerable("a2", 0.7206),
        _answerable("a3", 0.7249),
    ]
    # 3 of 4 right for any threshold in [0, 0.628] (all answered) and in (0.7103, 0.7206] (only a1 and u1
    # refused): the wide range wins, and its middle, not its edge at 0
    calibration = choose_threshold(points)
    assert calibration.best.threshold == pytest.approx(0.314)
    assert calibration.best.overall == pytest.approx(3 / 4)
    nothing_right = [_answerable(f"a{i}", c, right=False) for i, c in enumerate((0.2, 0.4, 0.6, 0.8))]
    assert choose_threshold(nothing_right).best.threshold == pytest.approx(0.4, abs=1e-4)


def test_refused_without_evidence_is_always_refused() -> None:
    points = [_unanswerable("u", None), _answerable("a", None)]
    assert score_at(points, 0.0).no_ans == 1.0 and score_at(points, 0.0).has_ans == 0.0


def test_nothing_to_calibrate_is_an_error() -> None:
    with pytest.raises(ValueError, match="no graded questions"):
        choose_threshold([])


QUESTIONS = [
    Question("d1", "Who?", "fact", (("DWEA",),), (Gold("a.txt", "x"),), split="dev"),
    Question("d2", "Cake?", "unanswerable", abstain=True, split="dev"),
    Question("t1", "Who else?", "fact", (("DIFE",),), split="test"),
    Question("t2", "Pie?", "unanswerable", abstain=True, split="test"),
    Question("x", "Ungraded?", split="dev"),
]
ZERO_RUN = [
    {"id": "d1", "answer": "DWEA does.", "abstained": False, "confidence": 0.8},
    {"id": "d2", "answer": "Some text.", "abstained": False, "confidence": 0.4},
    {"id": "t1", "answer": "DIFE does.", "abstained": False, "confidence": 0.55},
    {"id": "t2", "answer": "Other text.", "abstained": False, "confidence": 0.7},
    {"id": "x", "answer": "?", "abstained": False, "confidence": 0.1},
]


def test_refusal_points_read_results_of_a_zero_threshold_run() -> None:
    points = refusal_points(QUESTIONS, ZERO_RUN)
    assert [p.question_id for p in points] == ["d1", "d2", "t1", "t2"]  # the ungraded line is left out
    assert points[0] == RefusalPoint("d1", 0.8, True, True)
    assert points[1] == RefusalPoint("d2", 0.4, False, False)


def test_study_chooses_on_dev_and_only_measures_test() -> None:
    real = [
        {"id": "d1", "abstained": False},
        {"id": "d2", "abstained": True},
        {"id": "t1", "abstained": False},
        {"id": "t2", "abstained": False},
    ]
    study = study_thresholds(QUESTIONS, ZERO_RUN, current_threshold=0.5, real_results=real)
    assert study.chosen.questions == 2
    assert study.chosen.best.threshold == pytest.approx(0.6)  # between d2 (0.4) and d1 (0.8)
    assert study.chosen.best.overall == 1.0
    assert study.test_at_chosen is not None and study.test_at_chosen.overall == pytest.approx(0.0)
    assert study.mismatched == ()
    assert "0.6000" in study.describe() and "reproduces the real run" in study.describe()


def test_study_flags_an_answerer_that_does_not_refuse_by_the_threshold() -> None:
    real = [{"id": "d1", "abstained": True}, {"id": "d2", "abstained": True}]
    study = study_thresholds(QUESTIONS, ZERO_RUN, current_threshold=0.5, real_results=real)
    assert study.mismatched == ("d1",)
    assert "check FAILED" in study.describe()


def test_study_needs_dev_questions() -> None:
    with pytest.raises(ValueError, match="'dev' split"):
        study_thresholds([q for q in QUESTIONS if q.split == "test"], ZERO_RUN, 0.5)
    assert math.isnan(score_at([], 0.5).overall)
