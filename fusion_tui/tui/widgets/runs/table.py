"""The run list: a line-drawn table that holds one window of rows, fetched by page.

Only `PAGE` entries live in the table (a run, or a sweep with the runs shown under it);
moving the cursor past either end asks the screen for the neighbouring window
(`RunsTable.WindowRequest`), so 100,000 runs cost no more than 200. Every column has a
fixed width (`columns.py`; a flexible one alone grows with the terminal), so a row is
drawn straight into one strip of segments and cached until its values change: no
per-cell measuring or layout, which keeps the app's first frame and live updates cheap
(Textual's DataTable spends most of a first frame rendering cells one by one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
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

from fusion_tui.tui.format import text_segments
from fusion_tui.tui.widgets.runs.columns import FLEX_MAX, Column, shown_columns
from fusion_tui.tui.widgets.runs.row_data import RowData

if TYPE_CHECKING:
    from fusion_tui.runs.tail import RunSnapshot

PAGE = 200
SELECT_WIDTH = 1  # the selection mark, left of every shown column


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
        self.rows_data: dict[str, RowData] = {}  # by `RowData.key`
        self._order: list[str] = []
        self.selected: set[str] = set()  # run ids, also of runs outside the window
        self.window_offset = 0  # in entries (a sweep's runs shown under it are not)
        self.window_entries = 0
        self.total = 0
        self.now: Callable[[], datetime] = datetime.now
        self.columns: tuple[Column, ...] = shown_columns(None)
        self._widths: dict[str, int] = {}
        self._painted = False
        # row key -> (drawn under the cursor, striped, the line): redrawn when any differs
        self._cache: dict[str, tuple[bool, bool, Strip]] = {}
        self._header_strip: Strip | None = None
        self._styles: dict[str, Style] = {}
        self._own_style: Style | None = None  # `rich_style`, kept: it walks the ancestors
        self._fitted_width = -1  # the width `_widths` were fitted for
        self._fit_widths()

    # -- the window of rows ------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    def get_row_index(self, key: str) -> int:
        return self._order.index(key)

    @property
    def current_row(self) -> RowData | None:
        if 0 <= self.cursor_row < len(self._order):
            return self.rows_data[self._order[self.cursor_row]]
        return None

    @property
    def current_id(self) -> str | None:
        """The run under the cursor (None on a sweep's row)."""
        row = self.current_row
        return row.run_id if row is not None and row.sweep is None else None

    def show_window(self, rows: list[RowData], offset: int, total: int,
                    keep: str | None = None, *, entries: int | None = None) -> None:
        """Show `rows` (`entries` of them, all by default, starting at entry `offset` of
        `total`); keep the cursor on the row keyed `keep` (by default the current one)."""
        current = self.current_row
        keep = keep or (current.key if current is not None else None)
        self.window_offset, self.total = offset, total
        self.window_entries = len(rows) if entries is None else entries
        if self._order == [r.key for r in rows]:
            for row in rows:
                self.update_row(row)
            return
        self.rows_data = {r.key: r for r in rows}
        self._order = [r.key for r in rows]
        self._cache.clear()
        self._resize_virtual()
        if keep in self.rows_data:
            self.move_cursor(row=self._order.index(keep))
        else:
            self.move_cursor(row=min(self.cursor_row, max(0, len(self._order) - 1)))
        self.refresh()

    def update_row(self, row: RowData, *, force: bool = False) -> None:
        old = self.rows_data.get(row.key)
        if old is None or (old == row and not force):
            return
        self.rows_data[row.key] = row
        self._cache.pop(row.key, None)
        self._refresh_row(self._order.index(row.key))

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

    def select(self, run_ids: Iterable[str], *, on: bool = True) -> None:
        """Mark (or unmark) these runs, shown or not."""
        if on:
            self.selected |= set(run_ids)
        else:
            self.selected -= set(run_ids)
        self._cache.clear()
        self.refresh()

    def clear_selection(self) -> None:
        self.selected.clear()
        self._cache.clear()
        self.refresh()

    # -- columns -----------------------------------------------------------------------

    def show_columns(self, columns: tuple[Column, ...]) -> None:
        """Show these columns, in this order (the picker, `[columns]`)."""
        if columns == self.columns:
            return
        self.columns = columns
        self._fit_widths()
        self._forget_lines()
        self._resize_virtual()
        self.refresh()

    def _fit_widths(self) -> None:
        """Fixed widths; what the terminal has to spare goes to the flexible columns."""
        flexible = [c for c in self.columns if c.flexible]
        fixed = sum(c.width + 1 for c in self.columns if not c.flexible)
        # one cell before each column, one after the last, and the scrollbar
        spare = self.size.width - fixed - SELECT_WIDTH - 1 - 2 - len(flexible)
        each = spare // len(flexible) if flexible else 0
        self._widths = {c.key: max(c.width, min(FLEX_MAX, each)) if c.flexible else c.width
                        for c in self.columns}
        self._fitted_width = self.size.width

    # -- cursor and scrolling ----------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self._order) - 1)) if self._order else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()
        more_below = self.window_offset + self.window_entries < self.total
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
        left = SELECT_WIDTH + 1
        for column in self.columns:
            left += self._widths[column.key] + 1
            if x < left:
                return column.key
        return None

    # -- drawing -----------------------------------------------------------------------

    def _resize_virtual(self) -> None:
        width = SELECT_WIDTH + 2 + sum(self._widths[c.key] + 1 for c in self.columns)
        self.virtual_size = Size(width, len(self._order) + 1)

    def on_resize(self) -> None:
        """Give a wide terminal's spare columns to the flexible ones."""
        widths = self._widths
        self._fit_widths()
        if widths != self._widths:
            self._forget_lines()
        self._resize_virtual()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        """Theme or focus changed: styles of header, cursor and stripes with it."""
        super().notify_style_update()
        self._styles.clear()
        self._own_style = None
        self._forget_lines()

    def _forget_lines(self) -> None:
        self._cache.clear()
        self._header_strip = None

    @property
    def _base_style(self) -> Style:
        if self._own_style is None:
            self._own_style = self.rich_style
        return self._own_style

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # virtual line: the header takes line 0

    def _line(self, mark: Text, cells: list[Text], base: Style) -> Strip:
        """The selection mark, then one fixed-width cell per shown column, each after one
        blank cell, over `base`."""
        console = self.app.console
        segments: list[Segment] = [Segment(" ")]
        segments.extend(text_segments(mark, console))
        for column, text in zip(self.columns, cells, strict=True):
            text.truncate(self._widths[column.key], overflow="ellipsis", pad=True)
            segments.append(Segment(" "))
            segments.extend(text_segments(text, console))
        segments.append(Segment(" "))
        return Strip(list(Segment.apply_style(segments, base)))

    def _header(self) -> Strip:
        if self._header_strip is None:
            base = self._base_style + self._style("runs-table--header")
            self._header_strip = self._line(Text(" "), [Text(c.title) for c in self.columns],
                                            base)
        return self._header_strip

    def _row_strip(self, index: int) -> Strip:
        key = self._order[index]
        cursor, even = index == self.cursor_row, index % 2 == 0
        cached = self._cache.get(key)
        if cached is not None and cached[:2] == (cursor, even):
            strip = cached[2]
        else:
            base = self._base_style
            if cursor:
                base += self._style("runs-table--cursor")
            elif even:
                base += self._style("runs-table--even-row")
            row, now = self.rows_data[key], self.now()
            mark = Text("●" if row.sweep is None and row.run_id in self.selected else " ",
                        style="bold")
            cells = [c.render(row, now, self._widths[c.key]) for c in self.columns]
            strip = self._line(mark, cells, base)
            self._cache[key] = (cursor, even, strip)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if width != self._fitted_width:  # drawn before its resize event: fit now, once
            self._fit_widths()
            self._forget_lines()
        if y == 0:
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if index >= len(self._order):
                return Strip.blank(width, self._base_style)
            strip = self._row_strip(index)
            if not self._painted:
                self._painted = True
                self.post_message(self.Painted())
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style)
