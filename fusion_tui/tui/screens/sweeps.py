"""Every sweep with its progress, ETA and status counts; live."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from fusion_tui.store.models import Sweep
from fusion_tui.sweeps.progress import SweepProgress, sweep_progress
from fusion_tui.tui import navigation
from fusion_tui.tui.confirmations import confirm_sweep
from fusion_tui.tui.extending import extend_sweep
from fusion_tui.tui.format import duration, progress_bar, safe
from fusion_tui.tui.format import timestamp as time_text
from fusion_tui.tui.labelling import edit_note, edit_tags
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.sweeps.counts import counts_text

RELOAD_SECONDS = 1.0
TITLES = ("ID", "Name", "Progress", "ETA", "Status", "Runs", "Template", "Created")
EMPTY = ("No sweeps yet.\n\nFrom a shell: fusion-tui sweep new -t minimal "
         "--grid routing_settings.k_paths=1,2 --seeds 1-3\nor press n on the run list and "
         "fill in the Sweep fields.")


@dataclass(frozen=True)
class SweepLine:
    sweep: Sweep
    progress: SweepProgress


class SweepsScreen(Screen[None]):
    AUTO_FOCUS = "#sweeps"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="sweeps.back"),
        Binding("enter", "open_sweep", "Open", id="sweeps.open"),
        Binding("m", "compare", "Compare", id="sweeps.compare"),
        Binding("c", "cancel_sweep", "Cancel", id="sweeps.cancel"),
        Binding("t", "retry_sweep", "Retry failed", id="sweeps.retry"),
        Binding("d", "delete_sweep", "Delete", id="sweeps.delete"),
        # Off the bar (it would push Schedules out at 120 columns); the sweep's own
        # screen shows it, help and the palette list it.
        Binding("e", "extend_sweep", "Extend", show=False, id="sweeps.extend"),
        Binding("number_sign", "edit_tags", "Tags", id="sweeps.edit_tags"),
        Binding("N", "edit_note", "Note", id="sweeps.edit_note"),
        Binding("K", "open_schedules", "Schedules", id="sweeps.open_schedules"),
        # Before the table's own home/end, which scroll without moving the cursor.
        Binding("home", "first_row", "First sweep", show=False, priority=True,
                id="sweeps.first"),
        Binding("end", "last_row", "Last sweep", show=False, priority=True, id="sweeps.last"),
    ]

    app = getters.app(SessionApp)

    class Loaded(Message):
        def __init__(self, lines: list[SweepLine]) -> None:
            super().__init__()
            self.lines = lines

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="sweeps-status")
        yield DataTable(id="sweeps", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY, id="sweeps-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self._shown: list[tuple[str, tuple[object, ...]]] = []
        self._widths: tuple[int, ...] = ()
        self._fill([])
        self.query_one("#sweeps-empty").display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()

    def action_first_row(self) -> None:
        self.query_one("#sweeps", DataTable).move_cursor(row=0)

    def action_last_row(self) -> None:
        table = self.query_one("#sweeps", DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    @work(thread=True, exit_on_error=False, exclusive=True, group="reload")
    def reload(self) -> None:
        sweeps = self.app.services.sweeps
        now = self.app.now()
        lines = []
        for row in sweeps.listing():
            runs = sweeps.store.runs(row.sweep.id)
            lines.append(SweepLine(row.sweep, sweep_progress(runs, now)))
        self.post_message(self.Loaded(lines))

    def on_sweeps_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one("#sweeps", DataTable)
        rows = [(line.sweep.id, _cells(line)) for line in message.lines]
        if rows != self._shown:  # the table is rebuilt only when what it shows changed
            current = self.current_id
            self._fill(rows)
            if current is not None and current in {key for key, _ in rows}:
                table.move_cursor(row=table.get_row_index(current))
        empty = not message.lines
        self.query_one("#sweeps-empty").display = empty
        table.display = not empty
        done = sum(1 for line in message.lines if line.progress.done)
        self.query_one("#sweeps-status", Static).update(
            f"{len(message.lines)} sweep(s), {done} finished")

    def _fill(self, rows: list[tuple[str, tuple[object, ...]]]) -> None:
        """Show `rows`, in columns as wide as their widest cell, given to the table: a
        table left to measure its cells itself draws them at its titles' widths until it
        has, and keeps the rows it drew so (Textual 0.x caches them by row, not width)."""
        table = self.query_one("#sweeps", DataTable)
        widths = tuple(max([cell_len(title), *(cell_len(_plain(cells[i])) for _, cells in rows)])
                       for i, title in enumerate(TITLES))
        table.clear(columns=widths != self._widths)
        if widths != self._widths:
            for title, width in zip(TITLES, widths, strict=True):
                table.add_column(title, key=title.lower(), width=width)
            self._widths = widths
        for key, cells in rows:
            table.add_row(*cells, key=key)
        self._shown = rows

    @property
    def current_id(self) -> str | None:
        table = self.query_one("#sweeps", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def on_data_table_row_selected(self) -> None:
        self.action_open_sweep()

    def action_open_sweep(self) -> None:
        if (sweep_id := self.current_id) is not None:
            self.app.post_message(navigation.OpenSweep(sweep_id))

    def action_open_schedules(self) -> None:
        self.app.post_message(navigation.OpenSchedules())

    def action_compare(self) -> None:
        if (sweep_id := self.current_id) is not None:
            self.app.post_message(navigation.OpenComparison(sweep_id=sweep_id))

    def action_cancel_sweep(self) -> None:
        if (sweep_id := self.current_id) is not None:
            confirm_sweep(self.app, "cancel", sweep_id, self.reload)

    def action_retry_sweep(self) -> None:
        if (sweep_id := self.current_id) is not None:
            confirm_sweep(self.app, "retry", sweep_id, self.reload)

    def action_edit_tags(self) -> None:
        if (sweep_id := self.current_id) is not None:
            edit_tags(self.app, "sweep", [sweep_id], self.reload)

    def action_edit_note(self) -> None:
        if (sweep_id := self.current_id) is not None:
            edit_note(self.app, "sweep", sweep_id, self.reload)

    def action_extend_sweep(self) -> None:
        if (sweep_id := self.current_id) is not None:
            extend_sweep(self.app, sweep_id, self.reload)

    def action_delete_sweep(self) -> None:
        if (sweep_id := self.current_id) is not None:
            confirm_sweep(self.app, "delete", sweep_id, self.reload)


def _cells(line: SweepLine) -> tuple[object, ...]:
    """A sweep's row: id, name, progress, ETA, status counts, runs, template, created."""
    p, sweep = line.progress, line.sweep
    return (sweep.id, safe(sweep.name or "-", 30), progress_bar(p.fraction),
            duration(p.eta_seconds) if p.eta_seconds is not None else "-",
            counts_text(p.counts), str(p.total), safe(sweep.template, 20),
            time_text(sweep.created_at))


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)
