"""The run list: a line-drawn table that holds one window of rows, fetched by page.

Only `PAGE` rows live in the table; moving the cursor past either end asks the screen
for the neighbouring window (`RunsTable.WindowRequest`), so 100,000 runs cost no more
than 200. Every column has a fixed width (the name alone grows with the terminal), so a
row is drawn straight into one strip of segments and cached until its values change:
no per-cell measuring or layout, which keeps the app's first frame and live updates
cheap (Textual's DataTable spends most of a first frame rendering cells one by one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fusion_tui.base.rundir import NOT_READABLE
from fusion_tui.tui.format import (
    duration,
    eta,
    progress_bar,
    safe,
    status_text,
    text_segments,
    timestamp,
)

if TYPE_CHECKING:
    from fusion_tui.runs.tail import RunSnapshot

PAGE = 200
COLUMNS = (
    ("sel", " "), ("id", "ID"), ("status", "Status"), ("progress", "Progress"),
    ("name", "Name"), ("template", "Template"), ("where", "Where"), ("erlang", "Erlang"),
    ("eta", "ETA"), ("started", "Started"), ("duration", "Duration"),
)
# Fixed widths: live updates redraw one row without re-measuring the table.
# The name column alone grows with the terminal, from its width here up to NAME_MAX.
WIDTHS = {"sel": 1, "id": 12, "status": 19, "progress": 15, "name": 24, "template": 12,
          "where": 10, "erlang": 7, "eta": 7, "started": 11, "duration": 8}
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
    seconds_left: float | None = None
    where: str = "local"  # the executor, and the run's node there once it has one
    owner: str | None = None
    readable: bool = True  # False: the run's folder is closed to us (another user's)
    waiting: str | None = None  # a queued run's wait in short: `after 1a2b3c4d`, `at 02:00`


class RunsTable(ScrollView, can_focus=True):
    """Rows of runs with a selection column; the screen feeds it windows of rows."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "runs-table--header", "runs-table--cursor", "runs-table--even-row",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, id="runs_table.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="runs_table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="runs_table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="runs_table.page_down"),
        Binding("home", "edge(-1)", "First row", show=False, id="runs_table.first"),
        Binding("end", "edge(1)", "Last row", show=False, id="runs_table.last"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class WindowRequest(Message):
        """The cursor left the loaded window; `direction` is -1 (up) or +1 (down)."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    class RowSelected(Message):
        """A click on the row under the cursor (enter is the screen's binding)."""

    class HeaderSelected(Message):
        """A click on a column title: the screen sorts by it."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class Painted(Message):
        """Rows were drawn for the first time: the app's first useful frame is out."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows_data: dict[str, RowData] = {}
        self._order: list[str] = []
        self.selected: set[str] = set()
        self.window_offset = 0
        self.total = 0
        self.now: Callable[[], datetime] = datetime.now
        self.name_width = WIDTHS["name"]
        self._painted = False
        # run id -> (drawn under the cursor, striped, the line): redrawn when any differs
        self._cache: dict[str, tuple[bool, bool, Strip]] = {}
        self._header_strip: Strip | None = None
        self._styles: dict[str, Style] = {}

    # -- the window of rows ------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    def get_row_index(self, run_id: str) -> int:
        return self._order.index(run_id)

    @property
    def current_id(self) -> str | None:
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def show_window(self, rows: list[RowData], offset: int, total: int,
                    keep: str | None = None) -> None:
        """Show `rows` (starting at `offset` of `total`); keep the cursor on `keep`."""
        keep = keep or self.current_id
        self.window_offset, self.total = offset, total
        if self._order == [r.run_id for r in rows]:
            for row in rows:
                self.update_row(row)
            return
        self.rows_data = {r.run_id: r for r in rows}
        self._order = [r.run_id for r in rows]
        self._cache.clear()
        self._resize_virtual()
        if keep in self.rows_data:
            self.move_cursor(row=self._order.index(keep))
        else:
            self.move_cursor(row=min(self.cursor_row, max(0, len(self._order) - 1)))
        self.refresh()

    def update_row(self, row: RowData, *, force: bool = False) -> None:
        old = self.rows_data.get(row.run_id)
        if old is None or (old == row and not force):
            return
        self.rows_data[row.run_id] = row
        self._cache.pop(row.run_id, None)
        self._refresh_row(self._order.index(row.run_id))

    def apply_snapshot(self, run_id: str, snapshot: RunSnapshot) -> None:
        old = self.rows_data.get(run_id)
        if old is None or old.status != "RUNNING":
            return
        fraction = snapshot.fraction_done
        self.update_row(replace(
            old, fraction=fraction if fraction is not None else old.fraction,
            erlang=snapshot.current_erlang if snapshot.current_erlang is not None else old.erlang,
            seconds_left=snapshot.seconds_left, readable=snapshot.readable))

    def toggle_selected(self) -> None:
        run_id = self.current_id
        if run_id is None:
            return
        self.selected ^= {run_id}
        self.update_row(self.rows_data[run_id], force=True)

    # -- cursor and scrolling ----------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self._order) - 1)) if self._order else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()
        more_below = self.window_offset + self.row_count < self.total
        if new == self.row_count - 1 and more_below:
            self.post_message(self.WindowRequest(+1))
        elif new == 0 and self.window_offset > 0:
            self.post_message(self.WindowRequest(-1))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1 - self._horizontal_bar())
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, force=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, force=True)

    def _horizontal_bar(self) -> int:
        return 1 if self.show_horizontal_scrollbar else 0

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self.cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, direction: int) -> None:
        self.move_cursor(row=0 if direction < 0 else len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x + int(self.scroll_offset.x))
            if column is not None:
                self.post_message(self.HeaderSelected(column))
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if row >= len(self._order):
            return
        if row == self.cursor_row:
            self.post_message(self.RowSelected())
        else:
            self.move_cursor(row=row)

    def _column_at(self, x: int) -> str | None:
        left = 0
        for key, _ in COLUMNS:
            left += self._width(key) + 2
            if x < left:
                return key
        return None

    # -- drawing -----------------------------------------------------------------------

    def _width(self, key: str) -> int:
        return self.name_width if key == "name" else WIDTHS[key]

    def _resize_virtual(self) -> None:
        width = sum(self._width(key) + 2 for key, _ in COLUMNS)
        self.virtual_size = Size(width, len(self._order) + 1)

    def on_resize(self) -> None:
        """Give a wide terminal's spare columns to the name."""
        width = max(WIDTHS["name"], min(NAME_MAX, self.size.width - FIXED))
        if width != self.name_width:
            self.name_width = width
            self._forget_lines()
        self._resize_virtual()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        """Theme or focus changed: styles of header, cursor and stripes with it."""
        super().notify_style_update()
        self._styles.clear()
        self._forget_lines()

    def _forget_lines(self) -> None:
        self._cache.clear()
        self._header_strip = None

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # virtual line: the header takes line 0

    def _cells(self, row: RowData) -> dict[str, Text]:
        now = self.now()
        end = row.completed or now
        return {
            "sel": Text("●" if row.run_id in self.selected else " ", style="bold"),
            "id": Text(row.run_id),
            "status": status_text(row.status, row.stalled),
            "progress": Text(row.waiting, style="dim") if row.waiting
            else progress_bar(row.fraction) if row.readable
            else Text(NOT_READABLE, style="dim"),
            "name": safe(row.name or "", self.name_width),
            "template": safe(row.template, 20),
            "where": safe(row.where if row.owner is None else f"{row.owner}@{row.where}", 40),
            "erlang": Text("-" if row.erlang is None else f"{row.erlang:g}"),
            "eta": Text(eta(row.started, row.fraction, now, row.seconds_left)
                        if row.status == "RUNNING" else "-"),
            "started": Text(timestamp(row.started)),
            "duration": Text(duration((end - row.started).total_seconds()
                                      if row.started else None)),
        }

    def _line(self, cells: dict[str, Text], base: Style) -> Strip:
        """One line of fixed-width cells with a space either side, over `base`."""
        console = self.app.console
        segments: list[Segment] = []
        for key, _ in COLUMNS:
            text = cells[key]
            text.truncate(self._width(key), overflow="ellipsis", pad=True)
            segments.append(Segment(" "))
            segments.extend(text_segments(text, console))
            segments.append(Segment(" "))
        return Strip(list(Segment.apply_style(segments, base)))

    def _header(self) -> Strip:
        if self._header_strip is None:
            cells = {key: Text(label) for key, label in COLUMNS}
            base = self.rich_style + self._style("runs-table--header")
            self._header_strip = self._line(cells, base)
        return self._header_strip

    def _row_strip(self, index: int) -> Strip:
        run_id = self._order[index]
        cursor, even = index == self.cursor_row, index % 2 == 0
        cached = self._cache.get(run_id)
        if cached is not None and cached[:2] == (cursor, even):
            strip = cached[2]
        else:
            base = self.rich_style
            if cursor:
                base += self._style("runs-table--cursor")
            elif even:
                base += self._style("runs-table--even-row")
            strip = self._line(self._cells(self.rows_data[run_id]), base)
            self._cache[run_id] = (cursor, even, strip)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if index >= len(self._order):
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(index)
            if not self._painted:
                self._painted = True
                self.post_message(self.Painted())
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)
