"""Handing a supervisor's state to the recorder helper (`runs/recorder.py`), which
writes it to the store: never blocking, with back-off, the helper kept up while the run
is young, and the first one taken from the recorder that started the run when it handed
one over (`base/recorder_handover.py`)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from typing import IO

from fusion_tui.base import procs
from fusion_tui.base.documents import RecorderReport
from fusion_tui.runs.background import PipeLines, say

PROGRESS_SYNC_SECONDS = 10.0
# Once the recorder helper no longer stays up, each progress report costs a new helper
# about half a CPU-second (importing SQLAlchemy): report at most once a minute then, or
# 5% of a core per running run would go to bookkeeping.
LATE_PROGRESS_SYNC_SECONDS = 60.0
MAX_BACKOFF = 60.0
# How long into a run the recorder helper stays up between reports (see Reporter).
WARM_RECORDER_SECONDS = 30.0


def _say(message: str) -> None:
    say("supervisor", message)


def progress_sync_seconds(*, helper_warm: bool, stall_seconds: float) -> float:
    """How often progress goes to the store: often while the helper is up, else
    seldom, but often enough that a run reporting progress never looks stalled (the
    run list marks a run stalled from the store's time of its last progress)."""
    if helper_warm:
        return PROGRESS_SYNC_SECONDS
    return max(PROGRESS_SYNC_SECONDS, min(LATE_PROGRESS_SYNC_SECONDS, stall_seconds / 3))


class HandedHelper:
    """The recorder helper that started this run, serving us too. It is not
    our child: it is known only by its pipes, and closing them is how it is let go."""

    pid = None

    def __init__(self, fds: tuple[int, int]) -> None:
        answers, documents = fds
        self.stdout: IO[bytes] = os.fdopen(answers, "rb", buffering=0)
        self.stdin: IO[bytes] = os.fdopen(documents, "wb", buffering=0)

    def poll(self) -> int | None:
        """Alive as far as we can tell: its pipes say when it is not."""
        return None

    def kill(self) -> None:
        """It ends when its documents pipe closes (`Reporter.close`)."""


class Reporter:
    """Hands the supervisor's state to the recorder helper, one report at a time, with
    back-off. Never blocks: `poll()` says whether the last report was applied.

    While the run is young (until `warm_until`) the helper stays up between reports:
    a short run, and the queued run its end starts, then do not wait for the database
    layer to be imported again. After that the helper leaves once it has answered and
    each later report gets a new one, so a long run holds no database layer in memory.
    """

    def __init__(self, warm_until: float, handed: tuple[int, int] | None = None) -> None:
        self.warm_until = warm_until
        self.handed = handed  # a warm helper's pipes (answers, documents), used first
        self.proc: subprocess.Popen[bytes] | HandedHelper | None = None
        self.pending = False
        self._answers: PipeLines | None = None
        self._leaving: list[subprocess.Popen[bytes]] = []
        self.retry_at = 0.0
        self.backoff = 1.0
        self.failures = 0

    @property
    def busy(self) -> bool:
        return self.pending

    @property
    def due(self) -> bool:
        return not self.pending and time.monotonic() >= self.retry_at

    @property
    def pids(self) -> set[int]:
        """The helpers it started and still waits for."""
        started = [*self._leaving, *([self.proc] if self.proc else [])]
        return {p.pid for p in started if isinstance(p, subprocess.Popen)}

    @property
    def answers(self) -> IO[bytes] | None:
        """Where the answer to the report in flight will appear (to sleep on)."""
        return self.proc.stdout if self.pending and self.proc is not None else None

    def send(self, report: RecorderReport) -> None:
        self._leaving = [p for p in self._leaving if p.poll() is None]
        try:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(report.to_json()).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            _say(f"cannot hand the report to the recorder: {exc}")
            self._drop()
            self._failed()
            return
        self.pending = True

    def prepare(self) -> None:
        """Start the helper now, so it is ready by the time there is something to say."""
        if self.proc is None and time.monotonic() < self.warm_until:
            try:
                self._start()
            except OSError as exc:
                _say(f"cannot start the recorder: {exc}")

    def _start(self) -> None:
        if self.handed is not None:
            handed, self.handed = self.handed, None
            self.proc = HandedHelper(handed)
        else:
            env = {k: v for k, v in os.environ.items() if k not in procs.MARKERS}
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "fusion_tui.runs.recorder", "--serve"], env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._answers = PipeLines(self.proc.stdout)

    def poll(self) -> bool | None:
        """True once the report sent was applied, False if it failed, None meanwhile."""
        if not self.pending or self._answers is None:
            if self.proc is not None and time.monotonic() >= self.warm_until:
                self.close()  # the run is no longer young: let the idle helper go now,
                # rather than race its own idle exit with the next report
            return None
        lines = self._answers.read()
        if self._answers.ended:
            _say("the recorder helper ended without answering; sending again")
            self._drop()
            self._failed()
            return False
        if not lines:
            return None
        self.pending = False
        answer = lines[0].decode(errors="replace")
        if time.monotonic() >= self.warm_until:
            self.close()
        if answer == "ok":
            self.backoff, self.failures = 1.0, 0
            return True
        _say(answer.removeprefix("retry "))
        self._failed()
        return False

    def close(self) -> None:
        """Let the helper leave (it ends when its stdin closes)."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            if isinstance(self.proc, subprocess.Popen):
                self._leaving.append(self.proc)
        self.proc, self.pending, self._answers = None, False, None

    def _drop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        self.close()

    def _failed(self) -> None:
        self.failures += 1
        self.retry_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)
