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

    def check_time_limit(self) -> None:
        """Stop the run ourselves before its time limit (the scheduler's warning may come late)."""
        if self.job is not None and self.job.stop_at is not None \
                and not self.cancel_requested and time.time() >= self.job.stop_at:
            say("supervisor", "stopping the run before its time limit")
            self.time_limit_reached = True
            self.cancel_requested = True
