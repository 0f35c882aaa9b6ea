"""The outcome of a Slurm run, from the run folder first, then `sacct`, then `scontrol`,
and only then as lost, saying what is known.

The run folder is on the shared filesystem and holds what the job's supervisor wrote;
Slurm is asked only for what the folder cannot say: why Slurm stopped the job
(preemption, time limit, node failure), or how a job ended whose supervisor never got to
write (killed, out of memory, node gone). sacct reports a final state only after the job
ends and may lag; scontrol forgets a job after MinJobAge. So a job that has just left the
queue and that neither knows yet is given a while before it is called lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.executor import Evidence, ProgressSource
from fusion_tui.executors.slurm.commands import JobRecord, SlurmClient, SlurmError
from fusion_tui.executors.slurm.states import ENDING_TEXT, final_status
from fusion_tui.store.status import RunStatus, utcnow

# How long a job may be gone from squeue, unknown to sacct and scontrol, before it is lost.
PATIENCE = timedelta(seconds=90)


@dataclass(frozen=True)
class Settlement:
    status: RunStatus
    exit_code: int | None
    error: str | None
    recovered: str | None
    completed_at: datetime | None
    slurm_state: str | None = None
    node: str | None = None
    elapsed: int | None = None
    started_at: datetime | None = None  # when the job's supervisor started the simulator
    note: str | None = None  # what a bounded copy of the results left (see Outcome.note)


def parse_time(value: object) -> datetime | None:
    """A time the supervisor wrote into status.json; None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def from_folder(paths: RunPaths, evidence: Evidence) -> Settlement | None:
    """An outcome the job's supervisor recorded and that needs nothing from Slurm."""
    status = StatusRecord.read(paths.status)
    recorded = evidence.recorded(paths)
    if recorded is None or status.stopped_by_scheduler:
        return None
    outcome, completed = recorded
    return Settlement(RunStatus(outcome.status), outcome.exit_code, outcome.error, None,
                      datetime.fromisoformat(completed) if completed else None,
                      node=status.node, started_at=parse_time(status.started_at),
                      note=outcome.note)


def _slurm_record(client: SlurmClient, job_id: str) -> tuple[JobRecord | None, list[str]]:
    """Slurm's final word on a job: sacct (when accounting is on), else scontrol."""
    notes: list[str] = []
    records: dict[str, JobRecord] | None
    try:
        records = client.sacct([job_id])
    except SlurmError as exc:
        records = {}
        notes.append(f"sacct failed ({exc})")
    if records is None:
        notes.append("accounting is off (no sacct)")
    elif job_id in records and final_status(records[job_id].state) is not None:
        return records[job_id], notes
    elif records is not None:
        notes.append("sacct has no final state for it yet")
    record: JobRecord | None
    try:
        record = client.scontrol_job(job_id)
    except SlurmError as exc:
        record = None
        notes.append(f"scontrol failed ({exc})")
    if record is not None and final_status(record.state) is not None:
        return record, notes
    if record is None:
        notes.append("the controller no longer remembers it")
    return None, notes


def _how(record: JobRecord) -> str:
    parts = [f"Slurm job {record.job_id} ended {record.state}"]
    if record.exit_code is not None:
        parts.append(f"exit code {record.exit_code}" + (f" signal {record.signal}"
                                                        if record.signal else ""))
    if record.node:
        parts.append(f"on {record.node}")
    return ", ".join(parts) + f" (from {record.source})"


# What slurmstepd writes into a job's output when Slurm ends it, most specific first.
_SAID = (
    (re.compile(r"exceeded (job )?memory limit|oom-kill|out-of-memory", re.I),
     RunStatus.OUT_OF_MEMORY),
    (re.compile(r"DUE TO TIME LIMIT"), RunStatus.TIMEOUT),
    (re.compile(r"DUE TO PREEMPTION"), RunStatus.PREEMPTED),
    (re.compile(r"DUE TO NODE FAILURE"), RunStatus.NODE_FAIL),
    (re.compile(r"\*\*\* JOB \S+ ON \S+ CANCELLED AT"), RunStatus.CANCELLED),
)


def said_by_slurm(paths: RunPaths, job_id: str | None, evidence: Evidence) -> RunStatus | None:
    """How Slurm says it ended the job, in the job's own output (in the run folder, so
    it is known even with accounting off and after the controller forgot the job)."""
    if not job_id:
        return None
    own = paths.logs / f"slurm-{job_id}.out"  # an array task's output is slurm-<A>_<a>.out
    tail = evidence.tail(own if own.exists()
                         else paths.logs / f"slurm-{job_id.split('_', 1)[0]}.out")
    for pattern, status in _SAID:
        if pattern.search(tail):
            return status
    return None


def never_submitted(paths: RunPaths, name: str | None, notes: list[str]) -> Settlement:
    """A run whose submitter ended before recording a job id, and whose job Slurm does
    not know by its name (long after sbatch could still have been answering)."""
    if paths.cancel_request.exists():
        return Settlement(RunStatus.CANCELLED, None, None, "cancelled before it reached Slurm",
                          None)
    what = f"no job of yours named {name} in its folder" if name else \
        "no way to tell (its job script cannot be read)"
    return Settlement(RunStatus.FAILED, None,
                      "not submitted: the command that submitted it ended before recording "
                      f"Slurm's answer, and Slurm has {what}"
                      + "".join(f"; {n}" for n in notes),
                      "settled from Slurm's queue and accounting", None)


