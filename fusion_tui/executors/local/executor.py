"""The local executor: a run is a detached supervisor on this machine, started from the
calling user's queue when the run has a slot (`executors/spawn.py` starts it).

A cancel asks the run's supervisor and waits briefly for it to answer; one that is
stopped or silent is not waited for (`cancelling.py`). A run whose supervisor died is
settled from what it recorded, or given a new supervisor that adopts it.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.faults import describe_os_error
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import (
    ADOPTED,
    Cancelled,
    CycleReport,
    QueuedExecutor,
    RunOptions,
    Support,
)
from fusion_tui.executors.local.cancelling import Canceller, recorded_supervisor
from fusion_tui.executors.local.describe import LOCAL
from fusion_tui.executors.spawn import start_supervisor
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow

# A run this young without a status.json is still having its supervisor started.
STARTUP_WINDOW = timedelta(seconds=10)


class LocalExecutor(QueuedExecutor):
    """Start supervisors as detached local processes."""

    description = LOCAL

    def __init__(self, settings: Settings, store: RunStore, support: Support) -> None:
        self.settings = settings
        self.store = store
        self.support = support
        self.canceller = Canceller(settings, store, support, self._adopter)

    def supervisor_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSION_TUI_")}
        env.update(self.settings.to_env())
        return env

    # -- making a run --------------------------------------------------------------------

    def resolve(self, asked: Mapping[str, str | None], template: Mapping[str, str],
                template_name: str) -> RunOptions | None:
        """It takes none (the run manager refuses options given to it, by its
        description, before asking)."""
        return None

    def check(self, options: RunOptions | None) -> None:
        """Nothing to ask: the queue takes every run."""

    def follow_problem(self, needed: Run) -> str | None:
        """The end of one of our local runs starts our queue at once (its recorder); a
        run elsewhere is known to have ended only when someone polls it, and another
        user's run starts their queue, not ours: both are refused."""
        if needed.executor != self.name:
            return (f"run {needed.id} runs on {needed.executor}; a local run can wait only "
                    "for local runs")
        if not self.support.is_mine(needed):
            return (f"run {needed.id} is {needed.owner}'s; a local run can wait only for "
                    "your own runs (theirs start their queue, not yours)")
        return None

    def options_of(self, run: Run) -> dict[str, str | None] | None:
        return None

    def add(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        self.store.add(run)

    def records(self, runs: Sequence[Run], options: RunOptions | None) -> list[object]:
        return []

    def write_batch(self, batch_id: str, name: str | None, folder: Path, runs: Sequence[Run],
                    options: RunOptions | None, limit: int | None) -> None:
        """Nothing to write: a batch's runs wait in the queue like any other."""

    # -- handing it over -----------------------------------------------------------------

    def submit(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        self.support.queue([run.id])

    def submit_batch(self, runs: Sequence[Run], folder: Path, options: RunOptions | None,
                     undo: Callable[[], None]) -> None:
        self.support.queue([r.id for r in runs])

    def start(self, run: Run) -> bool:
        """Lock the run and spawn its supervisor (which records who it is); a run whose
        folder cannot be locked or whose process cannot be started is FAILED (True: its
        slot is free), and one that cannot be started for want of descriptors, memory or
        processes goes back in the queue, to start when a run of ours ends or anything
        starts the queue."""
        paths = RunPaths(Path(run.run_dir))
        try:
            fd = lock.take(paths.lock)
            if fd is None:
                raise OSError(f"run {run.id} already has a supervisor")
            try:
                _register(paths)
                try:
                    start_supervisor(paths, run.id, fd, adopt=False, env=self.supervisor_env,
                                     handover=self.support.recorders)
                except OSError:
                    # Not started: no live supervisor may take it for an orphan to adopt.
                    with contextlib.suppress(OSError):
                        paths.active_entry.unlink(missing_ok=True)
                    raise
            finally:
                os.close(fd)
        except OSError as exc:
            why = describe_os_error(exc)
            if exc.errno in _SHORTAGES and self.store.unclaim(
                    run.id, f"not started ({why}): back in the queue"):
                return False
            self.store.finish(run.id, RunStatus.FAILED, exit_code=None,
                              error=f"cannot start supervisor: {why}")
            return True
        # Its supervisor's identity reaches the store with its first report (status.json
        # has it at once): not a transaction of its own after every run of a queue.
        return False

    def _adopter(self, run_id: str, paths: RunPaths, lock_fd: int) -> int:
        """Start a supervisor that adopts a run whose supervisor is gone (we hold its lock)."""
        _register(paths)
        return start_supervisor(paths, run_id, lock_fd, adopt=True, env=self.supervisor_env)

    # -- stopping and removing it --------------------------------------------------------

    def cancel(self, run: Run) -> Run | None:
        return self.canceller.cancel(run)

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        return self.canceller.cancel_many(runs)

    def release(self, run: Run) -> None:
        """Nothing holds a finished run: its supervisor has ended."""

    # -- watching it ---------------------------------------------------------------------

    def watch(self, *, force: bool = False) -> CycleReport:
        """Settle or adopt every running local run of ours whose supervisor is gone."""
        report = CycleReport()
        for run in self.store.runs_with_status(RunStatus.RUNNING):
            if run.executor == self.name and self.support.is_mine(run):
                outcome = self.adopt(run)
                if outcome is not None:
                    report.settled.append((run.id, outcome))
        return report

    def adopt(self, run: Run) -> str | None:
        """An outcome its supervisor recorded in status.json is taken as it is. Otherwise
        a run whose supervisor lock is free gets a new supervisor (`--adopt`), which
        re-attaches to a live simulator or settles an ended one from the evidence.
        Nothing is ever restarted. Another host's or user's run is left alone."""
        if not self.support.is_mine(run) or run.status != RunStatus.RUNNING \
                or run.executor != self.name or run.hostname not in (None, self.support.hostname):
            return None
        paths = RunPaths(Path(run.run_dir))
        if not paths.root.is_dir():
            self.store.finish(run.id, RunStatus.FAILED, exit_code=None,
                              error=f"lost: its run directory {paths.root} is gone",
                              recovered="run directory missing")
            return RunStatus.FAILED.value
        if procs.is_same_process(*recorded_supervisor(paths)):
            return None  # alive (a supervisor of an older fusion-tui holds no lock)
        try:
            fd = lock.take(paths.lock)
        except OSError:
            return None
        if fd is None:
            return None  # its supervisor is alive and records the outcome itself
        try:
            settled = self.settle(run)
            if settled is not None:
                return settled
            if not paths.status.exists() and _recently_started(run):
                return None  # its supervisor is being started
            self._adopter(run.id, paths, fd)
        finally:
            os.close(fd)
        return ADOPTED

    def settle(self, run: Run) -> str | None:
        """Take an outcome that the run's supervisor wrote to status.json before it died
        (the caller holds the run's lock, so it is gone)."""
        recorded = self.support.evidence.recorded(RunPaths(Path(run.run_dir)))
        if recorded is None:
            return None
        outcome, completed = recorded
        self.store.finish(
            run.id, RunStatus(outcome.status), exit_code=outcome.exit_code, error=outcome.error,
            completed_at=datetime.fromisoformat(completed) if completed else None,
            recovered=outcome.recovered, note=outcome.note)
        self.support.slot_freed()
        return outcome.status


def _recently_started(run: Run) -> bool:
    return run.started_at is not None and utcnow() - run.started_at < STARTUP_WINDOW


# Errors that say the machine, not the run, is short of something: the run is not to
# blame, and the next start would fail alike.
_SHORTAGES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EAGAIN})


def _register(paths: RunPaths) -> None:
    """Enter the run in the runs folder's register, where live supervisors look for
    runs whose supervisor died."""
    entry = paths.active_entry
    entry.parent.mkdir(exist_ok=True)
    entry.touch()
