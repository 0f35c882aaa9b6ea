"""One sweep: what it sweeps, its progress and ETA, and its grid as a matrix of points
(status counts and blocking per cell); retry failed points, cancel, compare. Live."""

from __future__ import annotations

import json

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from fusion_tui.sweeps.manager import SweepDetail
from fusion_tui.sweeps.matrix import Cell, Matrix, build_matrix
from fusion_tui.sweeps.progress import SweepProgress, sweep_progress
from fusion_tui.tui import navigation
from fusion_tui.tui.confirmations import confirm_sweep
from fusion_tui.tui.format import duration, progress_bar, safe
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.sweeps.counts import cell_text, counts_text

RELOAD_SECONDS = 1.0


class SweepScreen(Screen[None]):
    AUTO_FOCUS = "#sweep-matrix"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="sweep.back"),
        Binding("enter", "open_run", "Run detail", id="sweep.open_run"),
        Binding("m", "compare", "Compare", id="sweep.compare"),
        Binding("t", "retry", "Retry failed", id="sweep.retry"),
        Binding("c", "cancel", "Cancel sweep", id="sweep.cancel"),
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
        self._shape: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="sweep-meta")
        yield DataTable(id="sweep-matrix", cursor_type="cell")
        yield Static(id="sweep-legend")
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
        detail, progress, matrix = message.detail, message.progress, message.matrix
        self.matrix = matrix
        sweep, grid = detail.sweep, detail.grid
        meta = Text("sweep ")
        meta.append(sweep.id, style="bold")
        meta.append("  ")
        meta.append_text(safe(sweep.name or "-", 40))
        meta.append(f"  template {sweep.template}  {sweep.executor}\n")
        for axis in grid.axes:
            meta.append(f"{axis.key} = ")
            meta.append_text(safe(", ".join(axis.values), 60))
            meta.append("\n")
        extras = []
        if grid.seeds:
            extras.append("seeds " + ",".join(map(str, grid.seeds)))
        if grid.split_loads:
            extras.append("one run per load")
        overrides = json.loads(sweep.overrides_json)
        if overrides:
            extras.append("set " + " ".join(overrides))
        if extras:
            meta.append_text(safe("   ".join(extras), 100))
            meta.append("\n")
        meta.append(f"{progress.total} runs  ")
        meta.append_text(counts_text(progress.counts))
        if detail.replaced:
            meta.append(f"  ({detail.replaced} replaced by retries)")
        meta.append("\n")
        meta.append_text(progress_bar(progress.fraction, 20))
        eta = duration(progress.eta_seconds) if progress.eta_seconds is not None else "-"
        meta.append(f"   ETA {eta}")
        self.query_one("#sweep-meta", Static).update(meta)
        self._fill(matrix)
        legend = "cells: runs by status, then mean blocking at the highest load reached"
        if grid.seeds or grid.split_loads:
            legend += " (over seeds" + (" and loads" if grid.split_loads else "") + ")"
        self.query_one("#sweep-legend", Static).update(Text(legend, style="dim"))

    def _fill(self, matrix: Matrix) -> None:
        table = self.query_one("#sweep-matrix", DataTable)
        shape = (tuple(matrix.row_keys), matrix.column_key, tuple(matrix.rows),
                 tuple(matrix.columns))
        if shape != self._shape:
            self._shape = shape
            table.clear(columns=True)
            rows = "/".join(k.partition(".")[2] for k in matrix.row_keys)
            across = (matrix.column_key or "").partition(".")[2]
            table.add_column(safe(f"{rows} \\ {across}" if rows else across, 40), key="__row")
            for col in matrix.columns:
                table.add_column(safe(col, 24), key=col)
            for i, row in enumerate(matrix.rows):
                cells = [cell_text(matrix.cells[(row, col)]) for col in matrix.columns]
                table.add_row(safe(" / ".join(row), 30), *cells, key=str(i))
            return
        for i, row in enumerate(matrix.rows):
            for col in matrix.columns:
                table.update_cell(str(i), col, cell_text(matrix.cells[(row, col)]),
                                  update_width=True)

    def _current_cell(self) -> Cell | None:
        matrix = self.matrix
        if matrix is None:
            return None
        table = self.query_one("#sweep-matrix", DataTable)
        row_index, col_index = table.cursor_coordinate
        col_index -= 1  # the first column names the row
        if not (0 <= row_index < len(matrix.rows) and 0 <= col_index < len(matrix.columns)):
            return None
        return matrix.cells[(matrix.rows[row_index], matrix.columns[col_index])]

    def on_data_table_cell_selected(self) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        """The cell's first run that did not complete, else its first run."""
        cell = self._current_cell()
        if cell is None or not cell.runs:
            return
        chosen = next((r for r in cell.runs if r.status != "COMPLETED"), cell.runs[0])
        self.app.post_message(navigation.OpenDetail(chosen.id))

    def action_compare(self) -> None:
        self.app.post_message(navigation.OpenComparison(sweep_id=self.sweep_id))

    def action_retry(self) -> None:
        confirm_sweep(self.app, "retry", self.sweep_id, self.reload)

    def action_cancel(self) -> None:
        confirm_sweep(self.app, "cancel", self.sweep_id, self.reload)
