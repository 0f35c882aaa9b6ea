"""Convergence of the comparison's groups (`v` on the comparison): the running mean and
interval over iterations, per load, against FUSION's early-stop rule, so that a
researcher sees whether more iterations or seeds are needed. The result files are read
by a worker; `l` shows the next load."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static

from fusion_tui.comparison.compare import Comparison
from fusion_tui.comparison.convergence import STOP_PERCENT, Series, convergence
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.comparison.convergence import ConvergenceChart, ConvergenceTable
from fusion_tui.tui.widgets.key_bar import KeyBar


class ConvergenceScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="convergence.back"),
        Binding("l", "next_load", "Next load", id="convergence.load"),
    ]

    class Read(Message):
        def __init__(self, series: list[Series]) -> None:
            super().__init__()
            self.series = series

    def __init__(self, comparison: Comparison, title: str) -> None:
        super().__init__()
        self.comparison, self.title_text = comparison, title
        self.labels = [g.label for g in comparison.groups]
        self.series: list[Series] | None = None  # None until read
        self.load_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="conv-status")
        yield ConvergenceChart(id="conv-chart")
        yield ConvergenceTable(id="conv-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self.read()

    @work(thread=True, exit_on_error=False, group="convergence")
    def read(self) -> None:
        self.post_message(self.Read(convergence(self.comparison)))

    def on_convergence_screen_read(self, message: Read) -> None:
        self.series = message.series
        self.query_one(ConvergenceTable).show(message.series, self.labels)
        self._draw()

    @property
    def loads(self) -> list[float]:
        return sorted({s.erlang for s in self.series or []})

    @property
    def erlang(self) -> float | None:
        loads = self.loads
        return loads[self.load_index % len(loads)] if loads else None

    def _draw(self) -> None:
        erlang = self.erlang
        status = safe(self.title_text, 60)
        status.append(f"   {self.comparison.metric}   convergence at "
                      + ("-" if erlang is None else f"{erlang:g} Erlang")
                      + f"   FUSION stops a load when its 90% interval is at most "
                        f"{STOP_PERCENT:g}% of the mean (the flat line)")
        self.query_one("#conv-status", Static).update(status)
        shown = [s for s in self.series or [] if s.erlang == erlang]
        self.query_one(ConvergenceChart).show(shown, erlang, self.labels)

    def action_next_load(self) -> None:
        if self.series:
            self.load_index += 1
            self._draw()
