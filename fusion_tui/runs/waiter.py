"""The waiter: a minimal parent for the simulator, so its exit status outlives the
supervisor.

The supervisor forks it (`start`); it starts the simulator (a new session, the run's
marker in its environment, default signal dispositions), reports the simulator's identity
and exit status on its stdout to the supervisor and atomically into `process.json` and
`exit.json`, retrying with back-off while the disk is full, and exits once the status is
on disk.

It also watches the supervisor lock: when no supervisor holds it (killed, crashed), it
takes the lock and starts a new supervisor that adopts the run. Inside a batch
scheduler's job (`in_job`) there is nothing to adopt: the job ended with its batch
script, so the waiter ends the run's processes instead (a scheduler that tracks a job's
processes by their parents would not find them, since they live in a session of their
own) and leaves the outcome to the login node.
Signals that reach it are ignored (it is not a member of the run; a cancel signals the
simulator's processes).
Standard library only, so a busy server can afford one per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, NoReturn

from fusion_tui.base import lock, procs
from fusion_tui.base.documents import EXITED, ExitRecord, LaunchRecord, ProcessRecord, StatusRecord
from fusion_tui.base.rundir import RunPaths, write_json_atomic
from fusion_tui.runs.background import Wakeup, say

SUPERVISOR_CHECK_SECONDS = 1.0
MAX_BACKOFF = 30.0


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


def _say(message: str) -> None:
    say("waiter", message)


def exit_record(code: int) -> ExitRecord:
    """exit.json's record of a simulator that ended with `code`."""
    return ExitRecord(code, None, _now_iso())


