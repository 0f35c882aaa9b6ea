"""What a run's detached supervisor does while its run lives (`runs/supervisor.py` starts
it): follow progress, carry out a cancel, settle the outcome from the evidence, record it
in `status.json` and, through the recorder helper, in the store, which then starts the
queued runs that fit; adopt a run whose supervisor died, and any other orphan in the
runs folder's register. Never imports the database layer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

from fusion_tui.base import procs
from fusion_tui.base.rundir import ACTIVE_DIR, RunPaths, read_json, write_json_atomic
from fusion_tui.base.settings import Settings
from fusion_tui.executors.spawn import adopt_if_orphaned
from fusion_tui.kinds.fusion.mirror import ResultMirror
from fusion_tui.kinds.fusion.tracker import ProgressTracker
from fusion_tui.runs.attempts import SlurmJobInfo
from fusion_tui.runs.background import PipeLines, Wakeup, say
from fusion_tui.runs.evidence import (
    Outcome,
    decide,
    fusion_folder,
    recorded_exit,
    supervisor_outcome,
)
from fusion_tui.runs.waiter import Forked, exit_record
from fusion_tui.runs.waiter import start as start_waiter
from fusion_tui.store.first_page import sqlite_path
from fusion_tui.store.status import utcnow

POLL_SECONDS = 0.5
# How long our waiter may stay stopped (SIGSTOP) with the simulator ended and its exit
# status unrecorded before we end the waiter and collect the status ourselves.
STOPPED_WAITER_SECONDS = 1.0
SAVE_WATCH_SECONDS = 0.1  # after SIGTERM: how often to look for FUSION's "statistics saved"
PROGRESS_SYNC_SECONDS = 10.0
# Once the recorder helper no longer stays up, each progress report costs a new helper
# about half a CPU-second (importing SQLAlchemy): report at most once a minute then, or
# 5% of a core per running run would go to bookkeeping.
LATE_PROGRESS_SYNC_SECONDS = 60.0
ORPHAN_CHECK_SECONDS = 3.0
LEFTOVER_GRACE = 1.0
MAX_BACKOFF = 60.0
STATUS_RETRY_SECONDS = 300.0
RESULTS_SYNC_SECONDS = 1.0
# In a Slurm job: how long to keep trying to reach the store with the outcome before
# leaving it to the login node (the job must end; status.json holds the outcome).
JOB_REPORT_SECONDS = 20.0
# How long into a run the recorder helper stays up between reports (see Reporter).
WARM_RECORDER_SECONDS = 30.0


def _now_iso() -> str:
    return utcnow().isoformat()


def progress_sync_seconds(*, helper_warm: bool, stall_seconds: float) -> float:
    """How often progress goes to the store: often while the helper is up, else
    seldom, but often enough that a run reporting progress never looks stalled (the
    run list marks a run stalled from the store's time of its last progress)."""
    if helper_warm:
        return PROGRESS_SYNC_SECONDS
    return max(PROGRESS_SYNC_SECONDS, min(LATE_PROGRESS_SYNC_SECONDS, stall_seconds / 3))


def _say(message: str) -> None:
    say("supervisor", message)


class Reporter:
    """Hands the supervisor's state to the recorder helper, one document at a time, with
    back-off. Never blocks: `poll()` says whether the last document was applied.

    While the run is young (until `warm_until`) the helper stays up between documents:
    a short run, and the queued run its end starts, then do not wait for the database
    layer to be imported again. After that the helper leaves once it has answered and
    each later document gets a new one, so a long run holds no database layer in memory.
    """

    def __init__(self, warm_until: float) -> None:
        self.warm_until = warm_until
        self.proc: subprocess.Popen[bytes] | None = None
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
        return {p.pid for p in [*self._leaving, *([self.proc] if self.proc else [])]}

    @property
    def answers(self) -> IO[bytes] | None:
        """Where the answer to the document in flight will appear (to sleep on)."""
        return self.proc.stdout if self.pending and self.proc is not None else None

    def send(self, doc: dict[str, Any]) -> None:
        self._leaving = [p for p in self._leaving if p.poll() is None]
        try:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(doc).encode() + b"\n")
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
        env = {k: v for k, v in os.environ.items() if k not in procs.MARKERS}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.recorder", "--serve"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._answers = PipeLines(self.proc.stdout)

    def poll(self) -> bool | None:
        """True once the document sent was applied, False if it failed, None meanwhile."""
        if not self.pending or self._answers is None:
            if self.proc is not None and time.monotonic() >= self.warm_until:
                self.close()  # the run is no longer young: let the idle helper go now,
                # rather than race its own idle exit with the next document
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


