"""The comparison's tables: the numbers (mean and 95% interval per group and load, and
Welch's test between two groups) and the parameters that differ between groups, with
each group's line as the chart draws it (the chart's legend)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from fusion_tui.base.numbers import difference_text, interval_text, p_statement, value_text
from fusion_tui.comparison.compare import Comparison
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.comparison.chart import MAX_LINES, series_style

Cell = Text | str


class _ComparisonTable(DataTable[Cell]):
    """A striped row table refilled only when what it shows changes: a live reload that
    finds the same numbers must not reset the reader's place (or flicker)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self._shown: list[list[str]] | None = None

    def _show_rows(self, columns: Sequence[Cell], rows: Sequence[Sequence[Cell]]) -> None:
        shown = [[str(c) for c in columns], *([str(c) for c in row] for row in rows)]
        if self._shown == shown:
            return
        self._shown = shown
        self.clear(columns=True)
        self.add_columns(*columns)
        self.add_rows(rows)
        # A table sized by its rows (height: auto) does not always ask for a new layout.
        self.call_after_refresh(self.refresh, layout=True)


class NumbersTable(_ComparisonTable):
    """Mean and 95% interval per group and load; Welch's test when there are two groups."""

    def show(self, comparison: Comparison) -> None:
        rows: list[tuple[Cell, ...]] = []
        for group in comparison.groups:
            for point in group.points:
                s = point.summary
                rows.append((safe(group.label, 50), f"{point.erlang:g}",
                             value_text(s.mean, s.low, s.high), interval_text(s.low, s.high),
                             f"{s.n}" + (" iter" if point.basis == "iterations"
                                                   else "")))
        if len(comparison.groups) == 2:
            for test in comparison.tests:
                rows.append((Text("G1 - G2", style="bold"), f"{test.erlang:g}",
                             difference_text(test.difference,
                                             *comparison.intervals_at(test.erlang)),
                             f"{p_statement(test.p_value)} (Welch)", test.basis))
        self._show_rows(["group", "Erlang", "mean", "95% interval", "n"], rows)


class ParamsTable(_ComparisonTable):
    """One row per group, one column per parameter that differs between groups, and the
    tags of its runs once any has one; hidden when there is neither. Its first column
    draws each group's line as the chart does, so it is the chart's legend (beside the
    data, never over it)."""

    def show(self, comparison: Comparison) -> None:
        tagged = any(group.tags for group in comparison.groups)
        columns: list[Cell] = ["line", "group",
                               *(safe(k, 40) for k, _ in comparison.differing),
                               *(["tags"] if tagged else [])]
        rows = [(series_style(i).sample() if i < MAX_LINES else Text(""),
                 safe(group.label, 40), *(safe(values[i], 24)
                                          for _, values in comparison.differing),
                 *([safe(" ".join(group.tags) or "-", 60)] if tagged else []))
                for i, group in enumerate(comparison.groups)]
        self._show_rows(columns, rows)
        self.display = bool(comparison.differing) or tagged