def settle(paths: RunPaths, job_id: str | None, client: SlurmClient, evidence: Evidence,
           progress_of: Callable[[RunPaths], ProgressSource], *,
           left_queue_at: datetime, now: datetime | None = None) -> Settlement | None:
    """The outcome of a run whose job `squeue` no longer lists; None to ask again later.
    `evidence` and `progress_of` judge the run folder as the runs layer does."""
    now = now or utcnow()
    settled = from_folder(paths, evidence)
    if settled is not None:
        return settled
    status = StatusRecord.read(paths.status)
    cancelled = paths.cancel_request.exists()
    record, notes = _slurm_record(client, job_id) if job_id else (None, ["no job id"])
    node = (record.node if record else None) or status.node
    # Slurm's own words in the job's output are more specific than FAILED/CANCELLED
    # (a job killed for its memory by jobacct_gather ends FAILED in sacct).
    said = said_by_slurm(paths, job_id, evidence)
    by_slurm = final_status(record.state) if record else None
    if said is not None and by_slurm in (None, RunStatus.FAILED, RunStatus.CANCELLED):
        by_slurm = said
    how = _how(record) if record else ("Slurm's message in the job's output"
                                       if said else None)

    def make(run_status: RunStatus, code: int | None, error: str | None,
             recovered: str | None, when: datetime | None = None,
             note: str | None = None) -> Settlement:
        return Settlement(run_status, code, error, recovered, when,
                          record.state if record else (said.value if said else None),
                          node, record.elapsed_seconds if record else None,
                          parse_time(status.started_at), note)

    recorded = evidence.recorded(paths)
    if recorded is not None:  # the supervisor stopped the simulator on a signal from Slurm
        outcome, completed = recorded
        when = datetime.fromisoformat(completed) if completed else None
        if not cancelled and by_slurm in ENDING_TEXT:
            assert by_slurm is not None
            return make(by_slurm, outcome.exit_code,
                        f"{ENDING_TEXT[by_slurm]}; the partial results are kept", how, when,
                        outcome.note)
        if not cancelled and by_slurm == RunStatus.CANCELLED:
            return make(RunStatus.CANCELLED, outcome.exit_code,
                        "cancelled in Slurm (scancel outside fusion-tui)", how, when,
                        outcome.note)
        return make(RunStatus(outcome.status), outcome.exit_code, outcome.error,
                    "; ".join(notes) or None, when, outcome.note)
    if cancelled and not status.written:
        return make(RunStatus.CANCELLED, None, None, "cancelled before the job started")
    if not cancelled and by_slurm in ENDING_TEXT:
        assert by_slurm is not None
        tail = evidence.last_line(paths.log)
        return make(by_slurm, None,
                    f"{ENDING_TEXT[by_slurm]}; its supervisor was stopped with it"
                    + (f"; last log line: {tail}" if tail else ""), how)
    code_and_error = evidence.exit_status(paths)
    tracker = progress_of(paths)
    tracker.poll()
    progress = tracker.state
    if code_and_error is not None or progress.finished:
        code, spawn_error = code_and_error or (None, None)
        outcome = evidence.ended(paths, code=code, spawn_error=spawn_error,
                                 cancelled=cancelled, progress=progress)
        return make(RunStatus(outcome.status), outcome.exit_code, outcome.error,
                    "its supervisor ended before recording the outcome; taken from the "
                    "simulator's exit status or progress file")
    # From here on only Slurm's account is left. Its exit code is the job's, that is its
    # batch script's (our supervisor's, 0:9 when it was killed), never the simulator's:
    # the message gives it as the job's, and the run records no exit code.
    if record is not None:
        if not status.written and by_slurm == RunStatus.CANCELLED and not record.elapsed_seconds:
            # Cancelled while it waited (scancel by the user, an admin, a reservation):
            # nothing ran, so nothing could reach the folder; no filesystem is to blame.
            return make(RunStatus.CANCELLED, None, None if cancelled else
                        f"{_how(record)} before it started (cancelled outside fusion-tui)",
                        "settled from Slurm's account")
        if not status.written:
            detail = (f"{_how(record)}, but nothing of it reached the run folder {paths.root}: "
                      "the runs folder must be on a filesystem the compute nodes share")
            return make(RunStatus.CANCELLED if cancelled else RunStatus.FAILED,
                        None, detail, "settled from Slurm's account")
        final = RunStatus.CANCELLED if cancelled else by_slurm or RunStatus.FAILED
        tail = evidence.last_line(paths.log)
        error = (f"its supervisor ended without recording the outcome; {_how(record)}"
                 + (f"; last log line: {tail}" if tail else ""))
        # A job Slurm calls COMPLETED is held to the same rule as an exit status of 0.
        # Slurm's exit code is the batch script's (our supervisor's), not the simulator's.
        held = evidence.held(final.value, error, paths, progress)
        why = f" ({'; '.join(notes)})" if notes else ""  # e.g. sacct had not caught up
        return make(RunStatus(held.status), held.exit_code, held.error,
                    f"settled from Slurm's account{why}")
    if now - left_queue_at < PATIENCE:
        return None
    return make(RunStatus.CANCELLED if cancelled else RunStatus.FAILED, None,
                f"lost: Slurm job {job_id or '?'} left the queue and the run folder has no "
                f"outcome; {'; '.join(notes)}", "nothing recorded it")
