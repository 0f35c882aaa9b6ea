"""Comparison of a sweep's groups, or of runs marked on the run list: the overlay chart,
the numbers, the parameters that differ between groups; metric and grouping switches and
export by key. Live: it re-reads results while runs go."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from fusion_tui.comparison.compare import Comparison, RunData, compare, default_keys, load_runs
from fusion_tui.comparison.export import write_export
from fusion_tui.runs.results import METRICS
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.comparison_chart import ComparisonChart
from fusion_tui.tui.widgets.key_bar import KeyBar

RELOAD_SECONDS = 2.0


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


class ComparisonScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="comparison.back"),
        Binding("b", "next_metric", "Metric", id="comparison.metric"),
        Binding("g", "next_grouping", "Grouping", id="comparison.grouping"),
        Binding("t", "toggle_table", "Chart/numbers", id="comparison.table"),
        Binding("e", "export", "Export CSV", id="comparison.export"),
    ]

    class Loaded(Message):
        def __init__(self, comparison: Comparison, title: str, options: list[list[str]],
                     data: list[RunData]) -> None:
            super().__init__()
            self.comparison, self.title, self.options = comparison, title, options
            self.data = data

    def __init__(self, *, sweep_id: str | None = None, run_ids: list[str] | None = None) -> None:
        super().__init__()
        self.sweep_id, self.run_ids = sweep_id, run_ids or []
        self.metric = "blocking"
        self.grouping = 0
        self.comparison: Comparison | None = None
        self.data: list[RunData] = []
        self.title_text = ""
        self._shown: dict[str | None, list[list[str]]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="cmp-status")
        yield ComparisonChart(id="cmp-chart")
        yield DataTable(id="cmp-numbers", zebra_stripes=True, cursor_type="row")
        yield DataTable(id="cmp-params", zebra_stripes=True, cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#cmp-numbers").display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare")
    def reload(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        grid_keys: list[str] | None = None
        if self.sweep_id is not None:
            detail = services.sweeps.detail(self.sweep_id)
            runs, grid_keys = detail.runs, detail.grid.keys
            title = f"sweep {detail.sweep.id} {detail.sweep.name or detail.sweep.template}"
        else:
            runs = [r for r in (services.store.get(i) for i in self.run_ids) if r is not None]
            title = f"{len(runs)} marked runs"
        data = load_runs(runs)
        first = default_keys(data, grid_keys)
        options = [first] + ([[k] for k in first] if len(first) > 1 else []) + \
            ([[]] if first else [])
        keys = options[self.grouping % len(options)]
        self.post_message(self.Loaded(compare(data, metric=self.metric, keys=keys), title,
                                      options, data))

    def on_comparison_screen_loaded(self, message: Loaded) -> None:
        self.comparison, self.data, self.title_text = message.comparison, message.data, \
            message.title
        comparison = message.comparison
        by = ", ".join(k.partition(".")[2] or k for k in comparison.keys) or "one group"
        status = safe(message.title, 60)
        status.append(f"   {comparison.metric}   by {by}   {len(comparison.groups)} group(s), "
                      f"{len(message.data)} run(s)")
        for warning in comparison.warnings:
            status.append("\n")
            status.append_text(Text("warning: ", style="bold yellow"))
            status.append_text(safe(warning, 200))
        self.query_one("#cmp-status", Static).update(status)
        self.query_one(ComparisonChart).show(comparison)
        if self.query_one("#cmp-numbers").display:
            self._fill_numbers(comparison)
        self._fill_params(comparison)

    def _fill_numbers(self, comparison: Comparison) -> None:
        rows: list[tuple[Text | str, ...]] = []
        for group in comparison.groups:
            for point in group.points:
                s = point.summary
                interval = "-" if s.low is None else f"[{_number(s.low)}, {_number(s.high)}]"
                rows.append((safe(group.label, 50), f"{point.erlang:g}", _number(s.mean),
                             interval, f"{s.n}" + (" iter" if point.basis == "iterations"
                                                   else "")))
        if len(comparison.groups) == 2:
            for test in comparison.tests:
                rows.append((Text("G1 - G2", style="bold"), f"{test.erlang:g}",
                             _number(test.difference),
                             f"p = {_number(test.p_value)} (Welch)", test.basis))
        self._show_rows(self.query_one("#cmp-numbers", DataTable),
                        ["group", "Erlang", "mean", "95% interval", "n"], rows)

    def _fill_params(self, comparison: Comparison) -> None:
        """One row per group, one column per parameter that differs between groups."""
        table = self.query_one("#cmp-params", DataTable)
        columns: list[Text | str] = ["group", *(safe(k, 40) for k, _ in comparison.differing)]
        rows = [(safe(group.label, 40), *(safe(values[i], 24)
                                          for _, values in comparison.differing))
                for i, group in enumerate(comparison.groups)]
        self._show_rows(table, columns, rows)
        table.display = bool(comparison.differing)

    def _show_rows(self, table: DataTable[Text | str], columns: Sequence[Text | str],
                   rows: Sequence[Sequence[Text | str]]) -> None:
        """Refill `table` only when what it shows changes: a live reload that finds the
        same numbers must not reset the reader's place (or flicker)."""
        shown = [[str(c) for c in columns], *([str(c) for c in row] for row in rows)]
        if self._shown.get(table.id) == shown:
            return
        self._shown[table.id] = shown
        table.clear(columns=True)
        table.add_columns(*columns)
        table.add_rows(rows)
        # A table sized by its rows (height: auto) does not always ask for a new layout.
        table.call_after_refresh(table.refresh, layout=True)

    def action_next_metric(self) -> None:
        names = list(METRICS)
        self.metric = names[(names.index(self.metric) + 1) % len(names)]
        self.reload()

    def action_next_grouping(self) -> None:
        self.grouping += 1
        self.reload()

    def action_toggle_table(self) -> None:
        chart, numbers = self.query_one(ComparisonChart), self.query_one("#cmp-numbers")
        chart.display, numbers.display = numbers.display, chart.display
        if numbers.display and self.comparison is not None:
            self._fill_numbers(self.comparison)

    def action_export(self) -> None:
        if self.data:
            self._export(list(self.data))

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, data: list[RunData]) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]
        stem = f"sweep-{self.sweep_id}" if self.sweep_id else "runs"
        path = write_export(data, Path(settings.home) / "exports", stem)
        self.app.call_from_thread(self.app.say,  # type: ignore[attr-defined]
                                  f"exported {path}", title="Export")
