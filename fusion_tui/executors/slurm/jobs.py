"""The Slurm executor's store access: runs on Slurm and their `BatchJob` rows.

Like `runs_repo`, every transition of a run's status is conditional, so the watcher of
one client and a supervisor reporting from a compute node cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from fusion_tui.store.models import BatchJob, EventKind, Run, RunEvent, created_detail
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow

SLURM = "slurm"


class SlurmJobs:
    """Store access for the Slurm executor, over the same session factory as `RunStore`."""

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def add(self, run: Run, job: BatchJob) -> None:
        """The run and its job row together (the job not yet submitted)."""
        with self._store.session(write=True) as s:
            s.add(run)
            s.add(job)
            s.add(RunEvent(run_id=run.id, kind=EventKind.CREATED.value, at=utcnow(),
                           detail=created_detail(run)))

    def discard(self, run_id: str) -> None:
        """Remove a run whose submission failed, as if it had never been made."""
        with self._store.session(write=True) as s:
            s.execute(delete(BatchJob).where(BatchJob.run_id == run_id))
            s.execute(delete(RunEvent).where(RunEvent.run_id == run_id))
            s.execute(delete(Run).where(Run.id == run_id))

    def discard_many(self, run_ids: list[str]) -> None:
        """Remove runs whose (array) submission failed, as if they had never been made."""
        with self._store.session(write=True) as s:
            s.execute(delete(BatchJob).where(BatchJob.run_id.in_(run_ids)))
            s.execute(delete(RunEvent).where(RunEvent.run_id.in_(run_ids)))
            s.execute(delete(Run).where(Run.id.in_(run_ids)))

    def submitted_many(self, jobs: list[tuple[str, str]], time_limit: str | None,
                       detail: str) -> None:
        """(run id, job id) pairs of one submission (a job array's tasks), at once."""
        now = utcnow()
        with self._store.session(write=True) as s:
            for run_id, job_id in jobs:
                s.execute(update(BatchJob).where(BatchJob.run_id == run_id).values(
                    job_id=job_id, state="PENDING", submitted_at=now, time_limit=time_limit))
                s.add(RunEvent(run_id=run_id, kind=EventKind.SUBMITTED.value, at=now,
                               detail=f"{detail}, task {job_id}"))

    def submitted(self, run_id: str, job_id: str, time_limit: str | None) -> None:
        with self._store.session(write=True) as s:
            s.execute(update(BatchJob).where(BatchJob.run_id == run_id).values(
                job_id=job_id, state="PENDING", submitted_at=utcnow(), time_limit=time_limit))
            s.add(RunEvent(run_id=run_id, kind=EventKind.SUBMITTED.value, at=utcnow(),
                           detail=f"Slurm job {job_id}"))

    def found(self, run_id: str, job_id: str, state: str, name: str) -> bool:
        """A job id found by the job's name for a run whose submitter ended before it
        recorded sbatch's answer; False when the run has an id already."""
        now = utcnow()
        with self._store.session(write=True) as s:
            result = s.execute(
                update(BatchJob).where(BatchJob.run_id == run_id, BatchJob.job_id.is_(None))
                .values(job_id=job_id, state=state, checked_at=now)
                .execution_options(synchronize_session=False))
            if not getattr(result, "rowcount", 0):
                return False
            s.add(RunEvent(run_id=run_id, kind=EventKind.SUBMITTED.value, at=now,
                           detail=f"Slurm job {job_id}, found by its name {name} (the "
                                  "command that submitted it ended before recording it)"))
            return True

    def job_ids(self, run_ids: list[str]) -> list[str]:
        """The Slurm job ids of `run_ids` that have one, in the order of `run_ids`."""
        if not run_ids:
            return []
        with self._store.session() as s:
            found = {run_id: job_id for run_id, job_id in s.execute(
                select(BatchJob.run_id, BatchJob.job_id).where(
                    BatchJob.run_id.in_(run_ids), BatchJob.job_id.is_not(None)))}
        return [str(found[r]) for r in run_ids if found.get(r)]

    def unfinished(self) -> list[Run]:
        """Every PENDING or RUNNING run on the Slurm executor, oldest first."""
        stmt = (select(Run).where(Run.executor == SLURM,
                                  Run.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))
                .order_by(Run.created_at))
        with self._store.session() as s:
            return list(s.scalars(stmt))

    def claim_poll(self, interval: float, *, now: datetime | None = None) -> bool:
        """True for the one client that may ask Slurm now (once per `interval`, shared by
        every client of the store); an interval of 0 always claims (a forced poll)."""
        return self._store.claim_poll(SLURM, interval, now=now)

    def observe(self, run_id: str, *, state: str, status: RunStatus, reason: str | None,
                node: str | None, elapsed: int | None, time_limit: str | None,
                job_id: str | None = None, attempt: int | None = None,
                started_at: datetime | None = None) -> None:
        """What Slurm (or the run folder) says of a job still in the queue; moves the run
        between PENDING and RUNNING and records a requeue as a new attempt."""
        now = utcnow()
        with self._store.session(write=True) as s:
            run = s.scalars(select(Run).where(Run.id == run_id).with_for_update()).first()
            job = s.get(BatchJob, run_id)
            if run is None or job is None or run.status not in (RunStatus.PENDING,
                                                                 RunStatus.RUNNING):
                return
            job.state, job.reason, job.checked_at, job.left_queue_at = state, reason, now, None
            if node is not None:
                job.node = node
            if elapsed is not None:
                job.elapsed_seconds = elapsed
            if time_limit is not None:
                job.time_limit = time_limit
            if job_id is not None and job.job_id is None:
                job.job_id = job_id
            if attempt is not None and attempt > job.attempt:
                s.add(RunEvent(run_id=run_id, kind=EventKind.REQUEUED.value, at=now,
                               detail=f"attempt {attempt} of Slurm job {job.job_id}"))
                job.attempt = attempt
            if status == RunStatus.RUNNING and run.status == RunStatus.PENDING:
                run.status, run.started_at = RunStatus.RUNNING.value, started_at or now
                s.add(RunEvent(run_id=run_id, kind=EventKind.STARTED.value, at=run.started_at,
                               detail=f"Slurm job {job.job_id} on {job.node or '?'}"))
            elif status == RunStatus.PENDING and run.status == RunStatus.RUNNING:
                run.status = RunStatus.PENDING.value
                s.add(RunEvent(run_id=run_id, kind=EventKind.REQUEUED.value, at=now,
                               detail=f"Slurm job {job.job_id} is back in the queue"
                                      + (f" ({reason})" if reason else "")))

    def left_queue(self, run_id: str) -> datetime:
        """Note that squeue no longer lists the job; when it first did not."""
        now = utcnow()
        with self._store.session(write=True) as s:
            job = s.get(BatchJob, run_id)
            if job is None:
                return now
            if job.left_queue_at is None:
                job.left_queue_at = now
            job.checked_at = now
            return job.left_queue_at

    def final(self, run_id: str, *, state: str | None, node: str | None,
              elapsed: int | None, started_at: datetime | None = None) -> None:
        """Slurm's last word on a job whose run has been settled; the start the run folder
        recorded, for a run that ended before anyone saw it running."""
        with self._store.session(write=True) as s:
            job = s.get(BatchJob, run_id)
            if job is None:
                return
            run = s.get(Run, run_id)
            if run is not None and run.started_at is None and started_at is not None:
                run.started_at = started_at
                s.add(RunEvent(run_id=run_id, kind=EventKind.STARTED.value, at=started_at,
                               detail=f"Slurm job {job.job_id} on {node or job.node or '?'}"))
            job.state, job.reason, job.checked_at = state or job.state, None, utcnow()
            if node:
                job.node = node
            if elapsed is not None:
                job.elapsed_seconds = elapsed
