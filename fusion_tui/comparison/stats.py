"""Summaries and tests over samples: mean with a 95% interval (or another spread), the
difference of two groups with its interval (paired over common seeds, else Welch), Holm's
correction over several tests, and how many more seeds an interval needs.

Welch's test does not assume equal variances, which suits blocking probabilities of two
algorithms (their spread differs with their level). Runs that share a seed ran on the
same traffic (common random numbers): their per-seed differences cancel most of the
traffic's variance, so the paired test is used whenever the seeds match. p-values come
from `sim.student_t` (standard library only: no SciPy at run time).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fusion_tui.sim.stats import ci_half_width, mean_variance
from fusion_tui.sim.student_t import t_critical, t_two_sided_p

Z975 = 1.959963984540054  # the normal distribution's 97.5% point

SPREADS = ("interval", "sd", "minmax")
ROUNDING = 1e-12  # a spread this small relative to the values is float rounding, not data


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


def spread_of(values: list[float], spread: str) -> tuple[float | None, float | None]:
    """The bounds a group's point is drawn with: its 95% interval, mean +- one standard
    deviation, or the smallest and largest value; None below two values."""
    if len(values) < 2:
        return None, None
    if spread == "minmax":
        return min(values), max(values)
    mean, var = mean_variance(values)
    half = math.sqrt(var) if spread == "sd" else ci_half_width(values)
    assert half is not None
    return mean - half, mean + half


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


@dataclass(frozen=True)
class Difference:
    """mean(a) - mean(b) with its 95% interval, the test's two-sided p and an effect size:
    Cohen's d (pooled standard deviation) for Welch, d_z (mean over standard deviation of
    the per-seed differences) for the paired test. None where undefined."""

    test: str  # "paired" or "welch"
    difference: float
    low: float | None
    high: float | None
    p_value: float | None
    effect: float | None
    n: int  # pairs (paired), or values in both samples (Welch)

    @property
    def effect_name(self) -> str:
        return "d_z" if self.test == "paired" else "d"


def t95(df: float) -> float:
    """The two-sided 95% critical value of Student's t for any `df` > 0. Whole `df` come
    from `sim.student_t` (cached); a Welch df is fractional and different for every test,
    where its bisection (200 steps, 0.6 ms) would dominate a comparison of many groups, so
    Newton's method from the Cornish-Fisher start solves the same equation in a few steps."""
    if df == int(df):
        return t_critical(int(df))
    z = Z975
    t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df * df)
    log_norm = (math.lgamma((df + 1) / 2) - math.lgamma(df / 2)
                - 0.5 * math.log(df * math.pi))
    for _ in range(30):
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
        step = (t_two_sided_p(t, df) - 0.05) / (2 * density)
        t += step
        if abs(step) <= 1e-14 * t:
            break
    return t


def welch_difference(a: list[float], b: list[float]) -> Difference:
    """Welch's test with the Welch-Satterthwaite interval of the difference."""
    result = welch(a, b)
    n = len(a) + len(b)
    if result.t is None or result.df is None:
        return Difference("welch", result.difference, None, None, None, None, n)
    (_, var_a), (_, var_b) = mean_variance(a), mean_variance(b)
    half = t95(result.df) * math.sqrt(var_a / len(a) + var_b / len(b))
    pooled = math.sqrt(((len(a) - 1) * var_a + (len(b) - 1) * var_b) / (n - 2))
    return Difference("welch", result.difference, result.difference - half,
                      result.difference + half, result.p_value,
                      result.difference / pooled if pooled else None, n)


def paired(a: Sequence[float], b: Sequence[float]) -> Difference:
    """The paired t-test over `a[i] - b[i]` (one pair per common seed)."""
    if len(a) != len(b):
        raise ValueError("paired samples differ in length")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    mean, var = mean_variance(diffs)
    n = len(diffs)
    # Differences equal but for rounding (0.041 - 0.021 and 0.042 - 0.022) have no spread.
    scale = max(max(map(abs, a), default=0.0), max(map(abs, b), default=0.0))
    if n < 2 or math.sqrt(var) <= ROUNDING * scale:
        return Difference("paired", mean, None, None, None, None, n)
    se = math.sqrt(var / n)
    half = t95(n - 1) * se
    return Difference("paired", mean, mean - half, mean + half,
                      t_two_sided_p(mean / se, n - 1), mean / math.sqrt(var), n)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (same order; None stays None and does not count
    as a test): the i-th smallest of m is multiplied by m - i + 1, kept monotone, at most 1."""
    known = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(known)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(known):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def seeds_for_width(values: list[float], target: float, *, limit: int = 10_000) -> int | None:
    """The fewest values (seeds) whose 95% interval, with this sample's mean and standard
    deviation, is at most `target` times the mean wide (relative width, both sides); None
    when it cannot be told (fewer than two values, a mean of 0) or needs more than `limit`."""
    mean, var = mean_variance(values)
    if len(values) < 2 or mean <= 0:
        return None
    sd = math.sqrt(var)
    # t's critical value is above the normal one (1.96), so no fewer than this will do.
    start = max(2, math.floor((2 * 1.959963984540054 * sd / (target * mean)) ** 2))
    for n in range(start, limit + 1):
        if 2 * t_critical(n - 1) * sd / math.sqrt(n) <= target * mean:
            return n
    return None
