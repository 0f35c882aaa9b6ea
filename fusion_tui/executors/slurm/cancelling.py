"""Cancel Slurm runs: a cancel request in the run folder, then scancel.

The job's supervisor stops the simulator as a local one does (SIGTERM, grace, SIGKILL)
and records CANCELLED; it also reads the request itself, so a cancel holds even when the
controller cannot be reached. A run whose submitter ended before recording its job id
has its job found by name first (`lookup`), and so does a run whose sbatch gave no answer
and a finished run about to be deleted whose job id was never recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.executor import Cancelled
from fusion_tui.executors.slurm.commands import SlurmClient, SlurmError, SlurmUnavailable
from fusion_tui.executors.slurm.jobs import SlurmJobs
from fusion_tui.executors.slurm.lookup import find_jobs
from fusion_tui.store.models import EventKind, Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow

# A Slurm run whose job id was never recorded and whose job cannot be looked up now.
_UNFOUND = ("cannot find its Slurm job by name ({}); the watcher cancels it once Slurm "
            "answers")


class Canceller:
    """scancel, saying in each run's audit trail what Slurm answered."""

    def __init__(self, store: RunStore, client: SlurmClient) -> None:
        self.store = store
        self.jobs = SlurmJobs(store)
        self.client = client

    def scancel(self, run_id: str, job_id: str) -> None:
        """scancel one job, saying in the run's audit trail whether Slurm took it."""
        try:
            self.client.scancel(job_id)
        except SlurmError as exc:
            self.store.record_event(run_id, EventKind.SIGNALLED,
                                    f"scancel {job_id} failed ({exc}); the job stops on "
                                    "its cancel request when its supervisor reads it")
        else:
            self.store.record_event(run_id, EventKind.SIGNALLED, f"scancel {job_id}")

    def find(self, runs: Sequence[Run]) -> dict[str, str]:
        """The job ids of runs whose submitter ended before recording them, found by the
        job's name and recorded now; SlurmError when Slurm cannot be asked."""
        lookup = find_jobs(self.client, runs)
        for run_id, hit in lookup.found.items():
            self.jobs.found(run_id, hit.job_id, hit.state, lookup.names[run_id])
        return {run_id: hit.job_id for run_id, hit in lookup.found.items()}

    def withdraw(self, run_ids: Sequence[str], exc: BaseException) -> str:
        """After sbatch gave no answer (timed out, lost the controller) it may still have
        submitted the job: one found by its name is scancelled before its runs are
        removed; what was cancelled, as a clause for the error. When Slurm cannot be
        asked, FaultError and the runs are kept (the watcher settles them)."""
        if not isinstance(exc, SlurmUnavailable):
            return ""
        try:
            found = self.find([r for r in map(self.store.get, run_ids) if r is not None])
            jobs = sorted({job.split("_", 1)[0] for job in found.values()})
            for job in jobs:
                self.client.scancel(job)
        except SlurmError as again:
            raise FaultError(f"{exc}, and Slurm cannot be asked whether it took the job "
                             f"({again}): run(s) {', '.join(run_ids)} are kept until it "
                             "can") from None
        return f"; the job it took anyway ({', '.join(jobs)}) was cancelled" if jobs else ""

    def cancel(self, run: Run) -> Run | None:
        """Leave a cancel request in the run folder, then scancel the job; None when the
        run had already finished."""
        if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            return None
        _request(run)
        job_id = run.job.job_id if run.job else None
        if job_id is None:  # its submitter ended before recording sbatch's answer
            try:
                job_id = self.find([run]).get(run.id)
            except SlurmError as exc:  # the watcher finds and cancels it later
                self.store.record_event(run.id, EventKind.SIGNALLED, _UNFOUND.format(exc))
                return self.store.get(run.id)
        if job_id is not None:
            self.scancel(run.id, job_id)
        if run.status == RunStatus.PENDING:
            self.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                              expected=(RunStatus.PENDING,))
        return self.store.get(run.id)

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        """A cancel request in every folder, then ONE scancel per job (an array's tasks
        go with their array)."""
        asked: list[Run] = []
        for run in runs:
            if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
                continue
            _request(run)
            asked.append(run)
        ids: dict[str, str] = {r.id: r.job.job_id for r in asked
                               if r.job is not None and r.job.job_id}
        unfound: str | None = None
        if len(ids) < len(asked):  # submitted by a command that ended before recording it
            try:
                ids.update(self.find([r for r in asked if r.id not in ids]))
            except SlurmError as exc:  # the watcher finds and cancels them later
                unfound = _UNFOUND.format(exc)
        said: dict[str, str] = {}
        for job in sorted({job.split("_", 1)[0] for job in ids.values()}):
            try:
                self.client.scancel(job)
                said[job] = f"scancel {job}"
            except SlurmError as exc:
                said[job] = (f"scancel {job} failed ({exc}); the job stops on its cancel "
                             "request when its supervisor reads it")
        for run in asked:
            if run.id in ids:
                self.store.record_event(run.id, EventKind.SIGNALLED,
                                        said[ids[run.id].split("_", 1)[0]])
            elif unfound is not None:
                self.store.record_event(run.id, EventKind.SIGNALLED, unfound)
                continue
            if run.status == RunStatus.PENDING:
                self.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                                  expected=(RunStatus.PENDING,))
        return Cancelled([r.id for r in asked], [])

    def release(self, run: Run) -> None:
        """A finished run whose job id was never recorded may still have a job in the
        queue (an earlier version's cancel did not look for it): scancel it before its
        folder goes, or change nothing if Slurm cannot be asked."""
        if run.job is not None and run.job.job_id:
            return
        try:
            for job_id in self.find([run]).values():
                self.scancel(run.id, job_id)
        except SlurmError as exc:
            raise FaultError(f"cannot delete run {run.id}: its Slurm job id was never "
                             f"recorded and Slurm cannot be asked for it by name ({exc}); "
                             "nothing was changed") from None


def _request(run: Run) -> None:
    """Leave the cancel request the job's supervisor reads; FaultError if it cannot."""
    paths = RunPaths(Path(run.run_dir))
    try:
        write_atomic(paths.cancel_request, utcnow().isoformat() + "\n")
    except OSError as exc:
        raise FaultError(f"cannot cancel run {run.id}: "
                         f"{describe_os_error(exc, str(paths.cancel_request))}") from None

