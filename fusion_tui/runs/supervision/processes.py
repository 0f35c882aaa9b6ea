"""The run's processes as its supervisor follows them: the waiter's reports on its pipe,
the exit record in the folder, whether the waiter lives, and the processes the kernel
made ours (we are the subreaper of what we start), whose exit status we then collect.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable

from fusion_tui.base import procs
from fusion_tui.base.documents import Identity, ProcessRecord
from fusion_tui.base.rundir import RunPaths, write_json_atomic
from fusion_tui.runs.background import PipeLines, say
from fusion_tui.runs.evidence import recorded_exit
from fusion_tui.runs.waiter import Forked, exit_record
from fusion_tui.runs.waiter import start as start_waiter

# How long our waiter may stay stopped (SIGSTOP) with the simulator ended and its exit
# status unrecorded before we end the waiter and collect the status ourselves.
STOPPED_WAITER_SECONDS = 1.0


def _say(message: str) -> None:
    say("supervisor", message)


class Processes:
    """The simulator's identity and how it ended, from the waiter and the folder.

    `on_started` is told of the simulator's identity once known; `own` gives the pids of
    the other children we started (recorder helpers, supervisors of other runs), which
    are never reaped here: whoever started them waits for them."""

    def __init__(self, paths: RunPaths, run_id: str, *, waiter: Forked | None,
                 subreaper: bool, on_started: Callable[[int, float], None],
                 own: Callable[[], set[int]]) -> None:
        self.paths = paths
        self.run_id = run_id
        self.waiter = waiter
        self.subreaper = subreaper  # the simulator our waiter starts becomes ours if it dies
        self.sim: Identity | None = None
        self.waiter_identity: Identity | None = None
        self.code: int | None = None
        self.spawn_error: str | None = None
        self._on_started = on_started
        self._own = own
        self._lines = PipeLines(waiter.stdout) if waiter else None
        self._gone_said = False
        self._stopped_since: float | None = None

    def start_waiter(self, *, in_job: bool) -> None:
        try:
            self.waiter = start_waiter(self.paths, self.run_id, in_job=in_job)
        except OSError as exc:
            self.spawn_error = f"cannot start the waiter: {exc}"
            return
        self._lines = PipeLines(self.waiter.stdout)

    def started(self, pid: int, started: float) -> None:
        self.sim = (pid, started)
        self._on_started(pid, started)

    def read_waiter(self) -> None:
        lines = self._lines
        if lines is None or lines.stream.closed:
            return
        for line in lines.read():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            event = message.get("event")
            if event == "started":
                record = ProcessRecord.from_json(message)
                self.waiter_identity = record.waiter
                if record.simulator is not None:
                    self.started(*record.simulator)
            elif event == "exited":
                self.code = int(message["exit_code"])
            elif event == "spawn_failed":
                self.spawn_error = str(message["error"])
        if lines.ended:
            lines.stream.close()

    def read_exit(self) -> None:
        if self.code is not None or self.spawn_error is not None:
            return
        recorded = recorded_exit(self.paths)
        if recorded is not None:
            self.code, self.spawn_error = recorded

    def waiter_alive(self) -> bool:
        if self.waiter is not None:
            return self.waiter.poll() is None
        if self.waiter_identity is None:
            return False
        pid, started = self.waiter_identity
        return any(procs.belongs(pid, procs.marker(name, self.run_id), started)
                   for name in (procs.SUPERVISOR_MARKER, procs.EXECUTED_WAITER_MARKER))

    def ended(self) -> bool:
        """Whether the simulator has ended (or never started)."""
        if self.code is not None or self.spawn_error is not None:
            return True
        if self.waiter_alive():
            self._end_stopped_waiter()
            return False
        # The waiter is gone without a word: the run has ended once none of it is left.
        self.read_waiter()
        self.read_exit()
        if self.code is None and not self._gone_said:
            self._gone_said = True
            _say("the waiter ended without recording the simulator's exit status; "
                 + ("collecting it here" if self.waiter and self.subreaper
                    else "it cannot be collected here"))
        if self.code is not None:
            return True
        if procs.run_processes(self.run_id):
            return False
        self.collect_orphans()  # it may have ended since the last look
        return True

    def _end_stopped_waiter(self) -> None:
        """A stopped waiter (SIGSTOP) holds the ended simulator's exit status (a zombie
        only it may reap) for as long as it stays stopped, and so the run's end, a cancel
        included. Once nothing of the run is alive and it has stayed stopped for
        STOPPED_WAITER_SECONDS, end it: as the simulator's subreaper we then collect the
        status ourselves. Only our own forked waiter (an unreaped child: its pid cannot be
        reused)."""
        waiter = self.waiter
        if waiter is None or not self.subreaper or \
                not procs.is_stopped(waiter.pid, procs.start_time(waiter.pid)) or \
                procs.run_processes(self.run_id):
            self._stopped_since = None
            return
        now = time.monotonic()
        if self._stopped_since is None:
            self._stopped_since = now
        elif now - self._stopped_since >= STOPPED_WAITER_SECONDS:
            _say(f"the waiter (pid {waiter.pid}) is stopped and the simulator has ended: "
                 "ending the waiter to collect the exit status here")
            with contextlib.suppress(ProcessLookupError):
                os.kill(waiter.pid, signal.SIGKILL)
            self._stopped_since = None

    def collect_orphans(self) -> None:
        """Reap the run's processes the kernel made our children (we are their subreaper):
        the simulator once its waiter is gone, whose exit status we then record as the
        waiter would have, and workers a simulator left behind. Never a child we started
        ourselves (the waiter, recorder helpers, supervisors of other runs): whoever
        started it waits for it and needs its status."""
        own = self._own()
        if self.waiter is not None:
            own.add(self.waiter.pid)
        for pid in procs.children():
            if pid in own:
                continue
            # Read before reaping: afterwards the pid may belong to someone else.
            started = procs.start_time(pid)
            try:
                reaped, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if not reaped or self.sim is None or self.code is not None \
                    or pid != self.sim[0] or started is None \
                    or abs(started - self.sim[1]) > procs.START_TIME_TOLERANCE:
                continue
            self.code = os.waitstatus_to_exitcode(status)
            _say(f"collected the simulator's exit status ({self.code}) after its waiter died")
            try:
                write_json_atomic(self.paths.exit, exit_record(self.code).to_json())
            except OSError as exc:  # status.json, retried, carries it all the same
                _say(f"cannot write exit.json ({exc.strerror or exc})")

    def close(self) -> None:
        """Everything the waiter had to say has been read."""
        if self.waiter is not None:
            self.waiter.stdout.close()
