"""A cancel whose supervisor does not answer: the canceller carries it out itself.

A cancel asks the run's supervisor (SIGTERM, and a request file), which stops the
simulator and settles the run. A supervisor that is stopped (SIGSTOP, a debugger) or
does not answer would leave the simulator running for as long as that lasts; then the
canceller stops the run's processes itself with the supervisor's escalation (SIGTERM,
the grace period, SIGKILL, each process verified: `procs.stop_run`, which the supervisor
uses for what a simulator leaves behind) and reads the exit status the waiter records.
It touches no store: the local executor records what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fusion_tui.base import procs
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.executors.executor import Evidence

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
        status = read_json(paths.status) or {}
        if "cancel_seen_at" in status or status.get("state") == "exited" \
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
