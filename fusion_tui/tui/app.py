"""The fusion-tui Textual app and its factory (`create_app`), shared by the CLI and tests.

The app drives the run manager and store in-process; all blocking work (database,
signals, psutil) runs in thread workers that post messages back. Runs do not belong to
the app: quitting or losing the terminal never stops them.

Given settings rather than open services (the CLI), the app paints its first frame from
the newest runs read straight from the SQLite file, then opens the store in a worker:
SQLAlchemy alone takes longer to import than the whole first frame. Until the store is
open (`connected`), keys that need it are shown but inactive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.resources import styles_dir
from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.base.textsafe import one_line
from fusion_tui.runs.errors import RunError
from fusion_tui.store.query import RunQuery
from fusion_tui.store.queue import MAX_PARALLEL
from fusion_tui.store.status import FINISHED_STATUSES, utcnow
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.confirm import ConfirmScreen

if TYPE_CHECKING:
    from fusion_tui.services import Services

# Slurm runs: their folders are read this often; squeue is asked at most every
# slurm_poll_seconds (shared by every client of the store).
SLURM_WATCH_SECONDS = 2.0
NOTIFY_SECONDS = 1.0


class FusionApp(App[None]):
    """Keyboard-driven view and control of simulation runs."""

    TITLE = "fusion-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
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
                 now: Callable[[], datetime] | None = None,
                 watch_notifications: bool = True) -> None:
        super().__init__()
        if isinstance(source, Settings):
            self.settings, self._services, self._owns_services = source, None, True
        else:
            self.settings, self._services, self._owns_services = source.settings, source, False
        self.services_error: str | None = None  # why the app left at start (CLI: exit 2)
        self._opening = False
        self._slurm_watching = False
        self._slurm_problem: str | None = None
        self._now = now or utcnow
        self._watch_notifications = watch_notifications
        self._seen_finished: datetime | None = None

    @property
    def services(self) -> Services:
        """Store and run manager; only used once `connected` (a bug otherwise)."""
        if self._services is None:
            raise RuntimeError("the store is not open yet")
        return self._services

    def now(self) -> datetime:
        """Current time (naive UTC); fixed in snapshot tests."""
        return self._now()

    def on_mount(self) -> None:
        from fusion_tui.tui.screens.runs import RunsScreen

        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        if self._services is not None:
            self._connect()
        self.push_screen(RunsScreen())

    # -- opening the store after the first frame ----------------------------------------

    def open_services(self) -> None:
        """Open the store and run manager in a worker (once; the run list asks)."""
        if self._services is None and not self._opening:
            self._opening = True
            self._open_services()

    @work(thread=True, exit_on_error=False, exclusive=True, group="open")
    def _open_services(self) -> None:
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

    def on_fusion_app_services_opened(self, message: ServicesOpened) -> None:
        self._services = message.services
        self._connect()

    def on_fusion_app_services_failed(self, message: ServicesFailed) -> None:
        """Leave the app; the CLI prints the one-line reason and exits 2."""
        self.services_error = message.error
        self.exit(return_code=2)

    def _connect(self) -> None:
        self.connected = True
        if self.settings.keymap:
            self.call_after_refresh(self._check_keymap)
        if self._watch_notifications:
            self._seen_finished = self.now()
            self.set_interval(NOTIFY_SECONDS, self.check_finished)
        self.set_interval(SLURM_WATCH_SECONDS, self.watch_slurm)

    def _check_keymap(self) -> None:
        """Say which remapped binding ids do not exist, and leave (exit 2) when the keymap
        gives one key to two actions on a screen (after the first frame: it imports every
        screen)."""
        from fusion_tui.tui.keys import conflicts, unknown_ids

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

    def watch_slurm(self) -> None:
        """Fold Slurm runs' folders (and, when due, squeue) into the store."""
        if not self._slurm_watching:
            self._slurm_watching = True
            self._watch_slurm()

    @work(thread=True, exit_on_error=False, group="slurm")
    def _watch_slurm(self) -> None:
        try:
            self.services.manager.watch()
            problem = self.services.manager.last_watch.problem
            if problem and problem != self._slurm_problem:
                self.call_from_thread(self.say, problem, title="Slurm", severity="warning")
            self._slurm_problem = problem
        finally:
            self._slurm_watching = False

    def close_services(self) -> None:
        """Close the store if the app opened it (tests close their own)."""
        if self._owns_services and self._services is not None:
            self._services.close()

    # -- navigation --------------------------------------------------------------------

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

        self.push_screen(SweepsScreen())

    def open_sweep(self, sweep_id: str) -> None:
        from fusion_tui.tui.screens.sweep import SweepScreen

        self.push_screen(SweepScreen(sweep_id))

    def open_comparison(self, *, sweep_id: str | None = None,
                        run_ids: list[str] | None = None) -> None:
        from fusion_tui.tui.screens.comparison import ComparisonScreen

        self.push_screen(ComparisonScreen(sweep_id=sweep_id, run_ids=run_ids))

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- confirmations and the actions behind them ------------------------------------

    def confirm_cancel(self, run_ids: list[str], done: Callable[[], None] | None = None) -> None:
        body = Text(f"Cancel {len(run_ids)} run(s)? Running simulations get SIGTERM, then "
                    f"SIGKILL after {self.services.settings.cancel_grace:g} s.\n\n")
        body.append_text(self._describe(run_ids))

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel_runs(run_ids)
                if done:
                    done()

        self.push_screen(ConfirmScreen("Cancel runs", body), answered)

    def confirm_delete(self, run_ids: list[str], done: Callable[[], None] | None = None) -> None:
        body = Text(f"Delete {len(run_ids)} finished run(s) and their directories? "
                    "This cannot be undone.\n\n")
        body.append_text(self._describe(run_ids))

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_runs(run_ids)
                if done:
                    done()

        self.push_screen(ConfirmScreen("Delete runs", body), answered)

    def confirm_sweep(self, action: str, sweep_id: str,
                      done: Callable[[], object] | None = None) -> None:
        """Ask, then cancel a sweep's unfinished runs, retry its failed points or delete
        it (with its runs and their folders)."""
        what = {"cancel": ("Cancel sweep", "Cancel every unfinished run of sweep"),
                "retry": ("Retry failed points", "Re-create every failed, cancelled, "
                          "timed-out or deleted point of sweep"),
                "delete": ("Delete sweep", "Delete finished sweep")}[action]
        body = Text(f"{what[1]} {sweep_id}?")
        if action == "delete":
            body.append(" Its runs and their folders go too; this cannot be undone.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.sweep_action(action, sweep_id, done)

        self.push_screen(ConfirmScreen(what[0], body), answered)

    @work(thread=True, exit_on_error=False, group="actions")
    def sweep_action(self, action: str, sweep_id: str,
                     done: Callable[[], object] | None = None) -> None:
        sweeps = self.services.sweeps
        if action == "cancel":
            message = f"sweep {sweep_id}: cancel requested for {len(sweeps.cancel(sweep_id))} " \
                      "run(s)"
        elif action == "retry":
            message = sweeps.retry(sweep_id).text(sweep_id)
        else:
            message = f"sweep {sweep_id} deleted with its {sweeps.delete(sweep_id)} run(s)"
        self.call_from_thread(self.say, message)
        if done is not None:
            self.call_from_thread(done)

    def _describe(self, run_ids: list[str]) -> Text:
        text = Text()
        for run_id in run_ids[:8]:
            run = self.services.store.get(run_id)
            text.append(f"  {run_id}  ")
            text.append_text(safe(run.name if run else "", 40))
            text.append("\n")
        if len(run_ids) > 8:
            text.append(f"  … and {len(run_ids) - 8} more\n")
        return text

    @work(thread=True, exit_on_error=False, group="actions")
    def change_queue(self, *, paused: bool | None = None, delta: int = 0,
                     done: Callable[[], object] | None = None) -> None:
        """Pause or resume our queue, or change its limit by `delta` (kept in the store;
        another user's queue is theirs)."""
        store = self.services.store
        limit = None
        if delta:
            limit = max(1, min(MAX_PARALLEL, store.queue().max_concurrent + delta))
        queue = store.set_queue(max_concurrent=limit, paused=paused)
        if not queue.paused:
            self.services.manager.schedule()
        state = (f"paused: queued runs wait (up to {queue.max_concurrent} at once when resumed)"
                 if queue.paused else f"running, up to {queue.max_concurrent} at once")
        self.call_from_thread(self.say, f"Your queue {state}")
        if done is not None:
            self.call_from_thread(done)

    @work(thread=True, exit_on_error=False, group="actions")
    def cancel_runs(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            try:
                self.services.manager.cancel(run_id)
            except (RunError, FaultError) as exc:
                self.call_from_thread(self.say, str(exc), severity="warning")

    @work(thread=True, exit_on_error=False, group="actions")
    def delete_runs(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            try:
                self.services.manager.delete(run_id)
            except (RunError, FaultError) as exc:
                self.call_from_thread(self.say, str(exc), severity="warning")
            except OSError as exc:
                self.call_from_thread(self.say, describe(exc), severity="warning")
        self.call_from_thread(self.say, f"Deleted {len(run_ids)} run(s)")

    @work(thread=True, exit_on_error=False, exclusive=True, group="doctor")
    def check_fusion_setup(self, run_dir: str, template: str) -> None:
        """After a FUSION run is created: is FUSION set up for it? One line either way."""
        from fusion_tui.base.rundir import RunPaths
        from fusion_tui.base.safefile import read_text
        from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
        from fusion_tui.kinds.fusion.doctor import diagnose

        try:
            sections, _ = parse_ini(read_text(RunPaths(Path(run_dir)).config, TEMPLATE_LIMIT),
                                    "config")
        except (OSError, UnicodeDecodeError, ConfigError):
            sections = None
        problems = [c.problem for c in diagnose(self.settings, sections, template) if c.problem]
        if problems:
            more = f" (and {len(problems) - 1} more: run fusion-tui doctor)" \
                if len(problems) > 1 else ""
            self.call_from_thread(self.say, problems[0] + more, severity="warning",
                                  title="FUSION set-up")
        else:
            self.call_from_thread(self.say, "checkout, Python, command and files are fine",
                                  title="FUSION set-up")

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

    # -- toasts for runs that ended ------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="notify")
    def check_finished(self) -> None:
        since = self._seen_finished
        if since is None:
            return
        query = RunQuery(statuses=FINISHED_STATUSES, order_by="completed_at")
        recent = [r for r in self.services.store.list_runs(query, limit=20)
                  if r.completed_at is not None and r.completed_at > since]
        if not recent:
            return
        self._seen_finished = max(r.completed_at for r in recent if r.completed_at)
        for run in reversed(recent):
            label = f"{run.id} {run.name or ''}".strip()
            severity = {"COMPLETED": "information", "FAILED": "error"}.get(run.status, "warning")
            message = Text(f"{run.status.lower()}: ")
            message.append_text(safe(label, 60))
            self.call_from_thread(self.say, message.plain, title=f"Run {run.status.lower()}",
                                  severity=severity)

    # -- command palette: every key binding of the screen is a command ------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key
            yield SystemCommand(
                binding.description, f"key: {key}",
                lambda node=active.node, action=binding.action: self.call_later(
                    node.run_action, action),
            )


def create_app(source: Services | Settings, *, now: Callable[[], datetime] | None = None,
               watch_notifications: bool = True) -> FusionApp:
    """The one way to build the app (CLI and tests alike): on open services, or on
    settings, in which case the app opens the store itself after its first frame."""
    return FusionApp(source, now=now, watch_notifications=watch_notifications)
