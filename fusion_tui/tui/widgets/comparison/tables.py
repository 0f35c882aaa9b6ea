"""The comparison's tables: the numbers (the paper's load x group table), the tests behind
its marks, and the parameters that differ between groups, with each group's line as the
chart draws it (the chart's legend)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from fusion_tui.base.numbers import difference_text, p_value_text, value_text
from fusion_tui.comparison.compare import Comparison
from fusion_tui.comparison.table import build_table, cell_text, percent_text
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.comparison.chart import MAX_LINES, series_style

Cell = Text | str


class RefillingTable(DataTable[Cell]):
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


class NumbersTable(RefillingTable):
    """The paper's table (`comparison/table.py`): a row per load, a column per group, each
    cell the mean with its spread and significance mark; under each load the differences
    to the baseline when there is one."""

    def show(self, comparison: Comparison) -> None:
        table = build_table(comparison)
        columns: list[Cell] = ["Erlang", *(safe(c.label, 40) for c in table.columns)]
        rows: list[tuple[Cell, ...]] = []
        if any(c.note for c in table.columns):
            rows.append(("", *(Text(c.note, style="italic") for c in table.columns)))
        for row in table.rows:
            rows.append((f"{row.erlang:g}", *(cell_text(c) for c in row.cells)))
            if table.has_baseline:
                rows.append((Text("vs baseline", style="bold"),
                             *(c.relative for c in row.cells)))
        self._show_rows(columns, rows)


class TestsTable(RefillingTable):
    """The tests behind the marks: per load each pair (or each group against the
    baseline), the difference with its interval, the test used, p raw and Holm-adjusted,
    the effect size; the legend of the marks as the first row."""

    def show(self, comparison: Comparison) -> None:
        rows: list[tuple[Cell, ...]] = []
        for t in comparison.tests:
            intervals = comparison.intervals_at(t.erlang)
            r = t.result
            interval = "-" if r.low is None or r.high is None else \
                f"[{difference_text(r.low, *intervals)}, {difference_text(r.high, *intervals)}]"
            rows.append((f"{t.erlang:g}", f"G{t.a + 1} - G{t.b + 1}",
                         difference_text(t.difference, *intervals), interval,
                         p_value_text(t.p_adjusted), p_value_text(t.p_value),
                         "-" if r.effect is None else f"{r.effect_name} = {value_text(r.effect)}",
                         t.pairing, "-" if t.relative is None else percent_text(*t.relative)))
        self._show_rows(["Erlang", "pair", "difference", "95% interval", "p (Holm)", "p",
                         "effect", "test", "relative"], rows)
        self.display = bool(rows)


class ParamsTable(RefillingTable):
    """One row per group, one column per parameter that differs between groups, and the
    tags of its runs once any has one; hidden when there is neither. Its first column
    draws each group's line as the chart does, so it is the chart's legend (beside the
    data, never over it)."""

    def show(self, comparison: Comparison) -> None:
        tagged = any(group.tags for group in comparison.groups)
        columns: list[Cell] = ["line", "", "group",
                               *(safe(k, 40) for k, _ in comparison.differing),
                               *(["tags"] if tagged else [])]
        rows: list[tuple[Cell, ...]] = [
            (series_style(i).sample() if i < MAX_LINES else Text(""), f"G{i + 1}",
             _group_label(comparison, i), *(safe(values[i], 24)
                                            for _, values in comparison.differing),
             *([safe(" ".join(group.tags) or "-", 60)] if tagged else []))
            for i, group in enumerate(comparison.groups)]
        self._show_rows(columns, rows)
        self.display = bool(comparison.differing) or tagged


def _group_label(comparison: Comparison, index: int) -> Text:
    """The group's label, `(baseline)` on the baseline, and what it pools."""
    group = comparison.groups[index]
    text = safe(group.label, 40)
    if index == comparison.baseline:
        text.append(" (baseline)", style="bold")
    if group.pools:
        text.append("  ")
        text.append_text(safe(group.pools_text, 60))
    return text