class Waiter:
    def __init__(self, paths: RunPaths, run_id: str, *, in_job: bool = False) -> None:
        self.paths = paths
        self.run_id = run_id
        self.in_job = in_job
        self.sim_pid: int | None = None
        self.code: int | None = None
        self._pending: dict[Path, dict[str, Any]] = {}
        self._retry_at = 0.0
        self._backoff = 0.5
        self._next_check = 0.0
        self._wakeup = Wakeup()

    def _install_signals(self) -> None:
        procs.reset_signal_dispositions()
        self._wakeup.install()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: None)
        # Writing to a dead supervisor's pipe must be an error, not our death.
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _report(self, message: dict[str, Any]) -> None:
        """One JSON line to the supervisor, if it is still there to read it."""
        try:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            pass

    def _persist(self, path: Path, value: dict[str, Any]) -> None:
        self._pending[path] = value
        self._retry_at = 0.0
        self._flush()

    def _flush(self) -> None:
        """Write what is pending; on failure (disk full) retry later with back-off."""
        if not self._pending or time.monotonic() < self._retry_at:
            return
        for path, value in list(self._pending.items()):
            try:
                write_json_atomic(path, value)
            except OSError as exc:
                if not self.paths.root.is_dir():  # the run was deleted: nothing to keep
                    _say(f"the run folder is gone; {path.name} is not written")
                    self._pending.clear()
                    return
                _say(f"cannot write {path.name} ({exc.strerror or exc}); retrying")
                self._retry_at = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)
                return
            del self._pending[path]
        self._backoff = 0.5

    def _spawn(self) -> subprocess.Popen[bytes] | str:
        launch = LaunchRecord.read(self.paths.launch)
        if launch is None:
            return "launch.json missing or unreadable"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSION_TUI_")}
        env.update(launch.env)
        env[procs.RUN_MARKER] = self.run_id
        try:
            log = os.open(self.paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                          | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            return f"cannot open the log {self.paths.log}: {exc.strerror or exc}"
        try:
            return subprocess.Popen(
                list(launch.argv), cwd=launch.cwd or str(self.paths.root),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            message = f"cannot start simulator: {exc.strerror or exc}: {launch.argv[0]!r}"
            with contextlib.suppress(OSError):
                os.write(log, f"fusion-tui: {message}\n".encode())
            return message
        finally:
            os.close(log)

    def _reap(self) -> None:
        """Collect exited children: the simulator, and any supervisor we started."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.sim_pid:
                self.code = os.waitstatus_to_exitcode(status)

    def _watch_supervisor(self, *, now: bool = False) -> None:
        """Start a supervisor that adopts the run if none holds the lock."""
        if not now and time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + SUPERVISOR_CHECK_SECONDS
        if not self.paths.root.is_dir():
            return  # the run folder is gone: nothing to adopt
        if StatusRecord.read(self.paths.status).state == EXITED:
            return  # its supervisor settled the run and is done
        if self.in_job:
            self._end_with_the_job()
            return
        from fusion_tui.executors.spawn import adopt_if_orphaned

        try:
            pid = adopt_if_orphaned(self.paths, self.run_id, lambda: dict(os.environ))
        except OSError as exc:
            _say(f"cannot start a supervisor to adopt the run: {exc}")
            return
        if pid is not None:
            _say(f"no supervisor holds the run; started supervisor {pid} to adopt it")

    def _end_with_the_job(self) -> None:
        """The job's supervisor is gone, and with it the job: leave nothing running."""
        try:
            orphaned = not lock.is_held(self.paths.lock)
        except OSError:
            orphaned = True
        if not orphaned:
            return
        killed = procs.signal_run(self.run_id, signal.SIGKILL)
        _say(f"the job's supervisor is gone; killed {killed} process(es) of the run")
        sys.exit(0)

    def run(self) -> int:
        self._install_signals()
        proc = self._spawn()
        if isinstance(proc, str):
            self._report({"event": "spawn_failed", "error": proc})
            self._persist(self.paths.exit, ExitRecord(None, proc, _now_iso()).to_json())
        else:
            self.sim_pid = proc.pid
            identity = ProcessRecord(proc.pid, procs.start_time(proc.pid) or time.time(),
                                     os.getpid(), procs.start_time(os.getpid())).to_json()
            self._report({"event": "started", **identity})
            self._persist(self.paths.process, identity)
        while self._pending or (self.sim_pid is not None and self.code is None):
            self._reap()
            if self.code is not None and self.paths.exit not in self._pending \
                    and not self.paths.exit.exists():
                self._report({"event": "exited", "exit_code": self.code})
                self._persist(self.paths.exit, exit_record(self.code).to_json())
            self._flush()
            self._watch_supervisor()
            if self._pending or self.code is None:
                self._wakeup.sleep(0.5)
        self._watch_supervisor(now=True)
        return 0


class Forked:
    """A waiter forked from this process: its pid, and `stdout`, the read end (never
    blocking) of the pipe it reports on."""

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """Its exit status once it has ended (and is reaped), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1  # reaped by someone else: it has ended all the same
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def start(paths: RunPaths, run_id: str, *, in_job: bool) -> Forked:
    """Start the waiter of a run, for its supervisor, which reads its reports.

    The waiter is forked, not executed: it needs nothing the supervisor has not loaded
    already, and a queue of short runs would otherwise wait for one more interpreter to
    start before each simulator. It carries the supervisor's environment, marker
    included; its pid and start time tell the two apart. OSError when it cannot be
    started."""
    read_end, write_end = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()  # or the child would write our buffered lines a second time
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:
        _become_waiter(paths, run_id, in_job, write_end)
    os.close(write_end)
    os.set_blocking(read_end, False)
    return Forked(pid, os.fdopen(read_end, "rb", buffering=0))


def _become_waiter(paths: RunPaths, run_id: str, in_job: bool, report_fd: int) -> NoReturn:
    """In the forked child: leave the supervisor's session, signals and descriptors (its
    lock above all, or the lock would outlive the supervisor), then wait."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in signal.valid_signals():
            with contextlib.suppress(OSError, ValueError, TypeError):
                if callable(signal.getsignal(sig)):
                    signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        os.dup2(report_fd, 1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        with contextlib.suppress(OSError), open("/proc/self/comm", "w") as comm:
            comm.write("fusion-waiter")  # what top and ps -o comm show
        code = Waiter(paths, run_id, in_job=in_job).run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        _say("internal error:\n" + traceback.format_exc())
    finally:
        os._exit(code)
