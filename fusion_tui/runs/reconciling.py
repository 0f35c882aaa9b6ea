"""Settling and adopting runs whose supervisor is gone, and the watch cycle of the
executors whose runs are only known by polling; `wait` for scripts and tests.

Each executor knows how its runs are settled or adopted (`Executor.adopt`, `watch`);
another user's runs are left alone, theirs to adopt or settle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fusion_tui.executors.executor import CycleReport
from fusion_tui.runs.context import RunContext
from fusion_tui.store.models import Run
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus


@dataclass(frozen=True)
class Reconciled:
    run_id: str
    outcome: str


class Reconciler:
    def __init__(self, ctx: RunContext, schedule: Callable[[], object],
                 end_blocked: Callable[[], object]) -> None:
        self.ctx = ctx
        self._schedule = schedule
        self._end_blocked = end_blocked
        self.last_watch = CycleReport()

    def reconcile_run(self, run: Run) -> Reconciled | None:
        """Settle or adopt one unfinished run whose supervisor is gone (see its
        executor's `adopt`); None when it is fine. Nothing is ever restarted."""
        if not self.ctx.is_mine(run):
            return None
        outcome = self.ctx.executor(run.executor).adopt(run)
        return Reconciled(run.id, outcome) if outcome is not None else None

    def reconcile(self, *, schedule: bool = True) -> list[Reconciled]:
        """Settle or adopt every unfinished run of ours, then (unless only looking) start
        our queued runs that now fit."""
        settled: list[Reconciled] = []
        for executor in self.ctx.executors.values():
            if not executor.polled:
                settled += [Reconciled(*s) for s in executor.watch().settled]
        settled += [Reconciled(*s) for s in self.watch().settled]
        if schedule:
            self._schedule()
        elif any(s.outcome in FINISHED_STATUSES and s.outcome != RunStatus.COMPLETED
                 for s in settled):
            self._end_blocked()  # the queued runs after a run found lost end with it
        return settled

    def watch(self, *, force: bool = False) -> CycleReport:
        """One cycle of every executor whose runs are known only by polling (their run
        folders; a scheduler when due); what it did is also kept in `last_watch`."""
        report = CycleReport()
        for executor in self.ctx.executors.values():
            if executor.polled:
                report.add(executor.watch(force=force), executor.name)
        self.last_watch = report
        return report

    def wait(self, run_id: str, *, timeout: float | None = None, poll: float = 0.25) -> Run:
        """Block until the run has finished (for scripts and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        checks = 0
        while True:
            run = self.ctx.get(run_id)
            if run.status in FINISHED_STATUSES:
                return run
            checks += 1
            if self.ctx.executor(run.executor).polled or checks % 8 == 0:
                self.reconcile_run(run)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} still {run.status} after {timeout:g} s")
            time.sleep(poll)
