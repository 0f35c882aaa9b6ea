"""The detached supervisor of one run: `python -m fusion_tui.runs.supervisor RUN_DIR RUN_ID`.

It starts the simulator as the leader of a new process group, waits for it, keeps the
progress cache current, and itself records the exit code and final status (in
`status.json` first, then in the database). Then it starts the next queued runs. So a run
finishes correctly and the queue moves on whether or not any app is open.

Cancel: SIGTERM/SIGINT to the supervisor, or a `cancel.request` file. It sends SIGTERM to
the whole group, SIGKILL after the grace period. The exited leader is not reaped until the
group is gone, so its pid and pgid cannot be reused while we still signal them.

Only light modules are imported before the simulator starts; the database comes after.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from fusion_tui.runs import procs
from fusion_tui.runs.rundir import RunPaths, read_json, write_json_atomic
from fusion_tui.settings import Settings
from fusion_tui.store.status import RunStatus, utcnow

if TYPE_CHECKING:
    from fusion_tui.monitor.tracker import ProgressTracker
    from fusion_tui.store.runs_repo import RunStore

T = TypeVar("T")

POLL_SECONDS = 0.5
LEFTOVER_GRACE = 1.0
_LAST_LINES = 5


def _now_iso() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def _say(message: str) -> None:
    print(f"{_now_iso()} supervisor[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, paths: RunPaths, run_id: str) -> None:
        self.paths = paths
        self.run_id = run_id
        self.status: dict[str, Any] = {
            "run_id": run_id,
            "state": "starting",
            "supervisor_pid": os.getpid(),
            "supervisor_started": procs.start_time(os.getpid()),
        }
        self.cancel_requested = False
        self.proc: subprocess.Popen[bytes] | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._settings = Settings.load()
        self._store: RunStore | None = None
        self._tracker: ProgressTracker | None = None

    # -- signals -----------------------------------------------------------------------

    def _install_signals(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGTERM, self._on_cancel)
        signal.signal(signal.SIGINT, self._on_cancel)
        # Handlers, not SIG_IGN: ignored dispositions would be inherited by the simulator.
        signal.signal(signal.SIGHUP, lambda *_: None)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def _on_cancel(self, _signum: int, _frame: FrameType | None) -> None:
        self.cancel_requested = True

    def _sleep(self, seconds: float) -> None:
        """Sleep until `seconds` pass or a signal (child exit, cancel) arrives."""
        if seconds > 0:
            ready, _, _ = select.select([self._wake_r], [], [], seconds)
            if ready:
                try:
                    while os.read(self._wake_r, 512):
                        pass
                except BlockingIOError:
                    pass

    # -- database (after the simulator is up) ------------------------------------------

    def _db(self, what: str, action: Callable[[RunStore], T]) -> T | None:
        """Run a store action, retrying briefly; the status file stays the truth if it fails."""
        for attempt in range(5):
            try:
                if self._store is None:
                    from fusion_tui.store.database import make_engine, make_sessionmaker
                    from fusion_tui.store.runs_repo import RunStore

                    engine = make_engine(self._settings.database_url,
                                         slow_query_seconds=self._settings.slow_query_seconds)
                    self._store = RunStore(make_sessionmaker(engine))
                return action(self._store)
            except Exception as exc:
                _say(f"database error while {what} (attempt {attempt + 1}): {exc}")
                time.sleep(0.2 * (attempt + 1))
        return None

    def _write_status(self, **changes: Any) -> None:
        self.status.update(changes)
        write_json_atomic(self.paths.status, self.status)

    # -- the run -----------------------------------------------------------------------

    def run(self) -> int:
        self._install_signals()
        self._write_status()
        if self.paths.cancel_request.exists():
            self._finish_without_process("CANCELLED", None, "cancelled before it started")
            return 0
        launch = read_json(self.paths.launch)
        if launch is None or not isinstance(launch.get("argv"), list):
            self._finish_without_process("FAILED", None, "launch.json missing or unreadable")
            return 0
        try:
            self.proc = self._spawn(launch)
        except OSError as exc:
            message = f"cannot start simulator: {exc}"
            with open(self.paths.log, "a", encoding="utf-8") as log:
                log.write(f"fusion-tui: {message}\n")
            self._finish_without_process("FAILED", None, message)
            return 0
        pid = self.proc.pid
        started = procs.start_time(pid) or time.time()
        self._write_status(state="running", pid=pid, pgid=pid, pid_started=started,
                           started_at=_now_iso())
        self._db("recording the start",
                 lambda s: s.record_process(self.run_id, pid, pid, started))
        from fusion_tui.monitor.tracker import ProgressTracker

        self._tracker = ProgressTracker(self.paths.progress, self.paths.log)
        code = self._watch(pid)
        self._poll_progress()
        self._conclude(code)
        return 0

    def _spawn(self, launch: dict[str, Any]) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSION_TUI_")}
        env.update({str(k): str(v) for k, v in (launch.get("env") or {}).items()})
        with open(self.paths.log, "ab") as log:
            return subprocess.Popen(
                [str(a) for a in launch["argv"]],
                cwd=launch.get("cwd") or str(self.paths.root),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                close_fds=True,
            )

    def _exit_status(self, pid: int) -> int | None:
        """The leader's exit code (negative signal number if killed), without reaping it."""
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None or info.si_pid == 0:
            return None
        if info.si_code == os.CLD_EXITED:
            return info.si_status
        return -info.si_status

    def _watch(self, pid: int) -> int:
        grace = self._settings.cancel_grace
        term_sent_at: float | None = None
        kill_sent = False
        next_poll = 0.0
        while True:
            code = self._exit_status(pid)
            if code is not None:
                break
            now = time.monotonic()
            if not self.cancel_requested and self.paths.cancel_request.exists():
                self.cancel_requested = True
            if self.cancel_requested and term_sent_at is None:
                _say("cancel requested: SIGTERM to the process group")
                procs.signal_group(pid, signal.SIGTERM)
                term_sent_at = now
            if term_sent_at is not None and not kill_sent and now - term_sent_at >= grace:
                _say(f"still running {grace:g} s after SIGTERM: SIGKILL to the process group")
                procs.signal_group(pid, signal.SIGKILL)
                kill_sent = True
            if now >= next_poll:
                self._poll_progress()
                next_poll = time.monotonic() + POLL_SECONDS
            wait = next_poll - time.monotonic()
            if term_sent_at is not None and not kill_sent:
                wait = min(wait, term_sent_at + grace - time.monotonic())
            self._sleep(max(0.0, min(wait, POLL_SECONDS)))
        self._clear_group(pid)
        os.waitpid(pid, 0)
        if self.proc is not None:
            self.proc.returncode = code
        return code

    def _clear_group(self, pgid: int) -> None:
        """Leave nothing behind: end what is left of the run's process group."""
        if not procs.group_members(pgid):
            return
        procs.signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + LEFTOVER_GRACE
        while procs.group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if procs.group_members(pgid):
            procs.signal_group(pgid, signal.SIGKILL)

    def _poll_progress(self) -> None:
        tracker = self._tracker
        if tracker is None or not tracker.poll():
            return
        values = {**tracker.state.cache(), "last_progress_at": utcnow()}
        self._db("updating progress", lambda s: s.update_progress(self.run_id, **values))

    def _conclude(self, code: int) -> None:
        if self.cancel_requested:
            status, error = "CANCELLED", None
        elif code == 0:
            status, error = "COMPLETED", None
        else:
            status, error = "FAILED", self._failure_message(code)
        self._record(status, code, error)

    def _failure_message(self, code: int) -> str:
        how = (f"exited with code {code}" if code >= 0
               else f"killed by {procs.signal_name(-code)}")
        reported = self._tracker.state.error if self._tracker else None
        detail = reported or _last_line(self.paths.log)
        return f"simulator {how}" + (f": {detail}" if detail else "")

    def _finish_without_process(self, status: str, code: int | None, error: str) -> None:
        _say(error)
        self._record(status, code, None if status == "CANCELLED" else error)

    def _record(self, status: str, code: int | None, error: str | None) -> None:
        completed_at = _now_iso()
        self._write_status(state="exited", status=status, exit_code=code, error=error,
                           completed_at=completed_at)
        final = RunStatus(status)
        self._db("recording the outcome", lambda s: s.finish(
            self.run_id, final, exit_code=code, error=error,
            completed_at=datetime.fromisoformat(completed_at),
            expected=(RunStatus.RUNNING, RunStatus.PENDING)))
        self._start_queued()

    def _start_queued(self) -> None:
        """The queue moves on without an app: start whatever now fits."""
        from fusion_tui.runs.manager import RunManager

        def schedule(store: RunStore) -> int:
            return len(RunManager(self._settings, store).schedule())

        self._db("starting queued runs", schedule)


def _last_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - 8192))
            lines = [ln.strip() for ln in fh.read().decode("utf-8", "replace").splitlines()]
    except OSError:
        return None
    lines = [ln for ln in lines if ln][-_LAST_LINES:]
    return lines[-1][:300] if lines else None


def escalate(pgid: int, leader_pid: int, leader_started: float, grace: float) -> int:
    """SIGKILL a process group after `grace` s if anything of it is still alive."""
    time.sleep(grace)
    leader_alive = procs.is_same_process(leader_pid, leader_started or None)
    if leader_alive or procs.group_members(pgid):
        procs.signal_group(pgid, signal.SIGKILL)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 5 and args[0] == "--escalate":
        return escalate(int(args[1]), int(args[2]), float(args[3]), float(args[4]))
    if len(args) != 2:
        print("usage: python -m fusion_tui.runs.supervisor RUN_DIR RUN_ID", file=sys.stderr)
        return 2
    paths = RunPaths(Path(args[0]))
    try:
        return Supervisor(paths, args[1]).run()
    except Exception:
        _say("internal error:\n" + traceback.format_exc())
        return 1


if __name__ == "__main__":
    sys.exit(main())
