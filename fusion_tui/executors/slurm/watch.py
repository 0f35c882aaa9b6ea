"""The poll cycle for every unfinished Slurm run: the run folders on each call, Slurm at
most once per `slurm_poll_seconds` for all clients of the store together.

Progress, the start on a node and a recorded outcome come from the run folder (on the
shared filesystem), so a screen stays live between polls. Slurm is asked with ONE
batched `squeue` for all our jobs; a job it no longer lists is settled (`settle`). A run
whose submitter ended before recording its job id is looked up by the job's name
(`lookup`, one more squeue, and sacct for jobs that have left the queue) and then
watched like any other.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import CycleReport, ProgressSource, Support
from fusion_tui.executors.slurm.commands import TIMEOUT_SECONDS, SlurmClient, SlurmError
from fusion_tui.executors.slurm.describe import poll_seconds
from fusion_tui.executors.slurm.jobs import SlurmJobs
from fusion_tui.executors.slurm.lookup import find_jobs
from fusion_tui.executors.slurm.settle import (
    Settlement,
    from_folder,
    never_submitted,
    parse_time,
    settle,
)
from fusion_tui.executors.slurm.states import queued_status
from fusion_tui.store.dependencies import Blocked
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import UNSUCCESSFUL_STATUSES, RunStatus, utcnow

# A run without a job id this old is looked up by its job's name: sbatch answers in well
# under a second, so its submitter has ended before recording the answer.
LOOKUP_AFTER = timedelta(seconds=10)
# A run without a job id that Slurm does not know by name this long after it was made was
# never submitted: no sbatch (which gives up after TIMEOUT_SECONDS) can still be answering.
NEVER_SUBMITTED_AFTER = timedelta(seconds=TIMEOUT_SECONDS * 3)
# squeue's reason for a job whose dependency can never be satisfied.
NEVER_SATISFIED = "DependencyNeverSatisfied"


class SlurmWatcher:
    """Folds the run folders and Slurm's queue into the store."""

    def __init__(self, settings: Settings, store: RunStore, client: SlurmClient,
                 support: Support) -> None:
        self.settings = settings
        self.support = support  # settles only its user's runs
        self.store = store
        self.jobs = SlurmJobs(store)
        self.client = client
        self._trackers: dict[str, ProgressSource] = {}

    def cycle(self, *, force: bool = False) -> CycleReport:
        report = CycleReport()
        runs = self.jobs.unfinished()
        if not runs:
            self._trackers.clear()
            return report
        # Another user's run folder may be closed to us, and its outcome is theirs to
        # record: their runs are only observed in squeue, never settled by us.
        remaining = [r for r in runs if not (self._mine(r) and self._from_folder(r, report))]
        self._trackers = {k: v for k, v in self._trackers.items()
                          if k in {r.id for r in remaining}}
        interval = 0.0 if force else poll_seconds(self.settings)
        if not remaining or not self.jobs.claim_poll(interval):
            return report
        report.polled = True
        ids = sorted({r.job.job_id for r in remaining if r.job and r.job.job_id})
        try:
            queue = self.client.squeue(ids)
        except SlurmError as exc:
            report.problem = f"cannot ask Slurm about {len(ids)} job(s): {exc}"
            return report
        for run in remaining:
            job = run.job
            if job is None or job.job_id is None:
                continue
            entry = queue.get(job.job_id)
            if entry is not None and entry.reason == NEVER_SATISFIED and self._mine(run) \
                    and queued_status(entry.state) == RunStatus.PENDING:
                self._never_satisfied(run, job.job_id, report)
                continue
            if entry is not None:
                self.jobs.observe(run.id, state=entry.state, status=queued_status(entry.state),
                                  reason=entry.reason, node=entry.node,
                                  elapsed=entry.elapsed_seconds, time_limit=entry.time_limit)
                continue
            if not self._mine(run):
                continue
            self.settle_left(run, job.job_id, report)
        now = utcnow()
        unknown = [r for r in remaining if self._mine(r) and now - r.created_at >= LOOKUP_AFTER
                   and (r.job is None or r.job.job_id is None)]
        if unknown:  # as the store has them now: the folder may have given the id above
            unknown = [r for r in self.jobs.unfinished() if r.id in {u.id for u in unknown}
                       and (r.job is None or r.job.job_id is None)]
        if unknown:
            self._by_name(unknown, report)
        return report

    def _mine(self, run: Run) -> bool:
        return self.support.is_mine(run)

    def _never_satisfied(self, run: Run, job_id: str, report: CycleReport) -> None:
        """A job Slurm holds for a dependency that can never be met (a job it was to run
        after ended other than COMPLETED): Slurm would keep it pending for ever (unless
        the cluster sets kill_invalid_depend), so it is cancelled, and the run ends
        CANCELLED naming the run it waited for and how that one ended."""
        try:
            self.client.scancel(job_id)
        except SlurmError as exc:
            report.problem = f"cannot cancel Slurm job {job_id}: {exc}"
            return
        self.jobs.final(run.id, state="CANCELLED", node=None, elapsed=None)
        if self.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                             error=self._unmet(run), expected=(RunStatus.PENDING,)):
            report.settled.append((run.id, RunStatus.CANCELLED.value))

    def _unmet(self, run: Run) -> str:
        """Which run a run Slurm will never start waited for, and how that one ended."""
        for need in run.needs:
            needed = self.store.get(need.needs_id)
            if needed is None or needed.run_status in UNSUCCESSFUL_STATUSES:
                return (Blocked(run.id, need.needs_id,
                                None if needed is None else needed.status).reason
                        + f" (Slurm: {NEVER_SATISFIED})")
        return (f"not started: Slurm says a job it was to run after can never complete "
                f"({NEVER_SATISFIED})")

    def _by_name(self, runs: list[Run], report: CycleReport) -> None:
        """Runs whose submitter ended between sbatch's answer and recording it: the job
        found by its name is recorded and watched (cancelled if a cancel was asked while
        Slurm could not be); one Slurm does not know long after was never submitted."""
        try:
            lookup = find_jobs(self.client, runs)
        except SlurmError as exc:
            report.problem = f"cannot look up {len(runs)} job(s) by name: {exc}"
            return
        now = utcnow()
        for run in runs:
            paths = RunPaths(Path(run.run_dir))
            hit = lookup.found.get(run.id)
            if hit is None:
                if now - run.created_at >= NEVER_SUBMITTED_AFTER:
                    self._settle(run, never_submitted(paths, lookup.names.get(run.id),
                                                      lookup.notes), report)
                continue
            self.jobs.found(run.id, hit.job_id, hit.state, lookup.names[run.id])
            entry = hit.entry
            if entry is None:
                self.settle_left(run, hit.job_id, report)
                continue
            if paths.cancel_request.exists():
                try:
                    self.client.scancel(hit.job_id)
                except SlurmError as exc:
                    report.problem = f"cannot cancel Slurm job {hit.job_id}: {exc}"
            self.jobs.observe(run.id, state=entry.state, status=queued_status(entry.state),
                              reason=entry.reason, node=entry.node,
                              elapsed=entry.elapsed_seconds, time_limit=entry.time_limit)

    def _from_folder(self, run: Run, report: CycleReport) -> bool:
        """Take what the run folder says; True when the run is settled by it."""
        paths = RunPaths(Path(run.run_dir))
        status = StatusRecord.read(paths.status)
        # `live`: not an ended attempt's record
        if status.live and status.job_id is not None and self._news(run, status):
            self.jobs.observe(run.id, state="RUNNING", status=RunStatus.RUNNING, reason=None,
                              node=status.node, elapsed=None, time_limit=None,
                              job_id=status.job_id, attempt=status.attempt,
                              started_at=parse_time(status.started_at))
        if status.written:
            self._progress(run)
        settled = from_folder(paths, self.support.evidence)
        if settled is None:
            return False
        self._settle(run, settled, report)
        return True

    @staticmethod
    def _news(run: Run, status: StatusRecord) -> bool:
        """Whether the folder says something the store does not know yet (a start, a
        node, a new attempt): only then is the store written."""
        job = run.job
        if job is None or run.status == RunStatus.PENDING:
            return True
        return job.node != status.node or job.job_id is None or \
            (status.attempt is not None and status.attempt > job.attempt)

    def settle_left(self, run: Run, job_id: str, report: CycleReport) -> None:
        """Settle a run whose job squeue no longer lists, unless Slurm cannot tell its
        end yet (then a later cycle asks again)."""
        left = self.jobs.left_queue(run.id)
        self._settle(run, settle(RunPaths(Path(run.run_dir)), job_id, self.client,
                                 self.support.evidence, self.support.progress,
                                 left_queue_at=left), report)

    def _tracker(self, run: Run) -> ProgressSource:
        """The run's progress tracker, kept between cycles so each reads only what is new."""
        tracker = self._trackers.get(run.id)
        if tracker is None:
            tracker = self._trackers[run.id] = self.support.progress(RunPaths(Path(run.run_dir)))
        return tracker

    def _progress(self, run: Run) -> None:
        """The run list's progress cache from the run's own files (no supervisor in the
        job may write to a SQLite store)."""
        tracker = self._tracker(run)
        if tracker.poll():
            self.store.update_progress(run.id, **tracker.state.cache(),
                                       last_progress_at=utcnow())

    def _final_progress(self, run: Run) -> None:
        """The settled run's last progress, from its folder: whatever a supervisor's
        report carried before is replaced, and later reports no longer change it (see
        `RunStore.apply_report`)."""
        tracker = self._tracker(run)
        tracker.poll()
        if tracker.source is not None:  # the simulator said something
            self.store.update_progress(run.id, **tracker.state.cache())

    def _settle(self, run: Run, settled: Settlement | None, report: CycleReport) -> None:
        if settled is None:
            return
        started = settled.started_at
        elapsed = settled.elapsed
        if elapsed is None and started is not None and settled.completed_at is not None:
            elapsed = int((settled.completed_at - started).total_seconds())
        self.jobs.final(run.id, state=settled.slurm_state or settled.status.value,
                        node=settled.node, elapsed=elapsed, started_at=started)
        done = self.store.finish(run.id, settled.status, exit_code=settled.exit_code,
                                 error=settled.error, completed_at=settled.completed_at,
                                 expected=(RunStatus.PENDING, RunStatus.RUNNING),
                                 recovered=settled.recovered, note=settled.note)
        if done:
            self._final_progress(run)
            report.settled.append((run.id, settled.status.value))
