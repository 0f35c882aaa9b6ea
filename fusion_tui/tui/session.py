"""The app as every screen sees it: settings, the store and run manager (opened in a
worker after the first frame; `connected` once open), the clock, toasts, one line for a
fault in any worker, and the keys that work everywhere.

Screens type `self.app` as this class (`app = getters.app(SessionApp)`, Textual's way);
`tui.app.FusionApp` adds the wiring (which screens, the first screen, the keymap check),
so no screen imports the module that imports every screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.worker import Worker, WorkerState

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.base.textsafe import one_line
from fusion_tui.runs.errors import RunError
from fusion_tui.store.status import utcnow

if TYPE_CHECKING:
    from fusion_tui.services import Services


class SessionApp(App[None]):
    """Settings, services once open, clock and toasts; see the module's docstring."""

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "toggle_help", "Help", id="app.toggle_help"),
    ]

    connected: var[bool] = var(False)
    """True once the store and run manager are open; screens act only then."""

    class ServicesOpened(Message):
        def __init__(self, services: Services) -> None:
            super().__init__()
            self.services = services

    class ServicesFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, source: Services | Settings, *,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        if isinstance(source, Settings):
            self.settings, self._services, self._owns_services = source, None, True
        else:
            self.settings, self._services, self._owns_services = source.settings, source, False
        self.services_error: str | None = None  # why the app left at start (CLI: exit 2)
        self._opening = False
        self._now = now or utcnow

    @property
    def services(self) -> Services:
        """Store and run manager; only used once `connected` (a bug otherwise)."""
        if self._services is None:
            raise RuntimeError("the store is not open yet")
        return self._services

    def now(self) -> datetime:
        """Current time (naive UTC); fixed in snapshot tests."""
        return self._now()

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- opening the store after the first frame ----------------------------------------

    def open_services(self) -> None:
        """Open the store and run manager in a worker (once; the run list asks)."""
        if self._services is None and not self._opening:
            self._opening = True
            self._open_services()

    @work(thread=True, exit_on_error=False, exclusive=True, group="open")
    def _open_services(self) -> None:
        # Imported here for start-up speed: SQLAlchemy takes longer than the first frame.
        from fusion_tui.services import open_services

        try:
            services = open_services(self.settings)
            services.manager.reconcile()
        except (SettingsError, RunError) as exc:
            self.post_message(self.ServicesFailed(one_line(str(exc), 1000)))
            return
        except Exception as exc:
            # Anything else still ends in one line: a worker's traceback shows its
            # locals, and those hold the database URL with its password.
            reason = f"cannot open the store: {describe(exc, self.settings.database_label)}"
            self.post_message(self.ServicesFailed(one_line(reason, 1000)))
            return
        self.post_message(self.ServicesOpened(services))

    def on_session_app_services_opened(self, message: ServicesOpened) -> None:
        self._services = message.services
        self.connected = True

    def on_session_app_services_failed(self, message: ServicesFailed) -> None:
        """Leave the app; the CLI prints the one-line reason and exits 2."""
        self.services_error = message.error
        self.exit(return_code=2)

    def close_services(self) -> None:
        """Close the store if the app opened it (tests close their own)."""
        if self._owns_services and self._services is not None:
            self._services.close()

    # -- faults while running: one line, never a traceback -------------------------------

    def say(self, text: str, *, severity: SeverityLevel = "information",
            title: str = "") -> None:
        """A toast whose text is data: never markup, never an escape sequence."""
        self.notify(one_line(text, 500), title=one_line(title, 80), severity=severity,
                    markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker runs with `exit_on_error=False`; a fault of the world (disk full, a
        locked or read-only database, a run that changed state) becomes one line."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        if isinstance(error, RunError | ConfigError | SettingsError | FaultError | OSError) or \
                type(error).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
            self.say(describe(error, self.settings.database_label), severity="error")
            return
        if isinstance(error, Exception):
            self._handle_exception(error)
