"""Bootstrap confidence intervals, so a one-question change is not read as progress.

`paired_bootstrap` compares two systems on the same questions (resampling questions, keeping the pair);
`unpaired_bootstrap` compares two different question sets (the dev and test halves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """An observed difference `a − b` of means and its bootstrap confidence interval."""

    difference: float
    low: float
    high: float
    confidence: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the data support a real difference at this confidence (the interval misses 0)."""
        return self.low > 0 or self.high < 0

    def describe(self) -> str:
        """'+0.05 [+0.01, +0.09]', with a star when the interval excludes zero."""
        star = " *" if self.excludes_zero else ""
        return f"{self.difference:+.2f} [{self.low:+.2f}, {self.high:+.2f}]{star}"


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], resamples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """Mean of `a − b` over paired per-question scores, with a percentile bootstrap interval.

    >>> paired_bootstrap([1, 1, 0, 1], [1, 0, 0, 1]).difference
    0.25
    """
    first, second = _as_arrays(a, b, paired=True)
    _check(resamples, confidence)
    differences = first - second
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(differences), size=(resamples, len(differences)))
    means = differences[rows].mean(axis=1)
    return _interval(float(differences.mean()), means, confidence)


def unpaired_bootstrap(
    a: Sequence[float], b: Sequence[float], resamples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """Difference of means of two independent samples, each resampled on its own."""
    first, second = _as_arrays(a, b, paired=False)
    _check(resamples, confidence)
    rng = np.random.default_rng(seed)
    means_a = first[rng.integers(0, len(first), size=(resamples, len(first)))].mean(axis=1)
    means_b = second[rng.integers(0, len(second), size=(resamples, len(second)))].mean(axis=1)
    return _interval(float(first.mean() - second.mean()), means_a - means_b, confidence)


def _as_arrays(a: Sequence[float], b: Sequence[float], paired: bool) -> tuple[np.ndarray, np.ndarray]:
    if not len(a) or not len(b):
        raise ValueError("bootstrap needs at least one score on each side; check that the systems answered")
    if paired and len(a) != len(b):
        raise ValueError(
            f"paired bootstrap needs one score per question on both sides, got {len(a)} and {len(b)}; "
            "score both systems on the same questions"
        )
    return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


def _check(resamples: int, confidence: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")


def _interval(observed: float, means: np.ndarray, confidence: float) -> Interval:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(observed, float(low), float(high), confidence)
