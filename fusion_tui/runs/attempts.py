"""A Slurm job's attempt at a run, seen from inside the job.

Slurm may requeue a job (preemption, node failure, `scontrol requeue`); it then runs
again with the same id and `SLURM_RESTART_COUNT` one higher. Each attempt starts the
simulator afresh, so the previous attempt's status, exit, process and progress files are
moved to `attempts/<n>/` first: kept for the audit trail, never mistaken for this one's.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.runs.background import say

_PER_ATTEMPT = ("status", "exit", "process", "progress")


@dataclass(frozen=True)
class SlurmJobInfo:
    job_id: str
    node: str
    attempt: int
    time_limit: str | None
    stop_at: float | None  # epoch seconds at which to stop before the time limit


def job_id_from(env: Mapping[str, str]) -> str:
    """The job's id as squeue shows it (`123`, or `123_4` for an array task)."""
    array, task = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    if array and task:
        return f"{array}_{task}"
    return env.get("SLURM_JOB_ID", "?")


def begin_attempt(paths: RunPaths, env: Mapping[str, str]) -> SlurmJobInfo:
    """Set the run folder up for this attempt; who and where this job is."""
    restarts = env.get("SLURM_RESTART_COUNT", "0")
    attempt = int(restarts) + 1 if restarts.isdigit() else 1
    previous = read_json(paths.status)
    if previous is not None:
        number = StatusRecord.from_json(previous).attempt
        folder = paths.attempts / str(number if number is not None else attempt - 1)
        folder.mkdir(parents=True, exist_ok=True)
        for name in _PER_ATTEMPT:
            source = getattr(paths, name)
            with contextlib.suppress(FileNotFoundError):
                os.replace(source, folder / source.name)
        say("supervisor", f"attempt {attempt}: the previous attempt's files are in {folder}")
    frozen = read_json(paths.slurm) or {}
    limit = (frozen.get("options") or {}).get("time")
    seconds, warning = frozen.get("time_limit_seconds"), frozen.get("warning_seconds")
    stop_at = None
    if isinstance(seconds, int) and isinstance(warning, int) and seconds > 0:
        stop_at = time.time() + seconds - warning
    return SlurmJobInfo(job_id_from(env), socket.gethostname().split(".", 1)[0], attempt,
                        limit if isinstance(limit, str) else None, stop_at)
