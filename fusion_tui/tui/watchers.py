"""What the app keeps an eye on while it is open, each tick in a thread worker: runs
that ended (a toast each) and Slurm runs (their folders, and squeue when due)."""

from __future__ import annotations

from rich.text import Text
from textual.notifications import SeverityLevel

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


class SlurmRuns:
    """Folds Slurm runs' folders (and, when due, squeue) into the store; a new problem
    with Slurm is one warning."""

    def __init__(self, app: SessionApp) -> None:
        self.app = app
        self.busy = False
        self.problem: str | None = None

    def check(self) -> None:
        if not self.busy:
            self.busy = True
            self.app.run_worker(self._watch, thread=True, exit_on_error=False, group="slurm")

    def _watch(self) -> None:
        app = self.app
        try:
            app.services.manager.watch()
            problem = app.services.manager.last_watch.problem
            if problem and problem != self.problem:
                app.call_from_thread(app.say, problem, title="Slurm", severity="warning")
            self.problem = problem
        finally:
            self.busy = False
