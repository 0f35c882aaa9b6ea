"""Convergence at one load, drawn: FUSION's relative interval width after each iteration,
one line per group (each group's marker and colour as on the comparison chart), and
FUSION's early-stop target as a flat line; and the table of every group and load."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual_plotext import PlotextPlot

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.comparison.convergence import STOP_PERCENT, Series
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.comparison.chart import MAX_LINES, series_style
from fusion_tui.tui.widgets.comparison.tables import Cell, RefillingTable


class ConvergenceChart(PlotextPlot):
    """FUSION's width (%) against iteration for `series` (one load), and the stop line."""

    def show(self, series: Sequence[Series], erlang: float | None, labels: Sequence[str]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("iteration")
        plt.title(f"FUSION's interval width (% of the mean) at {erlang:g} Erlang; "
                  f"stop rule: {STOP_PERCENT:g}%" if erlang is not None else
                  "no per-iteration values yet")
        drawn = [(labels.index(s.label), s) for s in series if s.label in labels]
        longest = max((len(s.steps) for _, s in drawn), default=1)
        plt.plot([1, max(2, longest)], [STOP_PERCENT, STOP_PERCENT], marker="-",
                 color="white")
        for index, s in drawn:
            if index >= MAX_LINES:
                continue
            points = [(p.iteration, p.fusion_percent) for p in s.steps
                      if p.fusion_percent is not None]
            if points:
                style = series_style(index)
                plt.plot([x for x, _ in points], [y for _, y in points],
                         marker=style.marker, color=style.plot_color)
        self.refresh()


class ConvergenceTable(RefillingTable):
    """Per group and load: over what, iterations, the last running mean and interval,
    FUSION's width then, and the iteration FUSION would have stopped at."""

    def show(self, series: Sequence[Series], labels: Sequence[str]) -> None:
        rows: list[tuple[Cell, ...]] = []
        for s in series:
            last = s.steps[-1]
            stop = s.first_stop
            width = "-" if last.fusion_percent is None else f"{value_text(last.fusion_percent)}%"
            rows.append((f"G{labels.index(s.label) + 1}", safe(s.label, 40), f"{s.erlang:g}",
                         f"{s.over} ({last.n})", str(len(s.steps)),
                         value_text(last.mean, last.low, last.high),
                         interval_text(last.low, last.high),
                         width,
                         Text(f"iteration {stop}") if stop else Text("not met",
                                                                     style="bold")))
        self._show_rows(["", "group", "Erlang", "over", "iterations", "mean", "95% interval",
                         "FUSION width", "FUSION stops"], rows)
