"""Has it converged? For a run, the running mean of a metric over its iterations at each
load, with its 95% interval and FUSION's relative interval width after every iteration;
for a group of runs, the same over its runs' means of their first k iterations (n = runs).
FUSION's early-stop rule (its 90% interval at most 5% of the mean, `sim.stats`) is the
line the width is drawn against, and the first iteration that meets it is marked. And,
per load, how many seeds would bring a group's interval under a relative width.

The stop rule is the built-in simulator's own (`PointStats.reached_fusion_target`), fed
the sample the interval is over: one implementation of FUSION's rule in the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fusion_tui.comparison.compare import Comparison, Group, group_sample
from fusion_tui.comparison.stats import seeds_for_width, summarize
from fusion_tui.runs.results import run_iterations
from fusion_tui.sim.stats import FUSION_STOP_PERCENT, PointStats

STOP_PERCENT = FUSION_STOP_PERCENT  # the line drawn: FUSION's ci_percent_block target


@dataclass(frozen=True)
class Step:
    iteration: int  # 1-based: after this many iterations
    n: int  # values the mean is over (iterations of a run, or runs of a group)
    mean: float
    low: float | None
    high: float | None
    fusion_percent: float | None  # FUSION's ci_percent_block of the sample (None below 2)
    stops: bool  # FUSION's early-stop rule is met here


@dataclass(frozen=True)
class Series:
    """One group's (or run's) convergence at one load."""

    label: str
    erlang: float
    over: str  # "iterations" or "runs"
    steps: list[Step]

    @property
    def first_stop(self) -> int | None:
        """The first iteration at which FUSION would have stopped this load."""
        return next((s.iteration for s in self.steps if s.stops), None)


def step(iteration: int, sample: list[float]) -> Step:
    """The running statistics of `sample` after `iteration` iterations."""
    summary = summarize(sample)
    rule = PointStats(0.0, blocking=list(sample))
    percent = rule.fusion_ci[1] if len(sample) >= 2 and summary.mean > 0 else None
    return Step(iteration, len(sample), summary.mean, summary.low, summary.high, percent,
                rule.reached_fusion_target())


def _iterations(group: Group, erlang: float, metric: str) -> list[list[float]]:
    return [values for r in group.runs if erlang in r.results
            if (values := run_iterations(Path(r.run.run_dir) / "output", erlang, metric))]


def group_series(group: Group, erlang: float, metric: str) -> Series | None:
    """A group's convergence at a load: over a single run's iterations, or for several
    runs over their means of their first k iterations (runs with fewer than k drop out);
    None when its runs kept no per-iteration values there."""
    per_run = _iterations(group, erlang, metric)
    if not per_run:
        return None
    if len(per_run) == 1:
        values = per_run[0]
        return Series(group.label, erlang, "iterations",
                      [step(k, values[:k]) for k in range(1, len(values) + 1)])
    longest = max(len(v) for v in per_run)
    steps = []
    for k in range(1, longest + 1):
        means = [sum(v[:k]) / k for v in per_run if len(v) >= k]
        steps.append(step(k, means))
    return Series(group.label, erlang, "runs", steps)


def convergence(comparison: Comparison) -> list[Series]:
    """Every group's series at every load (groups in order, loads ascending)."""
    out = []
    for group in comparison.groups:
        for point in group.points:
            series = group_series(group, point.erlang, comparison.metric)
            if series is not None:
                out.append(series)
    return out


@dataclass(frozen=True)
class SeedsNeeded:
    label: str
    erlang: float
    have: int
    width: float | None  # the relative width now ((high - low) / mean)
    needed: int | None  # seeds for the target width; None: cannot be told

    @property
    def more(self) -> int | None:
        return None if self.needed is None else max(0, self.needed - self.have)


def seeds_needed(comparison: Comparison, target: float) -> list[SeedsNeeded]:
    """Per group and load: the relative width of the 95% interval over runs now, and the
    seeds that (with the spread seen so far) would bring it to at most `target`."""
    out = []
    for group in comparison.groups:
        for point in group.points:
            sample, basis = group_sample(group, point.erlang, comparison.metric)
            if basis != "runs":
                sample = [point.summary.mean]  # one run: no spread across seeds yet
            s = summarize(sample)
            width = None if s.low is None or s.high is None or s.mean <= 0 else \
                (s.high - s.low) / s.mean
            out.append(SeedsNeeded(group.label, point.erlang, len(sample), width,
                                   seeds_for_width(sample, target)))
    return out
