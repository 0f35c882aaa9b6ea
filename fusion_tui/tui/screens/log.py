"""The log of one run, live: follow (f), search (/ n N), top/bottom (g G), wrap (w),
each line's whole prefix or its time only (p)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input

from fusion_tui.base.rundir import RunPaths, folder_readable
from fusion_tui.tui.format import closed_folder
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.log.status import LogStatus
from fusion_tui.tui.widgets.log.view import LogView


class LogScreen(Screen[None]):
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding("escape", "back", "Back", id="log.back"),
        Binding("f", "toggle_follow", "Follow", id="log.toggle_follow"),
        Binding("slash", "search", "Search", id="log.search"),
        Binding("n", "next_hit", "Next hit", id="log.next_hit"),
        Binding("N", "previous_hit", "Prev hit", id="log.previous_hit"),
        Binding("g", "top", "Top", id="log.top"),
        Binding("G", "bottom", "Bottom", id="log.bottom"),
        Binding("w", "toggle_wrap", "Wrap", id="log.toggle_wrap"),
        Binding("p", "toggle_prefix", "Prefix", id="log.toggle_prefix"),
    ]

    app = getters.app(SessionApp)

    class Located(Message):
        def __init__(self, path: Path | None, owner: str | None = None) -> None:
            super().__init__()
            self.path = path
            self.owner = owner  # set when the run is another user's, its folder closed to us

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield LogStatus(id="log-status")
        yield Input(placeholder="search (enter: find, escape: close)", id="search")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = f"log of {self.run_id}"
        self.query_one("#search").display = False
        self.locate()

    @work(thread=True, exit_on_error=False)
    def locate(self) -> None:
        run = self.app.services.store.get(self.run_id)
        if run is not None and not folder_readable(Path(run.run_dir)):
            self.post_message(self.Located(None, run.owner or "-"))
            return
        self.post_message(self.Located(RunPaths(Path(run.run_dir)).log if run else None))

    def on_log_screen_located(self, message: Located) -> None:
        if message.path is None:
            text = Text("This run no longer exists.")
            if message.owner is not None:
                text = closed_folder("The log is", message.owner)
            self.query_one(LogStatus).update(text)
            return
        view = LogView(message.path, id="log")
        self.mount(view, after=self.query_one("#log-status"))
        view.focus()

    @property
    def view(self) -> LogView | None:
        views = self.query(LogView)
        return views.first() if views else None

    def on_log_view_state_changed(self) -> None:
        if self.view is not None:
            self.query_one(LogStatus).show(self.view)

    def action_back(self) -> None:
        box = self.query_one("#search", Input)
        if box.display:
            box.display = False
            if self.view:
                self.view.focus()
            return
        self.app.pop_screen()

    def action_toggle_follow(self) -> None:
        if self.view:
            self.view.follow = not self.view.follow

    def action_toggle_wrap(self) -> None:
        if self.view:
            self.view.wrap = not self.view.wrap

    def action_toggle_prefix(self) -> None:
        if self.view:
            self.view.choose_prefix(not self.view.short_prefix)

    def action_top(self) -> None:
        if self.view:
            self.view.follow = False
            self.view.scroll_home(animate=False)

    def action_bottom(self) -> None:
        if self.view:
            self.view.follow = True

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#search")
    def run_search(self, event: Input.Submitted) -> None:
        view = self.view
        if view is None or not event.value:
            return
        view.hit = None
        view.search(event.value)
        event.input.display = False
        view.focus()

    def action_next_hit(self) -> None:
        if self.view and self.view.term:
            self.view.search(self.view.term, True)

    def action_previous_hit(self) -> None:
        if self.view and self.view.term:
            self.view.search(self.view.term, False)
