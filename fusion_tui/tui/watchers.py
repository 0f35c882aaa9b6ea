"""What the app keeps an eye on while it is open, each tick in a thread worker: runs
that ended (toasts, gathered per sweep) and the runs of executors that are polled (their
folders, and their batch scheduler when due)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel

from fusion_tui.executors.descriptions import description_of
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES
from fusion_tui.tui.format import safe
from fusion_tui.tui.session import SessionApp

if TYPE_CHECKING:
    from fusion_tui.store.models import Run

# More runs than this ending in one look (outside a sweep) make one toast, not one each.
SINGLE_TOASTS = 3


class FinishedRuns:
    """Toasts for the runs that end after the app connected: one per run when a few end,
    one per sweep (with counts) for a sweep's runs, one with counts for many at once, so a
    sweep ending never covers the screen."""

    def __init__(self, app: SessionApp) -> None:
        self.app = app
        self.seen = app.now()

    def check(self) -> None:
        self.app.run_worker(self._check, thread=True, exit_on_error=False, exclusive=True,
                            group="notify")

    def _check(self) -> None:
        app, since = self.app, self.seen
        query = RunQuery(statuses=FINISHED_STATUSES, order_by="completed_at")
        recent = [r for r in app.services.store.list_runs(query, limit=200)
                  if r.completed_at is not None and r.completed_at > since]
        if not recent:
            return
        self.seen = max(r.completed_at for r in recent if r.completed_at)
        recent.reverse()  # oldest first
        by_sweep: dict[str, list[Run]] = {}
        alone = []
        for run in recent:
            if run.sweep_id:
                by_sweep.setdefault(run.sweep_id, []).append(run)
            else:
                alone.append(run)
        toasts = [(f"Sweep {sweep_id}", _counts(runs), _severity(runs))
                  for sweep_id, runs in by_sweep.items()]
        if len(alone) > SINGLE_TOASTS:
            toasts.append((f"{len(alone)} runs ended", _counts(alone), _severity(alone)))
        else:
            toasts += [(f"Run {run.status.lower()}", _one(run), _severity([run]))
                       for run in alone]
        for title, message, severity in toasts:
            app.call_from_thread(app.say, message, title=title, severity=severity)


def _one(run: Run) -> str:
    label = safe(f"{run.id} {run.name or ''}".strip(), 60).plain
    return f"{run.status.lower()}: {label}"


def _counts(runs: list[Run]) -> str:
    """`3 completed, 1 failed` in the order statuses first appear."""
    counted = Counter(r.status.lower() for r in runs)
    return ", ".join(f"{n} {status}" for status, n in counted.items())


def _severity(runs: list[Run]) -> SeverityLevel:
    statuses = {r.status for r in runs}
    if "FAILED" in statuses:
        return "error"
    return "information" if statuses == {"COMPLETED"} else "warning"


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
