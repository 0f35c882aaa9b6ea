"""A batch scheduler's job at a run, seen from inside the job, and its attempts.

A scheduler may requeue a job (preemption, node failure, an operator's requeue); it then
runs again with the same id and the next attempt number. Each attempt starts the
simulator afresh, so the previous attempt's status, exit, process and progress files are
moved to `attempts/<n>/` first: kept for the audit trail, never mistaken for this one's.
What the job is comes from the variables its job script sets (`base/batchjob.py`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fusion_tui.base import batchjob
from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.runs.background import say

_PER_ATTEMPT = ("status", "exit", "process", "progress")


@dataclass(frozen=True)
class JobInfo:
    scheduler: str  # its name, as messages say it
    job_id: str
    node: str
    attempt: int
    time_limit: str | None
    stop_at: float | None  # epoch seconds at which to stop before the time limit
    stop_causes: str | None  # who may stop the job by signal, as messages say it


def _seconds(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "")
    return int(value) if value.isdigit() else None


def job_from(env: Mapping[str, str], started: float) -> JobInfo:
    """The job its script describes; `started` is when this attempt began."""
    attempt = _seconds(env, batchjob.ATTEMPT) or 1
    seconds = _seconds(env, batchjob.TIME_LIMIT_SECONDS)
    warning = _seconds(env, batchjob.WARNING_SECONDS)
    stop_at = started + seconds - warning if seconds and warning is not None else None
    return JobInfo(env.get(batchjob.SCHEDULER) or "the batch scheduler",
                   env.get(batchjob.JOB_ID) or "?", os.uname().nodename.split(".", 1)[0],
                   attempt, env.get(batchjob.TIME_LIMIT) or None, stop_at,
                   env.get(batchjob.STOP_CAUSES) or None)


def begin_attempt(paths: RunPaths, env: Mapping[str, str]) -> JobInfo:
    """Set the run folder up for this attempt; who and where this job is."""
    job = job_from(env, time.time())
    previous = read_json(paths.status)
    if previous is not None:
        number = StatusRecord.from_json(previous).attempt
        folder = paths.attempts / str(number if number is not None else job.attempt - 1)
        folder.mkdir(parents=True, exist_ok=True)
        for name in _PER_ATTEMPT:
            source = getattr(paths, name)
            with contextlib.suppress(FileNotFoundError):
                os.replace(source, folder / source.name)
        say("supervisor", f"attempt {job.attempt}: the previous attempt's files are in {folder}")
    return job
