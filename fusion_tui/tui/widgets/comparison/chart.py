"""The comparison's overlay chart: the metric against load, one line per group, log
scale, each point's 95% interval as a bar (the spread across seeds)."""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from fusion_tui.base.textsafe import one_line
from fusion_tui.comparison.compare import Comparison

MAX_LINES = 12  # more lines than this cannot be told apart in a terminal
COLORS = ("blue+", "red+", "green+", "orange", "magenta+", "cyan+", "yellow", "white")
LABELS = {"blocking": "Blocking probability", "bit_rate_blocking": "Bit-rate blocking"}


class ComparisonChart(PlotextPlot):
    """Draws a `Comparison`; redraws only when it changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: object = None
        self._comparison: Comparison | None = None

    def on_mount(self) -> None:
        self._draw()

    def show(self, comparison: Comparison) -> None:
        key = (comparison.metric, [(g.label, [(p.erlang, p.summary) for p in g.points])
                                   for g in comparison.groups])
        if key != self._shown:
            self._shown, self._comparison = key, comparison
            self._draw()

    def _draw(self) -> None:
        """Plots log10 of the values on a linear axis with decade ticks: plotext's own log
        scale transforms its stored data on every build, so a second frame fails."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        comparison = self._comparison
        metric = comparison.metric if comparison else "blocking"
        plt.title(f"{LABELS[metric]} vs load (log scale)")
        plt.xlabel("Erlang")
        groups = comparison.groups[:MAX_LINES] if comparison else []
        if comparison and len(comparison.groups) > MAX_LINES:
            plt.title(f"{LABELS[metric]} vs load (log scale): the first {MAX_LINES} of "
                      f"{len(comparison.groups)} groups (g: another grouping)")
        lows: list[float] = []
        xs = sorted({p.erlang for g in groups for p in g.points})
        if len(xs) > 1:  # room at both ends for the interval bars
            margin = (xs[-1] - xs[0]) * 0.04
            plt.xlim(xs[0] - margin, xs[-1] + margin)
        for i, group in enumerate(groups):
            points = [p for p in group.points if p.summary.mean > 0]
            if not points:
                continue
            color = COLORS[i % len(COLORS)]
            plt.plot([p.erlang for p in points], [math.log10(p.summary.mean) for p in points],
                     marker="braille", color=color, label=one_line(group.label, 40))
            lows += [math.log10(p.summary.mean) for p in points]
            for p in points:  # the interval as a vertical bar
                low, high = p.summary.low, p.summary.high
                if low is not None and high is not None and high > 0:
                    bottom = math.log10(max(low, p.summary.mean / 100))
                    plt.plot([p.erlang, p.erlang], [bottom, math.log10(high)], marker="│",
                             color=color)
                    lows += [bottom, math.log10(high)]
        if not lows:
            plt.title(f"{LABELS[metric]}: no results above 0 yet")
        else:
            low, high = min(lows), max(lows)
            ticks = log_ticks(low, high)
            plt.ylim(min(low, ticks[0]), max(high, ticks[-1]))
            plt.yticks(ticks, [f"{10 ** t:.3g}" for t in ticks])
        self.refresh()


def log_ticks(low: float, high: float) -> list[float]:
    """Tick positions (log10) for values spanning log10 `low`..`high`: decades, else the
    1-2-5 series, else 1..9 per decade, else the two
    steps of 1..9 around the range. Sparse on purpose: two labels that land on one
    terminal row overwrite each other, and which one wins is not for us to leave open."""
    decades = range(math.floor(low), math.ceil(high) + 1)
    for mantissas in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [math.log10(m) + e for e in decades for m in mantissas]
        inside = [t for t in ticks if low <= t <= high]
        if len(inside) >= (3 if mantissas == (1,) else 2):
            return inside
    # A range narrower than one step of 1..9: the steps on either side of it.
    below = max(t for t in ticks if t <= low)
    return [below, min(t for t in ticks if t >= high and t > below)]

