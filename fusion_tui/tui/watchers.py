"""What the app keeps an eye on while it is open, each tick in a thread worker: runs
that ended (a toast each) and the runs of executors that are polled (their folders, and
their batch scheduler when due)."""

from __future__ import annotations

from rich.text import Text
from textual.notifications import SeverityLevel

from fusion_tui.executors.descriptions import description_of
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES
from fusion_tui.tui.format import safe
from fusion_tui.tui.session import SessionApp

_SEVERITY: dict[str, SeverityLevel] = {"COMPLETED": "information", "FAILED": "error"}


class FinishedRuns:
    """A toast for every run that ends after the app connected."""

    def __init__(self, app: SessionApp) -> None:
        self.app = app
        self.seen = app.now()

    def check(self) -> None:
        self.app.run_worker(self._check, thread=True, exit_on_error=False, exclusive=True,
                            group="notify")

    def _check(self) -> None:
        app, since = self.app, self.seen
        query = RunQuery(statuses=FINISHED_STATUSES, order_by="completed_at")
        recent = [r for r in app.services.store.list_runs(query, limit=20)
                  if r.completed_at is not None and r.completed_at > since]
        if not recent:
            return
        self.seen = max(r.completed_at for r in recent if r.completed_at)
        for run in reversed(recent):
            label = f"{run.id} {run.name or ''}".strip()
            message = Text(f"{run.status.lower()}: ")
            message.append_text(safe(label, 60))
            app.call_from_thread(app.say, message.plain, title=f"Run {run.status.lower()}",
                                 severity=_SEVERITY.get(run.status, "warning"))


class PolledRuns:
    """Folds the runs of executors that are polled (their folders, and their scheduler
    when due) into the store; a new problem with one is one warning, titled by it."""

    def __init__(self, app: SessionApp) -> None:
        self.app = app
        self.busy = False
        self.problem: str | None = None

    def check(self) -> None:
        if not self.busy:
            self.busy = True
            self.app.run_worker(self._watch, thread=True, exit_on_error=False, group="polled")

    def _watch(self) -> None:
        app = self.app
        try:
            app.services.manager.watch()
            report = app.services.manager.last_watch
            problem = report.problem
            if problem and problem != self.problem:
                title = description_of(report.problem_of or "").title
                app.call_from_thread(app.say, problem, title=title, severity="warning")
            self.problem = problem
        finally:
            self.busy = False
