"""One sweep: what it sweeps, its progress and ETA, and its grid as a matrix of points
(status counts and blocking per cell), its tags and note; retry failed points, cancel,
extend, compare, tag. Live."""

from __future__ import annotations

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header

from fusion_tui.sweeps.manager import SweepDetail
from fusion_tui.sweeps.matrix import Matrix, build_matrix
from fusion_tui.sweeps.progress import SweepProgress, sweep_progress
from fusion_tui.tui import navigation
from fusion_tui.tui.actions import write_report
from fusion_tui.tui.confirmations import confirm_sweep
from fusion_tui.tui.extending import extend_sweep
from fusion_tui.tui.labelling import edit_note, edit_tags
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.sweeps.matrix import SweepMatrix
from fusion_tui.tui.widgets.sweeps.summary import MatrixLegend, SweepSummary

RELOAD_SECONDS = 1.0


class SweepScreen(Screen[None]):
    AUTO_FOCUS = "#sweep-matrix"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="sweep.back"),
        Binding("enter", "open_run", "Run detail", id="sweep.open_run"),
        Binding("m", "compare", "Compare", id="sweep.compare"),
        Binding("p", "report", "Report", id="sweep.report"),
        Binding("t", "retry", "Retry failed", id="sweep.retry"),
        Binding("c", "cancel", "Cancel sweep", id="sweep.cancel"),
        Binding("e", "extend", "Extend", id="sweep.extend"),
        Binding("number_sign", "edit_tags", "Tags", id="sweep.edit_tags"),
        Binding("N", "edit_note", "Note", id="sweep.edit_note"),
    ]

    app = getters.app(SessionApp)

    class Loaded(Message):
        def __init__(self, detail: SweepDetail, progress: SweepProgress, matrix: Matrix) -> None:
            super().__init__()
            self.detail, self.progress, self.matrix = detail, progress, matrix

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.matrix: Matrix | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield SweepSummary(id="sweep-meta")
        yield SweepMatrix(id="sweep-matrix")
        yield MatrixLegend(id="sweep-legend")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()

    @work(thread=True, exit_on_error=False, exclusive=True, group="reload")
    def reload(self) -> None:
        sweeps = self.app.services.sweeps
        detail = sweeps.detail(self.sweep_id)
        progress = sweep_progress(detail.runs, self.app.now())
        self.post_message(self.Loaded(detail, progress, build_matrix(detail.grid, detail.runs)))

    def on_sweep_screen_loaded(self, message: Loaded) -> None:
        self.matrix = message.matrix
        self.query_one(SweepSummary).show(message.detail, message.progress)
        self.query_one(SweepMatrix).show(message.matrix)
        self.query_one(MatrixLegend).show(message.detail.grid)

    def on_data_table_cell_selected(self) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        """The cell's first run that did not complete, else its first run."""
        cell = self.query_one(SweepMatrix).current_cell()
        if cell is None or not cell.runs:
            return
        chosen = next((r for r in cell.runs if r.status != "COMPLETED"), cell.runs[0])
        self.app.post_message(navigation.OpenDetail(chosen.id))

    def action_compare(self) -> None:
        self.app.post_message(navigation.OpenComparison(sweep_id=self.sweep_id))

    def action_report(self) -> None:
        write_report(self.app, self.sweep_id)

    def action_retry(self) -> None:
        confirm_sweep(self.app, "retry", self.sweep_id, self.reload)

    def action_cancel(self) -> None:
        confirm_sweep(self.app, "cancel", self.sweep_id, self.reload)

    def action_extend(self) -> None:
        extend_sweep(self.app, self.sweep_id, self.reload)

    def action_edit_tags(self) -> None:
        edit_tags(self.app, "sweep", [self.sweep_id], self.reload)

    def action_edit_note(self) -> None:
        edit_note(self.app, "sweep", self.sweep_id, self.reload)
