"""The fusion-tui Textual app and its factory (`create_app`), shared by the CLI and tests:
its screens, the first of them, the keymap check and the command palette.

The app drives the run manager and store in-process; all blocking work (database,
signals, psutil) runs in thread workers that post messages back (`tui.actions`,
`tui.watchers`, each screen's own). Runs do not belong to the app: quitting or losing
the terminal never stops them.

Given settings rather than open services (the CLI), the app paints its first frame from
the newest runs read straight from the SQLite file, then opens the store in a worker:
SQLAlchemy alone takes longer to import than the whole first frame. Until the store is
open (`connected`), keys that need it are shown but inactive.

Screens are imported where they are opened, for start-up speed: only the run list is on
the first frame's path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.filter import LineFilter
from textual.screen import Screen

from fusion_tui.base.resources import styles_dir
from fusion_tui.base.settings import Settings
from fusion_tui.executors.descriptions import DESCRIPTIONS
from fusion_tui.tui import navigation
from fusion_tui.tui.keys import conflicts, unknown_ids
from fusion_tui.tui.palette import IdsProvider, palette_commands
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.terminal_colors import ANSI_THEME, few_colors, readable_filters
from fusion_tui.tui.watchers import FinishedRuns, PolledRuns

if TYPE_CHECKING:
    from fusion_tui.services import Services

# The runs of executors that are polled: their folders are read this often; a scheduler
# is asked only as often as its executor allows (a setting of its own, shared by every
# client of the store).
POLL_SECONDS = 2.0
NOTIFY_SECONDS = 1.0


class FusionApp(SessionApp):
    """Keyboard-driven view and control of simulation runs."""

    TITLE = "fusion-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, source: Services | Settings, *,
                 now: Callable[[], datetime] | None = None,
                 watch_notifications: bool = True) -> None:
        super().__init__(source, now=now)
        self._watch_notifications = watch_notifications
        self.register_theme(ANSI_THEME)
        if few_colors(self.console.color_system):
            self.theme = ANSI_THEME.name

    def get_line_filters(self) -> Sequence[LineFilter]:
        return readable_filters(super().get_line_filters(), self.native_ansi_color)

    def get_default_screen(self) -> Screen[Any]:
        """The run list is the bottom of the stack: no blank screen is drawn under it."""
        from fusion_tui.tui.screens.runs import RunsScreen

        return RunsScreen()

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        if self._services is not None:
            self.connected = True

    def watch_connected(self, connected: bool) -> None:
        if not connected:
            return
        if self.settings.keymap:
            self.call_after_refresh(self._check_keymap)
        if self._watch_notifications:
            self.set_interval(NOTIFY_SECONDS, FinishedRuns(self).check)
        if any(d.polled for d in DESCRIPTIONS.values()):
            self.set_interval(POLL_SECONDS, PolledRuns(self).check)

    def _check_keymap(self) -> None:
        """Say which remapped binding ids do not exist, and leave (exit 2) when the keymap
        gives one key to two actions on a screen (after the first frame: it imports every
        screen)."""
        clashes = conflicts(dict(self.settings.keymap))
        if clashes:
            self.services_error = f"{self.settings.config_file}: [keys] {'; '.join(clashes)}"
            self.exit(return_code=2)
            return
        unknown = unknown_ids(dict(self.settings.keymap))
        if unknown:
            self.say(f"{self.settings.config_file}: [keys] {', '.join(unknown)}: no such key "
                     "binding (`fusion-tui keys` lists them)", title="Settings",
                     severity="warning")

    # -- the screens -------------------------------------------------------------------

    def open_detail(self, run_id: str) -> None:
        from fusion_tui.tui.screens.detail import DetailScreen

        self.push_screen(DetailScreen(run_id))

    def open_log(self, run_id: str) -> None:
        from fusion_tui.tui.screens.log import LogScreen

        self.push_screen(LogScreen(run_id))

    def open_artifacts(self, run_id: str) -> None:
        from fusion_tui.tui.screens.artifacts import ArtifactsScreen

        self.push_screen(ArtifactsScreen(run_id))

    def open_new_run(self, clone_of: str | None = None) -> None:
        from fusion_tui.tui.screens.new_run import NewRunScreen

        self.push_screen(NewRunScreen(clone_of=clone_of))

    def open_sweeps(self) -> None:
        from fusion_tui.tui.screens.sweeps import SweepsScreen

        if not isinstance(self.screen, SweepsScreen):  # the palette offers it there too
            self.push_screen(SweepsScreen())

    def open_sweep(self, sweep_id: str) -> None:
        from fusion_tui.tui.screens.sweep import SweepScreen

        self.push_screen(SweepScreen(sweep_id))

    def open_schedules(self) -> None:
        from fusion_tui.tui.screens.schedules import SchedulesScreen

        if not isinstance(self.screen, SchedulesScreen):  # the palette offers it there too
            self.push_screen(SchedulesScreen())

    def open_comparison(self, *, sweep_id: str | None = None,
                        run_ids: list[str] | None = None) -> None:
        from fusion_tui.tui.screens.comparison import ComparisonScreen

        self.push_screen(ComparisonScreen(sweep_id=sweep_id, run_ids=run_ids))

    def on_open_detail(self, message: navigation.OpenDetail) -> None:
        self.open_detail(message.run_id)

    def on_open_log(self, message: navigation.OpenLog) -> None:
        self.open_log(message.run_id)

    def on_open_artifacts(self, message: navigation.OpenArtifacts) -> None:
        self.open_artifacts(message.run_id)

    def on_open_new_run(self, message: navigation.OpenNewRun) -> None:
        self.open_new_run(message.clone_of)

    def on_open_sweeps(self, _message: navigation.OpenSweeps) -> None:
        self.open_sweeps()

    def on_open_sweep(self, message: navigation.OpenSweep) -> None:
        self.open_sweep(message.sweep_id)

    def on_open_schedules(self, _message: navigation.OpenSchedules) -> None:
        self.open_schedules()

    def on_open_comparison(self, message: navigation.OpenComparison) -> None:
        self.open_comparison(sweep_id=message.sweep_id, run_ids=message.run_ids)

    # -- command palette: every action of the app (tui.palette) ----------------------

    COMMANDS = SessionApp.COMMANDS | {IdsProvider}

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return palette_commands(self, screen, super().get_system_commands(screen))


def create_app(source: Services | Settings, *, now: Callable[[], datetime] | None = None,
               watch_notifications: bool = True) -> FusionApp:
    """The one way to build the app (CLI and tests alike): on open services, or on
    settings, in which case the app opens the store itself after its first frame."""
    return FusionApp(source, now=now, watch_notifications=watch_notifications)
