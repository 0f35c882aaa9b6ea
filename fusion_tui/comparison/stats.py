"""Summaries and tests over samples: mean with a 95% interval, and Welch's t-test.

Welch's test does not assume equal variances, which suits blocking probabilities of two
algorithms (their spread differs with their level); its p-value comes from
`sim.student_t` (standard library only: no SciPy for one distribution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fusion_tui.sim.stats import ci_half_width, mean_variance
from fusion_tui.sim.student_t import t_two_sided_p


@dataclass(frozen=True)
class Summary:
    mean: float
    low: float | None
    high: float | None
    n: int


def summarize(values: list[float]) -> Summary:
    """Mean and 95% interval (Student's t) of a sample; no interval below two values."""
    mean, _ = mean_variance(values)
    half = ci_half_width(values)
    if half is None:
        return Summary(mean, None, None, len(values))
    return Summary(mean, mean - half, mean + half, len(values))


@dataclass(frozen=True)
class WelchResult:
    difference: float  # mean(a) - mean(b)
    t: float | None
    df: float | None
    p_value: float | None


def welch(a: list[float], b: list[float]) -> WelchResult:
    """Welch's two-sided t-test of equal means; p is None when it is undefined (fewer
    than two values in a sample, or no spread in either)."""
    mean_a, var_a = mean_variance(a)
    mean_b, var_b = mean_variance(b)
    difference = mean_a - mean_b
    if len(a) < 2 or len(b) < 2:
        return WelchResult(difference, None, None, None)
    se_a, se_b = var_a / len(a), var_b / len(b)
    if se_a + se_b == 0:
        return WelchResult(difference, None, None, None)
    t = difference / math.sqrt(se_a + se_b)
    df = (se_a + se_b) ** 2 / ((se_a**2 / (len(a) - 1) if se_a else 0.0)
                               + (se_b**2 / (len(b) - 1) if se_b else 0.0))
    return WelchResult(difference, t, df, t_two_sided_p(t, df))
