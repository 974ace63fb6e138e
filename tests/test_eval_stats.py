import pytest

from eval.stats import Interval, paired_bootstrap, unpaired_bootstrap


@pytest.mark.parametrize(
    ("a", "b", "difference", "low", "high"),
    [
        # identical systems: no difference, and no resample can invent one
        ([1, 0, 1, 1], [1, 0, 1, 1], 0.0, 0.0, 0.0),
        # better on every question by the same amount: the interval is that amount exactly
        ([1, 1, 1, 1], [0, 0, 0, 0], 1.0, 1.0, 1.0),
        ([0.5, 0.7], [0.25, 0.45], 0.25, 0.25, 0.25),
        # worse on every question
        ([0, 0, 0], [1, 1, 1], -1.0, -1.0, -1.0),
    ],
)
def test_degenerate_differences_have_exact_intervals(a, b, difference, low, high) -> None:  # type: ignore[no-untyped-def]
    interval = paired_bootstrap(a, b)
    assert (interval.difference, interval.low, interval.high) == pytest.approx((difference, low, high))


def test_one_question_change_is_not_read_as_progress() -> None:
    before = [1.0] * 30 + [0.0] * 20
    after = [*before]
    after[30] = 1.0  # one more question right out of 50
    interval = paired_bootstrap(after, before)
    assert interval.difference == pytest.approx(0.02)
    assert interval.low <= 0.0 < interval.high
    assert not interval.excludes_zero


def test_a_consistent_gain_excludes_zero() -> None:
    before = [0.0] * 25 + [1.0] * 25
    after = [1.0] * 20 + [0.0] * 5 + [1.0] * 25  # 20 questions fixed, none broken
    interval = paired_bootstrap(after, before)
    assert interval.difference == pytest.approx(0.4)
    assert 0.0 < interval.low <= 0.4 <= interval.high
    assert interval.excludes_zero
    assert interval.describe().endswith("*")


def test_pairing_matters() -> None:
    """The same scores, unpaired, give a wider interval: pairing removes the questions' own difficulty."""
    hard_easy = [0.0] * 20 + [1.0] * 20
    improved = [0.0] * 15 + [1.0] * 5 + [1.0] * 20
    paired = paired_bootstrap(improved, hard_easy)
    unpaired = unpaired_bootstrap(improved, hard_easy)
    assert paired.difference == pytest.approx(unpaired.difference)
    assert paired.high - paired.low < unpaired.high - unpaired.low


def test_seeded_and_repeatable() -> None:
    a, b = [1, 0, 1, 1, 0, 1, 0, 1], [0, 0, 1, 0, 1, 1, 0, 0]
    assert paired_bootstrap(a, b, seed=7) == paired_bootstrap(a, b, seed=7)
    assert paired_bootstrap(a, b, seed=7).difference == paired_bootstrap(a, b, seed=8).difference


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        ([1, 0], [1], {}, "one score per question on both sides, got 2 and 1"),
        ([], [], {}, "at least one score on each side"),
        ([1], [1], {"resamples": 0}, "resamples must be at least 1"),
        ([1], [1], {"confidence": 95}, "confidence must be between 0 and 1"),
    ],
)
def test_bad_inputs_say_what_to_fix(a, b, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(a, b, **kwargs)


def test_describe() -> None:
    assert Interval(0.05, -0.01, 0.11, 0.95).describe() == "+0.05 [-0.01, +0.11]"
    assert Interval(-0.2, -0.3, -0.1, 0.95).describe() == "-0.20 [-0.30, -0.10] *"
