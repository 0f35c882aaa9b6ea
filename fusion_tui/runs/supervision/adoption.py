"""Adoption: re-attaching to a run whose supervisor died (its recorded outcome, the
waiter's records, or live processes carrying the run's marker; nothing is restarted),
and, every few seconds, starting a supervisor for any other run in the runs folder's
register (`.active/`) that has none."""

from __future__ import annotations

import os
import time

from fusion_tui.base import procs
from fusion_tui.base.documents import ProcessRecord, StatusRecord
from fusion_tui.base.rundir import ACTIVE_DIR, RunPaths
from fusion_tui.executors.spawn import adopt_if_orphaned
from fusion_tui.runs.background import say
from fusion_tui.runs.evidence import Outcome, supervisor_outcome
from fusion_tui.runs.supervision.processes import Processes
from fusion_tui.runs.supervision.status import StatusFile

ORPHAN_CHECK_SECONDS = 3.0


def reattach(paths: RunPaths, run_id: str, status: StatusFile,
             processes: Processes) -> Outcome | None:
    """Take over what the previous supervisor left; the outcome it recorded, if any."""
    recorded = supervisor_outcome(paths)
    if recorded is not None:
        return recorded[0]
    previous = StatusRecord.read(paths.status)
    status.update(pid=previous.pid, pgid=previous.pgid, pid_started=previous.pid_started,
                  started_at=previous.started_at)
    identity = ProcessRecord.read(paths.process)
    processes.waiter_identity = identity.waiter
    sim = identity.simulator
    if sim is None:
        live = sorted(procs.run_processes(run_id), key=lambda p: p[1])
        if live:
            sim = live[0]
    if sim is not None:
        processes.started(*sim)
    processes.read_exit()
    say("supervisor", "adopted the run" + (f" (simulator {sim[0]})" if sim else ""))
    return None


class OrphanAdopter:
    """Starts a supervisor for each registered run (but ours) that has none."""

    def __init__(self, paths: RunPaths, run_id: str) -> None:
        self.paths = paths
        self.run_id = run_id
        self.started: set[int] = set()  # supervisors we started for other runs
        self._next_check = 0.0

    def check(self) -> None:
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + ORPHAN_CHECK_SECONDS
        register = self.paths.root.parent / ACTIVE_DIR
        try:
            names = [e.name for e in os.scandir(register)]
        except OSError:
            return
        for name in names:
            if name == self.run_id:
                continue
            other = RunPaths(self.paths.root.parent / name)
            try:
                pid = adopt_if_orphaned(other, name, lambda: dict(os.environ), registered=True)
            except OSError as exc:
                if other.root.exists():
                    say("supervisor", f"cannot adopt run {name}: {exc}")
                else:
                    other.active_entry.unlink(missing_ok=True)
                continue
            if pid is not None:
                self.started.add(pid)
                say("supervisor", f"run {name} had no supervisor; started {pid} to adopt it")
