"""Your recurring schedules: each one's cron expression, what it starts, when it is next
due, what it last started and whether it is paused; pause or resume and delete (asks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from fusion_tui.schedules.manager import next_due, spec_of
from fusion_tui.store.models import Schedule
from fusion_tui.tui import actions
from fusion_tui.tui.confirmations import confirm_schedule_delete
from fusion_tui.tui.format import safe
from fusion_tui.tui.format import timestamp as time_text
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar

RELOAD_SECONDS = 5.0
EMPTY = ('No schedules yet.\n\nFrom a shell: fusion-tui schedule add "0 2 * * *" -t minimal\n'
         "then once: fusion-tui schedule install (a crontab line that starts what is due)")


@dataclass(frozen=True)
class ScheduleLine:
    schedule: Schedule
    what: str
    next_due: datetime | None


class SchedulesScreen(Screen[None]):
    AUTO_FOCUS = "#schedules"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="schedules.back"),
        Binding("p", "toggle_pause", "Pause/resume", id="schedules.toggle_pause"),
        Binding("d", "delete_schedule", "Delete", id="schedules.delete"),
    ]

    app = getters.app(SessionApp)

    class Loaded(Message):
        def __init__(self, lines: list[ScheduleLine]) -> None:
            super().__init__()
            self.lines = lines

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="schedules-status")
        yield DataTable(id="schedules", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY, id="schedules-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "schedules"
        table = self.query_one("#schedules", DataTable)
        for title in ("ID", "Name", "Cron", "What", "Next due", "Last started", "State"):
            table.add_column(title, key=title.lower())
        self.query_one("#schedules-empty").display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)

    @work(thread=True, exit_on_error=False, exclusive=True, group="reload")
    def reload(self) -> None:
        now = self.app.now()
        lines = [ScheduleLine(s, spec_of(s).what(), next_due(s, now))
                 for s in self.app.services.schedules.listing()]
        self.post_message(self.Loaded(lines))

    def on_schedules_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one("#schedules", DataTable)
        current = self.current_id
        table.clear()
        for line in message.lines:
            s = line.schedule
            last = "-" if s.last_started_id is None else \
                f"{s.last_started_id} ({time_text(s.last_due_at)})"
            table.add_row(s.id, safe(s.name or "-", 30), safe(s.cron, 30), safe(line.what, 40),
                          time_text(line.next_due) if line.next_due else "-", last,
                          "paused" if s.paused else "active", key=s.id)
        if current is not None and current in {line.schedule.id for line in message.lines}:
            table.move_cursor(row=table.get_row_index(current))
        empty = not message.lines
        self.query_one("#schedules-empty").display = empty
        table.display = not empty
        paused = sum(1 for line in message.lines if line.schedule.paused)
        self.query_one("#schedules-status", Static).update(
            f"{len(message.lines)} schedule(s), {paused} paused; `fusion-tui schedule "
            "install` once lets your crontab start them")

    @property
    def current_id(self) -> str | None:
        table = self.query_one("#schedules", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def _current_paused(self) -> bool:
        table = self.query_one("#schedules", DataTable)
        return str(table.get_row_at(table.cursor_row)[-1]) == "paused"

    def action_toggle_pause(self) -> None:
        if (schedule_id := self.current_id) is not None:
            actions.schedule_action(self.app, "resume" if self._current_paused() else "pause",
                                    schedule_id, self.reload)

    def action_delete_schedule(self) -> None:
        if (schedule_id := self.current_id) is not None:
            confirm_schedule_delete(self.app, schedule_id, self.reload)
