"""The comparison's overlay chart: the metric against load, one line per group, log
scale, each point's spread as a bar (its 95% interval across seeds by default; mean +- 1
sd or min-max as the comparison's spread says).

Each group has its own marker and line style as well as its colour, so the lines stay
apart without colour (NO_COLOR) and where two colours look alike (16 colours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from rich.text import Text
from textual.events import Resize
from textual_plotext import PlotextPlot

from fusion_tui.comparison.compare import Comparison

# Drawn at each load of a group; one per group, so a group is known by its marker alone.
MARKERS = ("●", "■", "▲", "◆", "○", "□", "△", "◇", "+", "x", "*", "#")
MAX_LINES = len(MARKERS)  # more lines than this cannot be told apart in a terminal
# How a group's points are joined, and the legend's picture of it.
LINES = {"solid": "─", "dashed": "╍", "dotted": "·", "thick": "━"}
# Colours (Rich's names; the plot takes plotext's) that stay apart in the app's dark and
# light ANSI themes, where red and magenta, or yellow and orange, can be one colour.
COLORS = ("bright_cyan", "bright_red", "bright_green", "yellow", "bright_blue",
          "bright_yellow", "white")
LABELS = {"blocking": "Blocking probability", "bit_rate_blocking": "Bit-rate blocking"}
DASH_CELLS = 4.0  # a dash and its gap, in terminal cells along the line


@dataclass(frozen=True)
class SeriesStyle:
    """How one group is drawn: its marker, line style and colour."""

    marker: str
    line: str  # a key of LINES
    color: str  # a Rich colour name

    @property
    def plot_color(self) -> str:
        """The colour as plotext names it (`bright_red` is `red+`)."""
        name = self.color.removeprefix("bright_")
        return f"{name}+" if name != self.color else name

    def sample(self) -> Text:
        """The legend's picture of the line: `──●──`, `╍╍■╍╍`, `··▲··`, `━━◆━━`."""
        line = LINES[self.line] * 2
        return Text(f"{line}{self.marker}{line}", style=f"bold {self.color}")


def series_style(index: int) -> SeriesStyle:
    """The style of the `index`th group: markers never repeat (up to `MAX_LINES`); line
    styles and colours cycle, so no two groups share all three."""
    lines = list(LINES)
    return SeriesStyle(MARKERS[index % len(MARKERS)], lines[index % len(lines)],
                       COLORS[index % len(COLORS)])


class ComparisonChart(PlotextPlot):
    """Draws a `Comparison`, without labels: the groups' legend is the table of what
    differs between them, under the chart (`ParamsTable`), so it never covers a line.
    Redraws only when the comparison changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: object = None
        self._comparison: Comparison | None = None
        self.series_styles: list[SeriesStyle] = []
        """The style of each group drawn, in the comparison's order."""

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self, _event: Resize) -> None:
        self._draw()  # dashes are spaced in cells

    def show(self, comparison: Comparison) -> None:
        key = (comparison.metric, [(g.label, [(p.erlang, p.summary, p.spread)
                                               for p in g.points])
                                   for g in comparison.groups])
        if key != self._shown:
            self._shown, self._comparison = key, comparison
            self.series_styles = [series_style(i) for i in range(min(len(comparison.groups),
                                                                 MAX_LINES))]
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
        lines: list[tuple[SeriesStyle, list[float], list[float]]] = []
        bars: list[tuple[SeriesStyle, float, float, float]] = []
        lows: list[float] = []
        xs = sorted({p.erlang for g in groups for p in g.points})
        if len(xs) > 1:  # room at both ends for the interval bars
            margin = (xs[-1] - xs[0]) * 0.04
            plt.xlim(xs[0] - margin, xs[-1] + margin)
        for group, style in zip(groups, self.series_styles, strict=False):
            points = [p for p in group.points if p.summary.mean > 0]
            if not points:
                continue
            ys = [math.log10(p.summary.mean) for p in points]
            lines.append((style, [p.erlang for p in points], ys))
            lows += ys
            for p in points:  # the spread as a vertical bar
                low, high = p.spread
                if low is not None and high is not None and high > 0:
                    bottom = math.log10(max(low, p.summary.mean / 100))
                    bars.append((style, p.erlang, bottom, math.log10(high)))
                    lows += [bottom, math.log10(high)]
        if not lows:
            plt.title(f"{LABELS[metric]}: no results above 0 yet")
            self.refresh()
            return
        low, high = min(lows), max(lows)
        ticks = log_ticks(low, high)
        y_range = (min(low, ticks[0]), max(high, ticks[-1]))
        plt.ylim(*y_range)
        plt.yticks(ticks, [f"{10 ** t:.3g}" for t in ticks])
        x_range = (xs[0] - 1, xs[-1] + 1) if len(xs) == 1 else (xs[0], xs[-1])
        for style, line_xs, line_ys in lines:
            self._line(style, line_xs, line_ys, x_range, y_range)
        for style, x, bottom, top in bars:
            plt.plot([x, x], [bottom, top], marker="│", color=style.plot_color)
        for style, line_xs, line_ys in lines:  # markers last: on top of every line
            plt.scatter(line_xs, line_ys, marker=style.marker, color=style.plot_color)
        self.refresh()

    def _line(self, style: SeriesStyle, xs: list[float], ys: list[float],
              x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        plt, color = self.plt, style.plot_color
        if style.line != "dashed":
            marker = {"solid": "braille", "dotted": "·", "thick": "hd"}[style.line]
            plt.plot(xs, ys, marker=marker, color=color)
            return
        # Cells the plot spans (about: its frame and tick labels take some); a cell is
        # about twice as tall as wide, which is what makes a dash look the same any way.
        width, height = max(20, self.size.width - 10), max(5, self.size.height - 5)
        x_span = (x_range[1] - x_range[0]) or 1.0
        y_span = (y_range[1] - y_range[0]) or 1.0
        for (x0, y0), (x1, y1) in pairwise(zip(xs, ys, strict=True)):
            cells = math.hypot((x1 - x0) / x_span * width, (y1 - y0) / y_span * height * 2)
            dashes = max(1, round(cells / DASH_CELLS))
            for k in range(dashes):
                t0, t1 = k / dashes, (k + 0.5) / dashes
                plt.plot([x0 + (x1 - x0) * t0, x0 + (x1 - x0) * t1],
                         [y0 + (y1 - y0) * t0, y0 + (y1 - y0) * t1], marker="hd",
                         color=color)


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
