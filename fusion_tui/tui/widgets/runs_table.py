"""The run list: a DataTable that holds one window of rows, fetched by page.

Only `PAGE` rows live in the table; moving the cursor past either end asks the screen
for the neighbouring window (`RunsTable.WindowRequest`), so 100,000 runs cost no more
than 200. Cells are updated in place when values change, never by rebuilding rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from fusion_tui.monitor.watch import RunSnapshot
from fusion_tui.tui.format import duration, eta, progress_bar, safe, status_text, timestamp

PAGE = 200
COLUMNS = (
    ("sel", " "), ("id", "ID"), ("status", "Status"), ("progress", "Progress"),
    ("name", "Name"), ("template", "Template"), ("erlang", "Erlang"), ("eta", "ETA"),
    ("started", "Started"), ("duration", "Duration"),
)
# Fixed widths: live updates change cells in place without re-measuring the table.
# The name column alone grows with the terminal, from its width here up to NAME_MAX.
WIDTHS = {"sel": 1, "id": 12, "status": 19, "progress": 15, "name": 24, "template": 12,
          "erlang": 7, "eta": 7, "started": 11, "duration": 8}
NAME_MAX = 64
# Everything but the name: other columns, one cell of padding each side, the scrollbar.
FIXED = sum(w for key, w in WIDTHS.items() if key != "name") + 2 * len(WIDTHS) + 2


@dataclass(frozen=True)
class RowData:
    """Everything shown in one row, as plain values (comparable, cheap to diff)."""

    run_id: str
    status: str
    name: str | None
    template: str
    fraction: float | None
    erlang: float | None
    started: datetime | None
    completed: datetime | None
    stalled: bool


class RunsTable(DataTable[Text]):
    """Rows of runs with a selection column; the screen feeds it windows of rows."""

    class WindowRequest(Message):
        """The cursor left the loaded window; `direction` is -1 (up) or +1 (down)."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_data: dict[str, RowData] = {}
        self.selected: set[str] = set()
        self.window_offset = 0
        self.total = 0
        self.now = datetime.now
        self.name_width = WIDTHS["name"]

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label in COLUMNS:
            width = self.name_width if key == "name" else WIDTHS[key]
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        """Give a wide terminal's spare columns to the name; rebuild only on change."""
        width = max(WIDTHS["name"], min(NAME_MAX, self.size.width - FIXED))
        if width == self.name_width:
            return
        self.name_width = width
        keep = self.current_id
        rows = list(self.rows_data.values())
        self.clear(columns=True)
        self._add_columns()
        self.rows_data = {}
        self.show_window(rows, self.window_offset, self.total, keep=keep)

    def _cells(self, row: RowData) -> dict[str, Text]:
        now = self.now()
        end = row.completed or now
        return {
            "sel": Text("●" if row.run_id in self.selected else " ", style="bold"),
            "id": Text(row.run_id),
            "status": status_text(row.status, row.stalled),
            "progress": progress_bar(row.fraction),
            "name": safe(row.name or "", self.name_width),
            "template": safe(row.template, 20),
            "erlang": Text("-" if row.erlang is None else f"{row.erlang:g}"),
            "eta": Text(eta(row.started, row.fraction, now) if row.status == "RUNNING" else "-"),
            "started": Text(timestamp(row.started)),
            "duration": Text(duration((end - row.started).total_seconds()
                                      if row.started else None)),
        }

    def show_window(self, rows: list[RowData], offset: int, total: int,
                    keep: str | None = None) -> None:
        """Show `rows` (starting at `offset` of `total`); keep the cursor on `keep`."""
        keep = keep or self.current_id
        same = list(self.rows_data) == [r.run_id for r in rows]
        self.window_offset, self.total = offset, total
        if same:
            for row in rows:
                self.update_row(row)
            return
        self.clear()
        self.rows_data = {}
        for row in rows:
            self.rows_data[row.run_id] = row
            cells = self._cells(row)
            self.add_row(*(cells[key] for key, _ in COLUMNS), key=row.run_id)
        if keep in self.rows_data:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def update_row(self, row: RowData, *, force: bool = False) -> None:
        old = self.rows_data.get(row.run_id)
        if old is None or (old == row and not force):
            return
        self.rows_data[row.run_id] = row
        cells = self._cells(row)
        for key, _ in COLUMNS:
            self.update_cell(row.run_id, key, cells[key])

    def apply_snapshot(self, run_id: str, snapshot: RunSnapshot) -> None:
        old = self.rows_data.get(run_id)
        if old is None or old.status != "RUNNING":
            return
        fraction = snapshot.fraction_done
        self.update_row(RowData(
            old.run_id, old.status, old.name, old.template,
            fraction if fraction is not None else old.fraction,
            snapshot.current_erlang if snapshot.current_erlang is not None else old.erlang,
            old.started, old.completed, old.stalled))

    def toggle_selected(self) -> None:
        run_id = self.current_id
        if run_id is None:
            return
        self.selected ^= {run_id}
        self.update_row(self.rows_data[run_id], force=True)

    @property
    def current_id(self) -> str | None:
        if not self.rows_data or self.cursor_row < 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        more_below = self.window_offset + self.row_count < self.total
        if event.cursor_row == self.row_count - 1 and more_below:
            self.post_message(self.WindowRequest(+1))
        elif event.cursor_row == 0 and self.window_offset > 0:
            self.post_message(self.WindowRequest(-1))
