"""Comparison of a sweep's groups, or of runs marked on the run list: the overlay chart,
the numbers, the parameters that differ between groups; metric and grouping switches and
export by key. Live: it re-reads results while runs go."""

from __future__ import annotations

from pathlib import Path

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Header

from fusion_tui.comparison.compare import Comparison, RunData, compare, default_keys, load_runs
from fusion_tui.comparison.export import write_export
from fusion_tui.runs.results import METRICS
from fusion_tui.tui.actions import write_report
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.comparison.chart import ComparisonChart
from fusion_tui.tui.widgets.comparison.status import ComparisonStatus
from fusion_tui.tui.widgets.comparison.tables import NumbersTable, ParamsTable
from fusion_tui.tui.widgets.key_bar import KeyBar

RELOAD_SECONDS = 2.0


class ComparisonScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="comparison.back"),
        Binding("b", "next_metric", "Metric", id="comparison.metric"),
        Binding("g", "next_grouping", "Grouping", id="comparison.grouping"),
        Binding("t", "toggle_table", "Chart/numbers", id="comparison.table"),
        Binding("e", "export", "Export CSV", id="comparison.export"),
        Binding("p", "report", "Report", id="comparison.report"),
    ]

    app = getters.app(SessionApp)
    chart = getters.query_one(ComparisonChart)
    numbers = getters.query_one(NumbersTable)

    comparison: var[Comparison | None] = var(None, always_update=True)
    """The latest comparison read (None until the first); the widgets follow it."""

    class Loaded(Message):
        def __init__(self, comparison: Comparison, title: str, data: list[RunData],
                     asked: tuple[str, int]) -> None:
            super().__init__()
            self.comparison, self.title, self.data = comparison, title, data
            self.asked = asked  # the metric and grouping it was computed for

    def __init__(self, *, sweep_id: str | None = None, run_ids: list[str] | None = None) -> None:
        super().__init__()
        self.sweep_id, self.run_ids = sweep_id, run_ids or []
        self.metric = "blocking"
        self.grouping = 0
        self.data: list[RunData] = []
        self.title_text = ""
        self.shown: tuple[str, int] | None = None  # the metric and grouping on screen

    def compose(self) -> ComposeResult:
        yield Header()
        yield ComparisonStatus(id="cmp-status")
        yield ComparisonChart(id="cmp-chart")
        yield NumbersTable(id="cmp-numbers")
        yield ParamsTable(id="cmp-params")
        yield KeyBar()

    def on_mount(self) -> None:
        self.numbers.display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare")
    def reload(self) -> None:
        asked = (self.metric, self.grouping)
        services = self.app.services
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
        keys = options[asked[1] % len(options)]
        self.post_message(self.Loaded(compare(data, metric=asked[0], keys=keys), title, data,
                                      asked))

    def on_comparison_screen_loaded(self, message: Loaded) -> None:
        if message.asked != (self.metric, self.grouping):
            return  # read before the metric or grouping changed; a newer read follows
        self.data, self.title_text, self.shown = message.data, message.title, message.asked
        self.comparison = message.comparison

    def watch_comparison(self, comparison: Comparison | None) -> None:
        if comparison is None:
            return
        self.query_one(ComparisonStatus).show(self.title_text, comparison, len(self.data))
        self.chart.show(comparison)
        if self.numbers.display:
            self.numbers.show(comparison)
        self.query_one(ParamsTable).show(comparison)

    def action_next_metric(self) -> None:
        names = list(METRICS)
        self.metric = names[(names.index(self.metric) + 1) % len(names)]
        self.reload()

    def action_next_grouping(self) -> None:
        self.grouping += 1
        self.reload()

    def action_toggle_table(self) -> None:
        chart, numbers = self.chart, self.numbers
        chart.display, numbers.display = numbers.display, chart.display
        if numbers.display and self.comparison is not None:
            self.numbers.show(self.comparison)

    def action_export(self) -> None:
        if self.data:
            self._export(list(self.data))

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, data: list[RunData]) -> None:
        stem = f"sweep-{self.sweep_id}" if self.sweep_id else "runs"
        path = write_export(data, Path(self.app.settings.home) / "exports", stem)
        self.app.call_from_thread(self.app.say, f"exported {path}", title="Export")

    def action_report(self) -> None:
        """The sweep's report (figures, tables, appendix, bundle) as shown: this metric
        and grouping; marked runs are no sweep, so they have none."""
        if self.sweep_id is None:
            self.app.say("a report is of a sweep: compare a sweep (m on the sweeps list) "
                         "to write one", severity="warning")
            return
        shown = self.comparison
        write_report(self.app, self.sweep_id, metric=self.metric,
                     by=shown.keys if shown is not None else ())
