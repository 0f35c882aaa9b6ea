"""A log viewer for files of any size (toolong's standard): lines are read on demand
through a bounded-memory LogIndex, rendered line by line (Line API), followed live.

Following pauses when the user scrolls up and resumes with `follow()` (keys f / G).
Wrapping lays out only the visible lines. Text is shown literally: escape sequences
are made visible, markup is never interpreted. Narrower than `FULL_PREFIX_FROM`
columns, each line's prefix (date, time, logger, level) is cut to its time of day (and
its level when not INFO), so that the message starts at column 9; `short_prefix`
switches it (key p), and the file is never changed.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fusion_tui.kinds.formats.loglines import short_prefix
from fusion_tui.monitor.log_index import LogIndex
from fusion_tui.tui.format import safe_line, text_segments

POLL_SECONDS = 0.2
FULL_PREFIX_FROM = 120  # columns: the full prefix takes 50 of them
_LEVELS = (
    (re.compile(r"\b(ERROR|CRITICAL|Traceback)\b"), Style(color="red", bold=True)),
    (re.compile(r"\bWARNING\b"), Style(color="yellow")),
)


class LogView(ScrollView, can_focus=True):
    """Scrollable, searchable, followable view of one log file."""

    follow: reactive[bool] = reactive(True)
    wrap: reactive[bool] = reactive(False)
    short_prefix: reactive[bool] = reactive(False, init=False)
    """Lines start with their time of day, not their whole prefix; set by the width
    until the user chooses (`choose_prefix`)."""

    class StateChanged(Message):
        """Line count, follow, wrap or search position changed (for the status line)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogView.StateChanged)

    class Indexed(Message):
        def __init__(self, changed: bool) -> None:
            super().__init__()
            self.changed = changed

    class SearchDone(Message):
        def __init__(self, term: str, line: int | None) -> None:
            super().__init__()
            self.term, self.line = term, line

    def __init__(self, path: Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.index = LogIndex(path)
        self.term = ""
        self.hit: int | None = None
        self.indexed = False
        self._max_width = 0
        self._layout_key: tuple[int, int, int, int, bool, bool] | None = None
        self._layout: list[Strip] = []
        self._prefix_chosen = False

    def on_mount(self) -> None:
        self.set_reactive(LogView.short_prefix, self.app.size.width < FULL_PREFIX_FROM)
        self.poll()
        self.set_interval(POLL_SECONDS, self._tick)

    def on_resize(self) -> None:
        if not self._prefix_chosen:
            self.short_prefix = self.size.width < FULL_PREFIX_FROM

    def choose_prefix(self, short: bool) -> None:
        """The user's choice: kept whatever the width."""
        self._prefix_chosen = True
        self.short_prefix = short

    def _tick(self) -> None:
        """Index new bytes; while following, also catch up with late layout changes
        (a scrollbar appearing moves the end by a row after the first scroll)."""
        if self.follow and self.scroll_offset.y != self.max_scroll_y:
            self._to_end()
        self.poll()

    @work(thread=True, exit_on_error=False, exclusive=True, group="index")
    def poll(self) -> None:
        changed = self.index.refresh()
        if changed or not self.indexed:
            self.post_message(self.Indexed(changed))

    def on_log_view_indexed(self, message: Indexed) -> None:
        self.indexed = True
        self._layout_key = None
        self.virtual_size = Size(self._virtual_width(), self.index.line_count)
        if self.follow:
            # After the refresh: the new virtual size is laid out by then.
            self.call_after_refresh(self._to_end)
        self.refresh()
        self.post_message(self.StateChanged())

    # -- rendering ---------------------------------------------------------------------

    def _text(self, number: int) -> Text:
        line = self.index.line(number)
        text = safe_line(short_prefix(line) if self.short_prefix else line)
        for pattern, style in _LEVELS:
            if pattern.search(text.plain):
                text.stylize(style)
                break
        if self.term:
            hit_style = "black on yellow" if number == self.hit else "reverse"
            text.highlight_words([self.term], style=hit_style, case_sensitive=False)
        return text

    @property
    def _width(self) -> int:
        """The columns text may use: the scrollbar's are not ours."""
        return max(1, self.scrollable_content_region.width)

    def render_line(self, y: int) -> Strip:
        width = self._width
        if self.wrap:
            return self._wrapped_row(y, width)
        scroll_x, scroll_y = self.scroll_offset
        number = scroll_y + y
        if number >= self.index.line_count:
            return Strip.blank(width, self.rich_style)
        text = self._text(number)
        text.no_wrap = True
        if text.cell_len > self._max_width:
            self._max_width = text.cell_len
            self.call_later(self._grow_width)
        strip = self._strip(text)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _strip(self, text: Text) -> Strip:
        """Segments with the widget's style under them: plain segments carry no style,
        and Textual's filters (NO_COLOR's monochrome) need one on every segment."""
        segments = Segment.apply_style(text_segments(text, self.app.console), self.rich_style)
        return Strip(list(segments), text.cell_len)

    def _column_of_hit(self, line: int, term: str) -> int | None:
        """With wrap off, where to scroll sideways so the hit is on screen (None: stay)."""
        if self.wrap:
            return None
        plain = self._text(line).plain
        at = plain.lower().find(term.lower())
        if at < 0:
            return None
        start = cell_len(plain[:at])
        end = start + cell_len(term)
        left, width = int(self.scroll_offset.x), self.size.width
        if left <= start and end <= left + width:
            return None
        self._max_width = max(self._max_width, cell_len(plain))
        self._grow_width()
        return max(0, start - width // 3)

    def _virtual_width(self) -> int:
        """Wrapped, the view is as wide as it is; else as wide as its longest line seen."""
        return self._width if self.wrap else max(self._max_width, self._width)

    def _grow_width(self) -> None:
        if not self.wrap and self._max_width > self.virtual_size.width:
            self.virtual_size = Size(self._max_width, self.index.line_count)

    def _wrapped_row(self, y: int, width: int) -> Strip:
        """Row `y` of the wrapped layout. Every line is wrapped whole; from the top line
        down, except at the end of the log, which is laid out from its last line up, so
        the tail (a long last line's rows included) is always on screen."""
        top = self.scroll_offset.y
        at_end = top >= self.max_scroll_y
        key = (top, width, self.index.line_count, self.index.generation,
               self.hit is not None, at_end)
        if key != self._layout_key:
            self._layout_key = key
            height = self.scrollable_content_region.height
            if at_end:
                rows: list[Strip] = []
                number = self.index.line_count - 1
                while len(rows) < height and number >= 0:
                    rows[:0] = self._wrap(number, width)
                    number -= 1
                self._layout = rows[-height:] if height > 0 else []
            else:
                self._layout = []
                number = top
                while len(self._layout) < height and number < self.index.line_count:
                    self._layout += self._wrap(number, width)
                    number += 1
        if y < len(self._layout):
            return self._layout[y].crop_extend(0, width, self.rich_style)
        return Strip([Segment(" " * width, self.rich_style)], width)

    def _wrap(self, number: int, width: int) -> list[Strip]:
        return [self._strip(part) for part in self._text(number).wrap(self.app.console, width)]

    # -- following, wrapping, searching ------------------------------------------------

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old and self.follow and new < self.max_scroll_y:
            self.follow = False
        self._layout_key = None

    def _to_end(self) -> None:
        # force: right after a resize the scrollbar (and so "may scroll") can lag behind
        # the new virtual size; max_scroll_y is already right.
        if self.follow:
            self.scroll_end(animate=False, immediate=True, force=True)

    def watch_follow(self, following: bool) -> None:
        if following:
            self.call_after_refresh(self._to_end)
        self.post_message(self.StateChanged())

    def watch_short_prefix(self, _short: bool) -> None:
        self._max_width = 0  # lines change length: measured again as they are drawn
        self.watch_wrap(self.wrap)

    def watch_wrap(self, _wrap: bool) -> None:
        self._layout_key = None
        self.virtual_size = Size(self._virtual_width(), self.index.line_count)
        if self.wrap:
            self.scroll_to(x=0, animate=False)
        self.refresh()
        self.post_message(self.StateChanged())

    def top_line(self) -> int:
        return int(self.scroll_offset.y)

    @work(thread=True, exit_on_error=False, exclusive=True, group="search")
    def search(self, term: str, forward: bool = True) -> None:
        start = self.hit if self.hit is not None else self.top_line() - (1 if forward else 0)
        line = self.index.find(term, start, forward=forward)
        self.post_message(self.SearchDone(term, line))

    def on_log_view_search_done(self, message: SearchDone) -> None:
        self.term, self.hit = message.term, message.line
        if message.line is not None:
            self.follow = False
            self.scroll_to(x=self._column_of_hit(message.line, message.term),
                           y=max(0, message.line - self.size.height // 3), animate=False)
        self._layout_key = None
        self.refresh()
        self.post_message(self.StateChanged())
