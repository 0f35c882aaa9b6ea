"""Cancel local runs; a cancel whose supervisor does not answer is carried out here.

A cancel asks the run's supervisor (SIGTERM, and a request file), which stops the
simulator and settles the run. A supervisor that is stopped (SIGSTOP, a debugger) or
does not answer would leave the simulator running for as long as that lasts; then the
canceller stops the run's processes itself with the supervisor's escalation (SIGTERM,
the grace period, SIGKILL, each process verified: `procs.stop_run`, which the supervisor
uses for what a simulator leaves behind) and reads the exit status the waiter records.
`Canceller` records what happened.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.documents import EXITED, StatusRecord
from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import Cancelled, Evidence, Support
from fusion_tui.store.models import EventKind, Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow

# How long a cancel waits for a supervisor that is not stopped to take the cancel on; it
# wakes on the signal, so an answer takes milliseconds on a machine that is not starved.
ANSWER_SECONDS = 2.0
# How long to wait for the waiter's exit.json once the simulator is gone.
EXIT_RECORD_SECONDS = 2.0


def unanswered(paths: RunPaths, supervisor: tuple[int, float], within: float) -> str | None:
    """Why the supervisor has not taken the cancel on (as "its supervisor ..."), or None
    once it has: it wrote that it saw the cancel, settled the run, or ended (a supervisor
    that adopts the run then reads the cancel request)."""
    deadline = time.monotonic() + within
    while True:
        if procs.is_stopped(*supervisor):
            return f"its supervisor (pid {supervisor[0]}) is stopped"
        status = StatusRecord.read(paths.status)
        if status.cancel_seen_at is not None or status.state == EXITED \
                or not procs.is_same_process(*supervisor):
            return None
        if time.monotonic() >= deadline:
            return f"its supervisor (pid {supervisor[0]}) did not answer within {within:g} s"
        time.sleep(0.02)


def stop_unanswered(run_id: str, paths: RunPaths, grace: float,
                    send: Callable[[int], int], evidence: Evidence) -> int | None:
    """Stop the run's processes (see `procs.stop_run`; `send` signals and records) and
    return the simulator's exit status once its waiter has recorded it (None when it does
    not within a moment: the waiter is gone or stopped too)."""
    procs.stop_run(run_id, grace, send)
    deadline = time.monotonic() + EXIT_RECORD_SECONDS
    while True:
        recorded = evidence.exit_status(paths)
        if recorded is not None or time.monotonic() >= deadline:
            return recorded[0] if recorded is not None else None
        time.sleep(0.02)


def recorded_supervisor(paths: RunPaths) -> tuple[int | None, float | None]:
    """The supervisor identity from status.json (written once it handles signals)."""
    return StatusRecord.read(paths.status).supervisor or (None, None)


class Canceller:
    """The local executor's cancels. `adopt` starts a supervisor for a run whose
    supervisor is gone (the caller holds its lock): that supervisor carries the cancel out."""

    def __init__(self, settings: Settings, store: RunStore, support: Support,
                 adopt: Callable[[str, RunPaths, int], int]) -> None:
        self.settings = settings
        self.store = store
        self.support = support
        self._adopt = adopt

    def cancel(self, run: Run) -> Run | None:
        """Ask the run's supervisor to stop it; it escalates to SIGKILL. A queued run is
        cancelled where it waits.

        Only the run's supervisor is signalled, and only after checking, at that moment,
        that it is still that supervisor; a run whose supervisor is gone gets a new one
        that carries out the cancel. A supervisor that is stopped or does not answer is
        not waited for: the cancel is carried out here (`stop_unanswered`).
        """
        if run.status == RunStatus.PENDING and self.store.finish(
                run.id, RunStatus.CANCELLED, exit_code=None, expected=(RunStatus.PENDING,)):
            return self.store.get(run.id)
        run = self.store.get(run.id) or run
        if run.status != RunStatus.RUNNING:
            return None
        paths = RunPaths(Path(run.run_dir))
        try:
            write_atomic(paths.cancel_request, utcnow().isoformat() + "\n")
            written: OSError | None = None
        except OSError as exc:
            written = exc
        # Only a supervisor that wrote status.json has its handlers installed; one that is
        # still starting finds the cancel request itself.
        pid, started = recorded_supervisor(paths)
        if procs.signal_verified(pid, signal.SIGTERM,
                                 procs.marker(procs.SUPERVISOR_MARKER, run.id), started):
            assert pid is not None and started is not None
            asked = time.monotonic()
            why = unanswered(paths, (pid, started), within=min(
                ANSWER_SECONDS, max(self.settings.cancel_grace, 0.5)))
            if why is None:
                return run
            # Within the grace period counted from the request, as the supervisor would.
            grace = max(0.0, self.settings.cancel_grace - (time.monotonic() - asked))
            return self._cancel_unanswered(run, paths, why, grace)
        fd = lock.take(paths.lock) if paths.root.is_dir() else None
        if fd is None:
            if written is not None:  # a supervisor that is starting would not hear of it
                raise FaultError(f"cannot cancel run {run.id}: "
                                 f"{describe_os_error(written, str(paths.cancel_request))}")
            return run
        try:
            if written is not None:
                raise FaultError(f"cannot cancel run {run.id}: "
                                 f"{describe_os_error(written, str(paths.cancel_request))}")
            self._adopt(run.id, paths, fd)
        finally:
            os.close(fd)
        return run

    def _cancel_unanswered(self, run: Run, paths: RunPaths, why: str, grace: float) -> Run:
        """Stop the run's processes here and record it CANCELLED; its supervisor, once
        it runs again, finds the run ended and cancelled and agrees."""
        user = self.support.user

        def send(sig: int) -> int:
            sent = procs.signal_run(run.id, sig)
            if sent:
                self.store.record_event(run.id, EventKind.SIGNALLED,
                                        f"{procs.signal_name(sig)} to {sent} process(es) of "
                                        f"the run (cancel by {user}; {why})")
            return sent

        code = stop_unanswered(run.id, paths, grace, send, self.support.evidence)
        if self.store.finish(run.id, RunStatus.CANCELLED, exit_code=code,
                             recovered=f"cancelled by {user} without its supervisor: {why}"):
            self.support.slot_freed()  # the stopped supervisor would not say so
        return self.store.get(run.id) or run

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        """One cancel per run: each has its own supervisor to ask."""
        asked: list[str] = []
        problems: list[str] = []
        for run in runs:
            if run.status in FINISHED_STATUSES:
                continue
            try:
                if self.cancel(run) is None:
                    continue  # it finished meanwhile
            except FaultError as exc:
                problems.append(str(exc))
                continue
            asked.append(run.id)
        return Cancelled(asked, problems)
