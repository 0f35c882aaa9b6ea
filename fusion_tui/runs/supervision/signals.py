"""What a supervisor is asked by signal: SIGTERM or SIGINT (a cancel, or inside a batch
scheduler's job the scheduler stopping the job), the scheduler's warning before the time
limit (`base/batchjob.py`); and its own clock for that limit. Handlers only set flags;
the supervisor's loop acts on them."""

from __future__ import annotations

import signal
import time
from types import FrameType

from fusion_tui.base import batchjob, procs
from fusion_tui.base.rundir import RunPaths
from fusion_tui.runs.attempts import JobInfo
from fusion_tui.runs.background import Wakeup, say

# A simulator that handles the signal and exits the shell's way: 128 + the signal.
_SHELL_SIGNAL_CODES = frozenset(128 + s for s in (signal.SIGTERM, signal.SIGINT,
                                                 signal.SIGKILL))


class SignalRequests:
    def __init__(self, paths: RunPaths, job: JobInfo | None) -> None:
        self.paths = paths
        self.job = job
        self.cancel_requested = False
        self.time_limit_reached = False
        self.stopped_by_scheduler: str | None = None  # the signal the scheduler stopped it with

    def install(self, wakeup: Wakeup) -> None:
        procs.reset_signal_dispositions()
        wakeup.install()
        signal.signal(signal.SIGTERM, self._on_cancel)
        signal.signal(signal.SIGINT, self._on_cancel)
        if self.job is not None:
            signal.signal(signal.Signals["SIG" + batchjob.WARNING_SIGNAL], self._on_time_limit)
        # Handlers, not SIG_IGN: ignored dispositions would be inherited by children.
        signal.signal(signal.SIGHUP, lambda *_: None)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _on_cancel(self, signum: int, _frame: FrameType | None) -> None:
        if self.job is not None and not self.cancel_requested \
                and not self.paths.cancel_request.exists():
            self.stopped_by_scheduler = procs.signal_name(signum)
        self.cancel_requested = True

    def _on_time_limit(self, _signum: int, _frame: FrameType | None) -> None:
        """The scheduler's warning before the time limit. It may come early (up to a
        minute), so with a limit of our own we keep to our own clock; the warning counts
        for a limit we do not know (the partition's, or one changed)."""
        assert self.job is not None
        if self.job.stop_at is None:
            self.time_limit_reached = True
            self.cancel_requested = True

    def scheduler_may_have_stopped(self, code: int | None) -> str | None:
        """Inside a batch job, the signal that ended the simulator when no cancel of ours
        sent one: the scheduler signals every process of a job at once (a requeue, a
        preemption), and the simulator may end before our own signal is handled. The
        outcome is then left to the login node, which asks the scheduler (a requeued
        job is still queued; a job killed by hand ends FAILED there)."""
        if self.stopped_by_scheduler or self.job is None or self.cancel_requested \
                or code is None:
            return self.stopped_by_scheduler
        signum = -code if code < 0 else code - 128 if code in _SHELL_SIGNAL_CODES else None
        return None if signum is None else f"{procs.signal_name(signum)} to the simulator"

    def check_time_limit(self) -> None:
        """Stop the run ourselves before its time limit (the scheduler's warning may come late)."""
        if self.job is not None and self.job.stop_at is not None \
                and not self.cancel_requested and time.time() >= self.job.stop_at:
            say("supervisor", "stopping the run before its time limit")
            self.time_limit_reached = True
            self.cancel_requested = True
