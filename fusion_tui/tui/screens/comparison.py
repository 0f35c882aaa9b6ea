"""Comparison of a sweep's groups, or of runs marked on the run list: the overlay chart,
the paper's table and the tests behind it, the parameters that differ between groups;
the metric, the grouping (a picker over every parameter that differs), the baseline, the
spread, convergence and export by key. Live: it re-reads results while runs go."""

from __future__ import annotations

from pathlib import Path

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Header

from fusion_tui.base.errors import ConfigError
from fusion_tui.comparison.compare import (
    Comparison,
    RunData,
    compare,
    default_keys,
    load_runs,
    varying_keys,
)
from fusion_tui.comparison.export import write_export
from fusion_tui.comparison.stats import SPREADS
from fusion_tui.runs.results import METRICS
from fusion_tui.tui.actions import write_report
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.comparison.chart import ComparisonChart
from fusion_tui.tui.widgets.comparison.pickers import NO_BASELINE, BaselinePicker, GroupingPicker
from fusion_tui.tui.widgets.comparison.status import ComparisonStatus
from fusion_tui.tui.widgets.comparison.tables import NumbersTable, ParamsTable, TestsTable
from fusion_tui.tui.widgets.key_bar import KeyBar

Asked = tuple[str, tuple[str, ...] | None, tuple[tuple[str, str], ...] | None, str]
"""What a comparison was read for: metric, grouping keys (None: the default), the
baseline group's values (None: no baseline) and the spread."""

RELOAD_SECONDS = 2.0


class ComparisonScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="comparison.back"),
        Binding("b", "next_metric", "Metric", id="comparison.metric"),
        Binding("g", "pick_grouping", "Group by", id="comparison.grouping"),
        Binding("r", "pick_baseline", "Baseline", id="comparison.baseline"),
        Binding("s", "next_spread", "Spread", id="comparison.spread"),
        Binding("t", "toggle_table", "Chart/numbers", id="comparison.table"),
        Binding("v", "convergence", "Convergence", id="comparison.convergence"),
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
                     asked: Asked, candidates: list[str], problem: str | None) -> None:
            super().__init__()
            self.comparison, self.title, self.data = comparison, title, data
            self.asked = asked  # what it was computed for
            self.candidates = candidates  # the keys a grouping can be made of
            self.problem = problem  # why the baseline asked for was dropped, if it was

    def __init__(self, *, sweep_id: str | None = None, run_ids: list[str] | None = None) -> None:
        super().__init__()
        self.sweep_id, self.run_ids = sweep_id, run_ids or []
        self.metric = "blocking"
        self.keys: tuple[str, ...] | None = None  # None: the default grouping
        self.baseline: tuple[tuple[str, str], ...] | None = None
        self.spread = "interval"
        self.candidates: list[str] = []
        self.data: list[RunData] = []
        self.title_text = ""
        self.shown: Asked | None = None  # what the comparison on screen was read for

    @property
    def asked(self) -> Asked:
        return (self.metric, self.keys, self.baseline, self.spread)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ComparisonStatus(id="cmp-status")
        yield ComparisonChart(id="cmp-chart")
        yield NumbersTable(id="cmp-numbers")
        yield TestsTable(id="cmp-tests")
        yield ParamsTable(id="cmp-params")
        yield KeyBar()

    def on_mount(self) -> None:
        self.numbers.display = False
        self.query_one(TestsTable).display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare")
    def reload(self) -> None:
        asked = self.asked
        metric, chosen, baseline, spread = asked
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
        keys = default_keys(data, grid_keys) if chosen is None else list(chosen)
        problem = None
        try:
            comparison = compare(data, metric=metric, keys=keys, spread=spread,
                                 baseline=None if baseline is None else dict(baseline))
        except ConfigError as exc:  # the baseline's group is gone (its runs removed)
            problem = str(exc)
            comparison = compare(data, metric=metric, keys=keys, spread=spread)
        self.post_message(self.Loaded(comparison, title, data, asked, varying_keys(data),
                                      problem))

    def on_comparison_screen_loaded(self, message: Loaded) -> None:
        if message.asked != self.asked:
            return  # read before a switch changed; a newer read follows
        self.data, self.title_text, self.shown = message.data, message.title, message.asked
        self.candidates = message.candidates
        if message.problem is not None:
            self.baseline = None
            self.shown = self.asked
            self.notify(message.problem, title="Baseline dropped", severity="warning",
                        markup=False)
        self.comparison = message.comparison

    def watch_comparison(self, comparison: Comparison | None) -> None:
        if comparison is None:
            return
        self.query_one(ComparisonStatus).show(self.title_text, comparison, len(self.data))
        self.chart.show(comparison)
        if self.numbers.display:
            self.numbers.show(comparison)
            self.query_one(TestsTable).show(comparison)
        self.query_one(ParamsTable).show(comparison)

    def action_next_metric(self) -> None:
        names = list(METRICS)
        self.metric = names[(names.index(self.metric) + 1) % len(names)]
        self.reload()

    def action_pick_grouping(self) -> None:
        current = list(self.comparison.keys) if self.comparison is not None else []
        candidates = [*current, *(k for k in self.candidates if k not in current)]
        self.app.push_screen(GroupingPicker(current, candidates, self._group_by))

    def _group_by(self, keys: list[str]) -> None:
        self.keys, self.baseline = tuple(keys), None  # the old baseline's group is gone
        self.reload()

    def action_pick_baseline(self) -> None:
        comparison = self.comparison
        if comparison is None or len(comparison.groups) < 2:
            self.notify("a baseline needs two groups or more", severity="warning")
            return
        labels = [g.label for g in comparison.groups]
        current = None if comparison.baseline is None else labels[comparison.baseline]

        def chosen(label: str | None) -> None:
            if label is None or self.comparison is None:
                return  # escaped: no change
            group = next((g for g in self.comparison.groups if g.label == label), None)
            self.baseline = None if label == NO_BASELINE or group is None else \
                tuple(group.values.items())
            self.reload()
        self.app.push_screen(BaselinePicker(labels, current), chosen)

    def action_next_spread(self) -> None:
        self.spread = SPREADS[(SPREADS.index(self.spread) + 1) % len(SPREADS)]
        self.reload()

    def action_convergence(self) -> None:
        if self.comparison is not None:
            from fusion_tui.tui.screens.convergence import ConvergenceScreen

            self.app.push_screen(ConvergenceScreen(self.comparison, self.title_text))

    def action_toggle_table(self) -> None:
        chart, numbers = self.chart, self.numbers
        chart.display, numbers.display = numbers.display, chart.display
        tests = self.query_one(TestsTable)
        tests.display = numbers.display
        if numbers.display and self.comparison is not None:
            self.numbers.show(self.comparison)
            tests.show(self.comparison)

    def action_export(self) -> None:
        if self.data:
            self._export(list(self.data))

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, data: list[RunData]) -> None:
        stem = f"sweep-{self.sweep_id}" if self.sweep_id else "runs"
        path = write_export(data, Path(self.app.settings.home) / "exports", stem)
        self.app.call_from_thread(self.app.say, f"exported {path}", title="Export")

    def action_report(self) -> None:
        """The sweep's report (figures, tables, appendix, bundle) as shown: this metric,
        grouping, baseline and spread; marked runs are no sweep, so they have none."""
        if self.sweep_id is None:
            self.app.say("a report is of a sweep: compare a sweep (m on the sweeps list) "
                         "to write one", severity="warning")
            return
        shown = self.comparison
        write_report(self.app, self.sweep_id, metric=self.metric,
                     by=shown.keys if shown is not None else (),
                     baseline=None if self.baseline is None else dict(self.baseline),
                     spread=self.spread)
