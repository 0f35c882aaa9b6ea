"""The supervisor of one run: start (or adopt) it, follow it, carry out a cancel, settle
the outcome from the evidence and record it in `status.json` and, through the recorder
helper, in the store."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time

from fusion_tui.base import procs
from fusion_tui.base.documents import (
    ADOPTING,
    EXITED,
    RUNNING,
    STARTING,
    JobPlace,
    OutcomeRecord,
    RecorderReport,
)
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.registry import kind_of_run
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.runs.attempts import JobInfo
from fusion_tui.runs.background import Wakeup, say
from fusion_tui.runs.evidence import Outcome, decide
from fusion_tui.runs.supervision.adoption import OrphanAdopter, reattach
from fusion_tui.runs.supervision.cancel import (
    POLL_SECONDS,
    CancelEscalation,
    Sender,
    now_iso,
)
from fusion_tui.runs.supervision.processes import Processes
from fusion_tui.runs.supervision.reporter import (
    WARM_RECORDER_SECONDS,
    Reporter,
    progress_sync_seconds,
)
from fusion_tui.runs.supervision.signals import SignalRequests
from fusion_tui.runs.supervision.status import StatusFile
from fusion_tui.runs.waiter import Forked
from fusion_tui.store.sqlite_file import sqlite_path

STATUS_RETRY_SECONDS = 300.0
# Nothing but signals goes to the store this early in a run: a run that ends sooner
# (a sweep of short runs) is recorded in one transaction, its outcome's.
FIRST_REPORT_SECONDS = 0.5
# In a batch scheduler's job: how long to keep trying to reach the store with the outcome before
# leaving it to the login node (the job must end; status.json holds the outcome).
JOB_REPORT_SECONDS = 20.0


def _say(message: str) -> None:
    say("supervisor", message)


class Supervisor:
    def __init__(self, paths: RunPaths, run_id: str, *, adopt: bool,
                 job: JobInfo | None = None,
                 waiter: Forked | None = None, subreaper: bool = False,
                 recorder_fds: tuple[int, int] | None = None) -> None:
        self.paths = paths
        self.run_id = run_id
        self.adopt = adopt
        self.job = job
        self.settings = Settings.load()
        self.kind = kind_of_run(paths)
        # A compute node never opens a SQLite file; a server store it may reach.
        self.reports = job is None or sqlite_path(self.settings.database_url) is None
        me = os.getpid()
        self.identity = (me, procs.start_time(me) or time.time())
        self.status = StatusFile(paths.status, run_id, self.identity)
        self.preset: Outcome | None = None
        self.requests = SignalRequests(paths, job)
        self.sender = Sender(run_id)
        self.cancel = CancelEscalation(self.kind, self.settings, self.requests, self.sender,
                                       self.status)
        self.tracker = self.kind.tracker(paths)
        self.reporter = Reporter(warm_until=time.monotonic() + WARM_RECORDER_SECONDS,
                                 handed=recorder_fds)
        self.orphans = OrphanAdopter(paths, run_id)
        self.processes = Processes(paths, run_id, waiter=waiter, subreaper=subreaper,
                                   on_started=self._note_started,
                                   own=lambda: self.orphans.started | self.reporter.pids)
        self.results = self.kind.results_follower(paths, self.settings, _say)
        self._synced_identity = False
        self._sent_identity = False
        self._sent_signals = 0
        self._progress_seen = 0  # progress changes seen, sent, and recorded in the store
        self._progress_sent = 0
        self._progress_recorded = 0
        self._last_progress_sync = 0.0
        self._last_progress_at: str | None = None
        self._wakeup = Wakeup()
        self._born = time.monotonic()

    def _sleep(self, seconds: float) -> None:
        """Sleep until `seconds` pass, a signal arrives or the waiter reports."""
        waiter = self.processes.waiter
        also = [f for f in (waiter.stdout if waiter is not None else None,
                            self.reporter.answers) if f is not None and not f.closed]
        self._wakeup.sleep(seconds, *also)

    # -- starting or adopting ----------------------------------------------------------

    def _launch(self) -> None:
        if self.processes.waiter is not None:
            return  # started before we were loaded
        if self.paths.cancel_request.exists():
            self.preset = Outcome("CANCELLED", None, None)
            _say("cancelled before it started")
            return
        self.processes.start_waiter(in_job=self.job is not None)

    def _note_started(self, pid: int, started: float) -> None:
        if self.reports:  # the simulator is off: now the helper may load (see Reporter)
            self.reporter.prepare()
        if self.status.record.started_at is None:
            self.status.update(started_at=now_iso())
        self.status.save(state=RUNNING, pid=pid, pgid=pid, pid_started=started)

    # -- following the run -------------------------------------------------------------

    def _ended(self) -> bool:
        return self.preset is not None or self.processes.ended()

    def _poll_progress(self) -> None:
        if self.tracker.poll():
            self._progress_seen += 1
            self._last_progress_at = now_iso()

    def _progress_state(self) -> ProgressState:
        """What is new of the run's progress, read now."""
        self._poll_progress()
        return self.tracker.state

    def _mirror_results(self, *, now: bool = False) -> None:
        if self.results is not None:
            self.results.sync(self.tracker.state, now=now)

    def _report(self, outcome: OutcomeRecord | None = None) -> RecorderReport:
        state = self.tracker.state
        has_progress = state.total_erlangs is not None or self._last_progress_at
        return RecorderReport(
            self.run_id, self.identity, self.processes.sim, tuple(self.sender.sent),
            state.cache() if has_progress else None,
            self._last_progress_at if has_progress else None, outcome,
            JobPlace(self.job.job_id, self.job.node, self.job.attempt, self.job.scheduler)
            if self.job is not None else None,
            # queued local runs start on the login node, not in a scheduler's job
            schedule=self.job is None, started_at=self.status.record.started_at)

    def _sync(self) -> None:
        """Send what changed to the store: the start at once, progress now and then."""
        if not self.reports:
            self.sender.sent.clear()
            return
        result = self.reporter.poll()
        if result:
            self._synced_identity = self._sent_identity
            del self.sender.sent[:self._sent_signals]
            if self._progress_sent != self._progress_recorded:
                self._progress_recorded = self._progress_sent
                self._last_progress_sync = time.monotonic()
        if not self.reporter.due:
            return
        sim = self.processes.sim
        wants_identity = sim is not None and not self._synced_identity
        every = progress_sync_seconds(helper_warm=time.monotonic() < self.reporter.warm_until,
                                      stall_seconds=self.settings.stall_seconds)
        wants_progress = self._progress_seen != self._progress_recorded and \
            time.monotonic() - self._last_progress_sync >= every
        if not self.sender.sent and (
                not (wants_identity or wants_progress)
                or time.monotonic() - self._born < FIRST_REPORT_SECONDS):
            return
        self._sent_identity = sim is not None
        self._sent_signals = len(self.sender.sent)
        self._progress_sent = self._progress_seen
        self.reporter.send(self._report())

    def _watch(self) -> None:
        processes = self.processes
        while True:
            processes.collect_orphans()
            processes.read_waiter()
            processes.read_exit()
            if self._ended():
                return
            self.requests.check_time_limit()
            wait = self.cancel.step(self._progress_state, processes.sim is not None)
            self._poll_progress()
            self._mirror_results()
            self._sync()
            self.status.flush()
            if self.job is None:
                self.orphans.check()
            self._sleep(min(wait, POLL_SECONDS))

    # -- settling ----------------------------------------------------------------------

    def _settle(self, outcome: Outcome, *, leave_to_login_node: bool) -> None:
        """Record the outcome in status.json and the store; retry until both hold. A run
        a scheduler may have stopped is left to the login node, which asks the scheduler.
        The report goes first: the recorder writes the store (and starts the next run)
        while status.json, the spare copy, is written and synced here."""
        completed_at = now_iso()
        self.status.update(state=EXITED, status=outcome.status, exit_code=outcome.exit_code,
                           error=outcome.error, completed_at=completed_at,
                           results_note=outcome.note)
        while self.reporter.busy:  # a progress report still in flight: let it finish
            self.reporter.poll()
            self._sleep(0.05)
        if not self.reports or leave_to_login_node:
            self.status.save()
            return  # the login node settles it from status.json (and the scheduler's)
        report = self._report(OutcomeRecord(outcome.status, outcome.exit_code, outcome.error,
                                            completed_at, outcome.recovered, outcome.note))
        if self.reporter.due:
            self.reporter.send(report)
        self.status.save()
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
                self.reporter.send(report)
            if self.reporter.poll():
                return
            self.status.flush()
            self._sleep(0.05 if self.reporter.busy else
                        max(0.05, min(self.reporter.retry_at - time.monotonic(), 2.0)))

    def run(self) -> int:
        if not self.paths.root.is_dir():
            return 0  # the run folder is gone; there is nothing to supervise
        self.requests.install(self._wakeup)
        if self.job is not None:
            self.status.update(job_id=self.job.job_id, node=self.job.node,
                               attempt=self.job.attempt)
        self.status.save(state=ADOPTING if self.adopt else STARTING)
        if self.adopt:
            self.preset = reattach(self.paths, self.run_id, self.status, self.processes)
        else:
            self._launch()
        self._watch()
        self.processes.close()
        # Not in a batch job: a task of the run that the scheduler started (srun) is not
        # below us. Not when adopting: the run was started by another supervisor.
        self.sender.clear_leftovers(subreaper=self.processes.subreaper and not self.adopt
                                    and self.job is None)
        self.processes.collect_orphans()  # those of them the kernel made ours
        self._poll_progress()
        self._mirror_results(now=True)
        requests, processes = self.requests, self.processes
        requests.cancel_requested = requests.cancel_requested or \
            self.paths.cancel_request.exists()
        outcome = self.preset or self._job_outcome() or decide(
            code=processes.code, spawn_error=processes.spawn_error,
            cancel_requested=requests.cancel_requested, started=processes.sim is not None,
            progress=self.tracker.state, paths=self.paths)
        if self.preset is None:
            outcome = dataclasses.replace(
                outcome, note=self.results.note() if self.results is not None else None)
        _say(f"run ended: {outcome.status}"
             + (f", exit code {outcome.exit_code}" if outcome.exit_code is not None else ""))
        stopped = requests.scheduler_may_have_stopped(processes.code)
        if stopped:
            self.status.update(stopped_by_scheduler=stopped)
        self._settle(outcome, leave_to_login_node=stopped is not None)
        self.reporter.close()
        # The store has the outcome; status.json is its spare copy: keep trying for a
        # while, but not for ever, and not for a run folder that was deleted.
        deadline = time.monotonic() + STATUS_RETRY_SECONDS
        while self.status.dirty and self.paths.root.is_dir() and time.monotonic() < deadline:
            self.status.flush()
            self._sleep(1.0)
        with contextlib.suppress(OSError):
            self.paths.active_entry.unlink(missing_ok=True)
        if self.job is not None:  # the job's own state tells the run's
            return 0 if outcome.status == "COMPLETED" else 1
        return 0

    def _job_outcome(self) -> Outcome | None:
        """A scheduler's job stopped at its time limit or by a signal the scheduler sent."""
        if self.job is None or self.paths.cancel_request.exists():
            return None
        code = self.processes.code
        if self.requests.time_limit_reached:
            limit = self.job.time_limit or "its time limit"
            return Outcome("TIMEOUT", code,
                           f"stopped before the job's time limit ({limit}); the partial "
                           "results are kept")
        if self.requests.stopped_by_scheduler:
            causes = f": {self.job.stop_causes}" if self.job.stop_causes else ""
            return Outcome("CANCELLED", code, f"stopped by {self.job.scheduler} "
                           f"({self.requests.stopped_by_scheduler}){causes}")
        return None