class Supervisor:
    def __init__(self, paths: RunPaths, run_id: str, *, adopt: bool,
                 job: SlurmJobInfo | None = None,
                 waiter: Forked | None = None, subreaper: bool = False) -> None:
        self.paths = paths
        self.run_id = run_id
        self.adopt = adopt
        self.job = job
        self.settings = Settings.load()
        # A compute node never opens a SQLite file; a server store it may reach.
        self.reports = job is None or sqlite_path(self.settings.database_url) is None
        self.time_limit_reached = False
        self.stopped_by_slurm: str | None = None
        me = os.getpid()
        self.identity = (me, procs.start_time(me) or time.time())
        self.status: dict[str, Any] = {"run_id": run_id, "state": "starting"}
        self.sim: tuple[int, float] | None = None
        self.waiter_identity: tuple[int, float] | None = None
        self.waiter = waiter
        self.subreaper = subreaper  # the simulator our waiter starts becomes ours if it dies
        self._waiter_lines = PipeLines(waiter.stdout) if waiter else None
        self.code: int | None = None
        self.spawn_error: str | None = None
        self.preset: Outcome | None = None
        self.cancel_requested = False
        self.term_sent_at: float | None = None
        self.saves_before_term = 0
        self.kill_sent = False
        self.signals: list[tuple[str, str]] = []
        self.tracker = ProgressTracker(paths.progress, paths.log, paths.config)
        self.reporter = Reporter(warm_until=time.monotonic() + WARM_RECORDER_SECONDS)
        self._synced_identity = False
        self._sent_identity = False
        self._sent_signals = 0
        self._progress_seen = 0  # progress changes seen, sent, and recorded in the store
        self._progress_sent = 0
        self._progress_recorded = 0
        self._last_progress_sync = 0.0
        self._last_progress_at: str | None = None
        self._status_dirty = False
        self._status_retry_at = 0.0
        self._next_orphan_check = 0.0
        self._adopters: set[int] = set()  # supervisors we started for other runs
        self._waiter_gone_said = False
        self._waiter_stopped_since: float | None = None
        self._wakeup = Wakeup()
        self.results = ResultMirror(paths.output,
                                    limit=int(self.settings.results_copy_mb * (1 << 20)))
        self._results_from: tuple[str, Path | None] | None = None
        self._next_results_sync = 0.0

    # -- signals and sleeping ----------------------------------------------------------

    def _install_signals(self) -> None:
        procs.reset_signal_dispositions()
        self._wakeup.install()
        signal.signal(signal.SIGTERM, self._on_cancel)
        signal.signal(signal.SIGINT, self._on_cancel)
        if self.job is not None:
            signal.signal(signal.SIGUSR1, self._on_time_limit)
        # Handlers, not SIG_IGN: ignored dispositions would be inherited by children.
        signal.signal(signal.SIGHUP, lambda *_: None)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _on_cancel(self, signum: int, _frame: FrameType | None) -> None:
        if self.job is not None and not self.cancel_requested \
                and not self.paths.cancel_request.exists():
            self.stopped_by_slurm = procs.signal_name(signum)
        self.cancel_requested = True

    def _on_time_limit(self, _signum: int, _frame: FrameType | None) -> None:
        """Slurm's warning before the time limit (`--signal=B:USR1@N`). Slurm may send it
        up to a minute early, so with a limit of our own we keep to our own clock; the
        warning counts for a limit we do not know (the partition's, or one changed)."""
        assert self.job is not None
        if self.job.stop_at is None:
            self.time_limit_reached = True
            self.cancel_requested = True

    def _check_time_limit(self) -> None:
        """Stop the run ourselves before its time limit (Slurm's warning may come late)."""
        if self.job is not None and self.job.stop_at is not None \
                and not self.cancel_requested and time.time() >= self.job.stop_at:
            _say("stopping the run before its time limit")
            self.time_limit_reached = True
            self.cancel_requested = True

    def _sleep(self, seconds: float) -> None:
        """Sleep until `seconds` pass, a signal arrives or the waiter reports."""
        waiter = self.waiter.stdout if self.waiter is not None else None
        also = [f for f in (waiter, self.reporter.answers) if f is not None and not f.closed]
        self._wakeup.sleep(seconds, *also)

    # -- status file -------------------------------------------------------------------

    def _save_status(self, **changes: Any) -> None:
        """Update status.json; a failed write is retried later, never fatal."""
        self.status.update(changes)
        self._status_dirty = True
        self._flush_status(force=True)

    def _flush_status(self, *, force: bool = False) -> None:
        if not self._status_dirty or (not force and time.monotonic() < self._status_retry_at):
            return
        self.status.update(supervisor_pid=self.identity[0], supervisor_started=self.identity[1])
        try:
            write_json_atomic(self.paths.status, self.status)
        except OSError as exc:
            if not force or self._status_retry_at == 0.0:
                _say(f"cannot write status.json ({exc.strerror or exc}); will retry")
            self._status_retry_at = time.monotonic() + 2.0
            return
        self._status_dirty = False
        self._status_retry_at = 0.0

    # -- starting or adopting ----------------------------------------------------------

    def _launch(self) -> None:
        if self.waiter is not None:
            return  # started before we were loaded
        if self.paths.cancel_request.exists():
            self.preset = Outcome("CANCELLED", None, None)
            _say("cancelled before it started")
            return
        try:
            self.waiter = start_waiter(self.paths, self.run_id, in_job=self.job is not None)
        except OSError as exc:
            self.spawn_error = f"cannot start the waiter: {exc}"
            return
        self._waiter_lines = PipeLines(self.waiter.stdout)

    def _adopt(self) -> None:
        """Re-attach to what the previous supervisor left: its recorded outcome, the
        waiter's records, or live processes carrying the run's marker."""
        recorded = supervisor_outcome(self.paths)
        if recorded is not None:
            self.preset = recorded[0]
            return
        previous = read_json(self.paths.status) or {}
        self.status.update({k: v for k, v in previous.items()
                            if k in ("pid", "pgid", "pid_started", "started_at")})
        identity = read_json(self.paths.process) or {}
        pid, started = identity.get("pid"), identity.get("pid_started")
        if isinstance(pid, int) and isinstance(started, int | float):
            self.sim = (pid, float(started))
        wpid, wstarted = identity.get("waiter_pid"), identity.get("waiter_started")
        if isinstance(wpid, int) and isinstance(wstarted, int | float):
            self.waiter_identity = (wpid, float(wstarted))
        if self.sim is None:
            live = sorted(procs.run_processes(self.run_id), key=lambda p: p[1])
            if live:
                self.sim = live[0]
        if self.sim is not None:
            self._note_started(*self.sim)
        self._read_exit()
        _say("adopted the run" + (f" (simulator {self.sim[0]})" if self.sim else ""))

    def _note_started(self, pid: int, started: float) -> None:
        if self.reports:  # the simulator is off: now the helper may load (see Reporter)
            self.reporter.prepare()
        self.sim = (pid, started)
        self.status.setdefault("started_at", _now_iso())
        self._save_status(state="running", pid=pid, pgid=pid, pid_started=started)

    # -- following the run -------------------------------------------------------------

    def _read_waiter(self) -> None:
        lines = self._waiter_lines
        if lines is None or lines.stream.closed:
            return
        for line in lines.read():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            event = message.get("event")
            if event == "started":
                self.waiter_identity = (message["waiter_pid"], message["waiter_started"])
                self._note_started(message["pid"], float(message["pid_started"]))
            elif event == "exited":
                self.code = int(message["exit_code"])
            elif event == "spawn_failed":
                self.spawn_error = str(message["error"])
        if lines.ended:
            lines.stream.close()

    def _read_exit(self) -> None:
        if self.code is not None or self.spawn_error is not None:
            return
        recorded = recorded_exit(self.paths)
        if recorded is not None:
            self.code, self.spawn_error = recorded

    def _waiter_alive(self) -> bool:
        if self.waiter is not None:
            return self.waiter.poll() is None
        if self.waiter_identity is None:
            return False
        pid, started = self.waiter_identity
        return any(procs.belongs(pid, procs.marker(name, self.run_id), started)
                   for name in (procs.SUPERVISOR_MARKER, procs.EXECUTED_WAITER_MARKER))

    def _ended(self) -> bool:
        if self.preset is not None or self.code is not None or self.spawn_error is not None:
            return True
        if self._waiter_alive():
            self._end_stopped_waiter()
            return False
        # The waiter is gone without a word: the run has ended once none of it is left.
        self._read_waiter()
        self._read_exit()
        if self.code is None and not self._waiter_gone_said:
            self._waiter_gone_said = True
            _say("the waiter ended without recording the simulator's exit status; "
                 + ("collecting it here" if self.waiter and self.subreaper
                    else "it cannot be collected here"))
        if self.code is not None:
            return True
        if procs.run_processes(self.run_id):
            return False
        self._collect_orphans()  # it may have ended since the last look
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
            self._waiter_stopped_since = None
            return
        now = time.monotonic()
        if self._waiter_stopped_since is None:
            self._waiter_stopped_since = now
        elif now - self._waiter_stopped_since >= STOPPED_WAITER_SECONDS:
            _say(f"the waiter (pid {waiter.pid}) is stopped and the simulator has ended: "
                 "ending the waiter to collect the exit status here")
            with contextlib.suppress(ProcessLookupError):
                os.kill(waiter.pid, signal.SIGKILL)
            self._waiter_stopped_since = None

    def _collect_orphans(self) -> None:
        """Reap the run's processes the kernel made our children (we are their subreaper):
        the simulator once its waiter is gone, whose exit status we then record as the
        waiter would have, and workers a simulator left behind. Never a child we started
        ourselves (the waiter, recorder helpers, supervisors of other runs): whoever
        started it waits for it and needs its status."""
        own = self._adopters | self.reporter.pids
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
                write_json_atomic(self.paths.exit, exit_record(self.code))
            except OSError as exc:  # status.json, retried, carries it all the same
                _say(f"cannot write exit.json ({exc.strerror or exc})")

    def _signal_run(self, sig: int, why: str) -> int:
        sent = procs.signal_run(self.run_id, sig)
        if sent:
            detail = f"{procs.signal_name(sig)} to {sent} process{'es' if sent > 1 else ''} " \
                     f"of the run ({why})"
            _say(detail)
            self.signals.append((_now_iso(), detail))
        return sent

    def _check_cancel(self) -> float:
        """Carry out a cancel; returns how long until the next step is due."""
        if not self.cancel_requested and self.paths.cancel_request.exists():
            self.cancel_requested = True
        if not self.cancel_requested:
            return POLL_SECONDS
        now = time.monotonic()
        grace = self.settings.cancel_grace
        if self.term_sent_at is None:
            if "cancel_seen_at" not in self.status:  # the canceller waits for this answer
                self._save_status(cancel_seen_at=_now_iso())
            self._poll_progress()
            self.saves_before_term = self.tracker.state.signal_saves
            if self._signal_run(signal.SIGTERM, "cancel") or self.sim is not None:
                self.term_sent_at = now
            return SAVE_WATCH_SECONDS
        if not self.kill_sent:
            self._poll_progress()
            if self.tracker.state.signal_saves > self.saves_before_term:
                # FUSION's handler saves its statistics and carries on: it is done saving.
                self._signal_run(signal.SIGKILL, "it saved its statistics after SIGTERM "
                                                 "and kept running")
                self.kill_sent = True
            elif now - self.term_sent_at >= grace:
                self._signal_run(signal.SIGKILL, f"still running {grace:g} s after SIGTERM")
                self.kill_sent = True
            else:
                return min(SAVE_WATCH_SECONDS, self.term_sent_at + grace - now)
        return POLL_SECONDS

    def _poll_progress(self) -> None:
        if self.tracker.poll():
            self._progress_seen += 1
            self._last_progress_at = _now_iso()

    def _mirror_results(self, *, now: bool = False) -> None:
        """Copy FUSION's result files (its log names their folder) into output/."""
        logged = self.tracker.state.output_dir
        if logged is None or (not now and time.monotonic() < self._next_results_sync):
            return
        self._next_results_sync = time.monotonic() + RESULTS_SYNC_SECONDS
        if self._results_from is None or self._results_from[0] != logged:
            source = fusion_folder(self.paths, self.tracker.state)
            self._results_from = (logged, source)
            if source is None:
                _say(f"not copying results from {logged!r}: not inside the simulator's "
                     "data/output folder")
        source = self._results_from[1]
        if source is not None:
            self.results.sync(source)
            if self.results.problem:
                _say(self.results.problem)
                self.results.problem = None
            if note := self.results.new_note():
                _say(note)

    def _document(self, outcome: Outcome | None = None,
                  completed_at: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "run_id": self.run_id, "supervisor": list(self.identity),
            "process": list(self.sim) if self.sim else None,
            "signals": list(self.signals),
        }
        if self.tracker.state.total_erlangs is not None or self._last_progress_at:
            doc["progress"] = self.tracker.state.cache()
            doc["last_progress_at"] = self._last_progress_at
        if outcome is not None:
            doc["outcome"] = {**outcome.as_dict(), "completed_at": completed_at}
        if self.job is not None:
            doc["slurm"] = {"job_id": self.job.job_id, "node": self.job.node,
                            "attempt": self.job.attempt}
            doc["schedule"] = False  # queued local runs start on the login node, not here
        return doc

    def _sync(self) -> None:
        """Send what changed to the store: the start at once, progress now and then."""
        if not self.reports:
            self.signals.clear()
            return
        result = self.reporter.poll()
        if result:
            self._synced_identity = self._sent_identity
            del self.signals[:self._sent_signals]
            if self._progress_sent != self._progress_recorded:
                self._progress_recorded = self._progress_sent
                self._last_progress_sync = time.monotonic()
        if not self.reporter.due:
            return
        wants_identity = self.sim is not None and not self._synced_identity
        every = progress_sync_seconds(helper_warm=time.monotonic() < self.reporter.warm_until,
                                      stall_seconds=self.settings.stall_seconds)
        wants_progress = self._progress_seen != self._progress_recorded and \
            time.monotonic() - self._last_progress_sync >= every
        if not (wants_identity or wants_progress or self.signals):
            return
        self._sent_identity = self.sim is not None
        self._sent_signals = len(self.signals)
        self._progress_sent = self._progress_seen
        self.reporter.send(self._document())

    def _adopt_orphans(self) -> None:
        """Every few seconds: start a supervisor for any registered run that has none."""
        if self.job is not None or time.monotonic() < self._next_orphan_check:
            return
        self._next_orphan_check = time.monotonic() + ORPHAN_CHECK_SECONDS
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
                pid = adopt_if_orphaned(other, name, dict(os.environ))
            except OSError as exc:
                if other.root.exists():
                    _say(f"cannot adopt run {name}: {exc}")
                else:
                    other.active_entry.unlink(missing_ok=True)
                continue
            if pid is not None:
                self._adopters.add(pid)
                _say(f"run {name} had no supervisor; started {pid} to adopt it")

    def _watch(self) -> None:
        while True:
            self._collect_orphans()
            self._read_waiter()
            self._read_exit()
            if self._ended():
                return
            self._check_time_limit()
            wait = self._check_cancel()
            self._poll_progress()
            self._mirror_results()
            self._sync()
            self._flush_status()
            self._adopt_orphans()
            self._sleep(min(wait, POLL_SECONDS))

    def _clear_leftovers(self) -> None:
        """Leave nothing of the run behind (workers orphaned by a dead simulator)."""
        why: dict[int, str] = {
            signal.SIGTERM: "left behind when the simulator ended",
            signal.SIGKILL: f"still there {LEFTOVER_GRACE:g} s after SIGTERM"}
        procs.stop_run(self.run_id, LEFTOVER_GRACE, lambda sig: self._signal_run(sig, why[sig]))
        self._collect_orphans()  # those of them the kernel made ours

    # -- settling ----------------------------------------------------------------------

    def _settle(self, outcome: Outcome) -> None:
        """Record the outcome in status.json and the store; retry until both hold."""
        completed_at = _now_iso()
        self._save_status(state="exited", status=outcome.status, exit_code=outcome.exit_code,
                          error=outcome.error, completed_at=completed_at,
                          results_note=outcome.note)
        while self.reporter.busy:  # a progress report still in flight: let it finish
            self.reporter.poll()
            self._sleep(0.05)
        if not self.reports or self.stopped_by_slurm:
            return  # the login node settles it from status.json (and Slurm's account)
        doc = self._document(outcome, completed_at)
        give_up = time.monotonic() + JOB_REPORT_SECONDS if self.job is not None else None
        while True:
            if give_up is not None and time.monotonic() >= give_up:
                _say("the store cannot be reached; the outcome is in status.json for the "
                     "login node to settle")
                return
            if not self.paths.root.is_dir():
                _say("the run folder was removed; the outcome cannot be kept")
                return
            if self.reporter.due:
                self.reporter.send(doc)
            if self.reporter.poll():
                return
            self._flush_status()
            self._sleep(0.05 if self.reporter.busy else
                        max(0.05, min(self.reporter.retry_at - time.monotonic(), 2.0)))

    def run(self) -> int:
        if not self.paths.root.is_dir():
            return 0  # the run folder is gone; there is nothing to supervise
        self._install_signals()
        if self.job is not None:
            self.status.update(slurm_job_id=self.job.job_id, node=self.job.node,
                               attempt=self.job.attempt)
        self._save_status(state="adopting" if self.adopt else "starting")
        if self.adopt:
            self._adopt()
        else:
            self._launch()
        self._watch()
        if self.waiter is not None:
            self.waiter.stdout.close()  # everything it had to say has been read
        self._clear_leftovers()
        self._poll_progress()
        self._mirror_results(now=True)
        self.cancel_requested = self.cancel_requested or self.paths.cancel_request.exists()
        outcome = self.preset or self._slurm_outcome() or decide(
            code=self.code, spawn_error=self.spawn_error, cancel_requested=self.cancel_requested,
            started=self.sim is not None, progress=self.tracker.state, paths=self.paths)
        if self.preset is None:
            outcome = dataclasses.replace(outcome, note=self.results.note())
        _say(f"run ended: {outcome.status}"
             + (f", exit code {outcome.exit_code}" if outcome.exit_code is not None else ""))
        if self.stopped_by_slurm:
            self.status["stopped_by_slurm"] = self.stopped_by_slurm
        self._settle(outcome)
        self.reporter.close()
        # The store has the outcome; status.json is its spare copy: keep trying for a
        # while, but not for ever, and not for a run folder that was deleted.
        deadline = time.monotonic() + STATUS_RETRY_SECONDS
        while self._status_dirty and self.paths.root.is_dir() and time.monotonic() < deadline:
            self._flush_status()
            self._sleep(1.0)
        with contextlib.suppress(OSError):
            self.paths.active_entry.unlink(missing_ok=True)
        if self.job is not None:  # the job's own state in Slurm tells the run's
            return 0 if outcome.status == "COMPLETED" else 1
        return 0

    def _slurm_outcome(self) -> Outcome | None:
        """A Slurm job stopped at its time limit or by a signal Slurm sent."""
        if self.job is None or self.paths.cancel_request.exists():
            return None
        if self.time_limit_reached:
            limit = self.job.time_limit or "its time limit"
            return Outcome("TIMEOUT", self.code,
                           f"stopped before the job's time limit ({limit}); the partial "
                           "results are kept")
        if self.stopped_by_slurm:
            return Outcome("CANCELLED", self.code,
                           f"stopped by Slurm ({self.stopped_by_slurm}): scancel, preemption, "
                           "a requeue or the time limit")
        return None
