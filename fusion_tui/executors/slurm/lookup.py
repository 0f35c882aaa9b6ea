"""Find a run's Slurm job by its name, for a run whose job id was never recorded.

sbatch answers with the job id and the command that asked records it; a command killed
between the two leaves a job in Slurm and a run without its id (`SUBMITTING`). The job's
name (`ft-<run id>-...`, a sweep's `ft-<sweep id>-...` for a job array) and its working
directory (the run's folder, or the array's) are in the frozen script, so the job can be
found again. Only the calling user's jobs are asked for, and a job counts only when its
name AND its working directory match: a job of the same name from another store (a
copied database, another login node's runs folder) is never taken or cancelled.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.base.safefile import read_text
from fusion_tui.executors.slurm.commands import NamedJob, QueueEntry, SlurmClient
from fusion_tui.executors.slurm.jobscript import request_path
from fusion_tui.store.models import Run

_NAME = re.compile(r"^#SBATCH --job-name=(\S+)$", re.M)
_CHDIR = re.compile(r"^#SBATCH --chdir=(.+)$", re.M)
_TASK = r"^\s*(\d+)\) run=.*; id={run_id} ;;$"
# sacct's time window starts this long before the run was made (clocks of the login node
# and the controller may differ).
_CLOCK_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Submission:
    """How a run's job was submitted, as its frozen script says."""

    name: str
    workdir: str
    task: int | None  # the run's task in a job array


@dataclass(frozen=True)
class Found:
    """A run's job: its id (`<array>_<task>` for a task), its state, and its queue entry
    while it is still queued."""

    job_id: str
    state: str
    entry: QueueEntry | None


@dataclass
class Lookup:
    """What a lookup found, the job name of every run asked about, and what it could not
    tell (accounting off)."""

    found: dict[str, Found] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def current_user() -> str:
    """The user whose jobs these are: the one running this process (who ran sbatch)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def submission(paths: RunPaths, run_id: str) -> Submission | None:
    """The name, working directory (and array task) of a run's job, from the job script
    frozen in its folder (or the sweep's array script that slurm.json names); None when
    it cannot be read."""
    frozen = read_json(request_path(paths)) or {}
    array = frozen.get("array_script")
    script = Path(array) if isinstance(array, str) else paths.job_script
    try:
        text = read_text(script, 1 << 20)
    except (OSError, UnicodeDecodeError):
        return None
    name, chdir = _NAME.search(text), _CHDIR.search(text)
    if name is None or chdir is None:
        return None
    task = None
    if isinstance(array, str):
        found = re.search(_TASK.format(run_id=re.escape(run_id)), text, re.M)
        if found is None:
            return None
        task = int(found.group(1))
    return Submission(name.group(1), chdir.group(1).strip().strip('"'), task)


def _same_folder(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _job_of(sub: Submission, job: NamedJob) -> str | None:
    """The run's job id if `job` is the run's job (or its array), else None."""
    if job.name != sub.name or not _same_folder(job.workdir, sub.workdir):
        return None
    array, _, task = job.job_id.partition("_")
    if sub.task is None:
        return job.job_id if not task else None
    if task == str(sub.task):
        return job.job_id
    # An array sacct has not split into tasks (`<id>_[0-11%2]`): the task's id is known.
    return f"{array}_{sub.task}" if task.startswith("[") else None


def _match(wanted: dict[str, Submission], jobs: list[NamedJob], lookup: Lookup) -> None:
    for run_id, sub in wanted.items():
        hits = [(job_id, job) for job in jobs if (job_id := _job_of(sub, job)) is not None]
        if hits:  # resubmitted by hand under the same name: the newest is the run's
            job_id, job = max(hits, key=lambda h: [int(p) for p in re.findall(r"\d+", h[0])])
            lookup.found[run_id] = Found(job_id, job.state, job.entry)


def find_jobs(client: SlurmClient, runs: Sequence[Run]) -> Lookup:
    """The jobs of `runs` (runs without a job id): ONE squeue by name, then ONE sacct by
    name for those that have left the queue. SlurmError when Slurm cannot be asked."""
    lookup = Lookup()
    wanted: dict[str, Submission] = {}
    for run in runs:
        sub = submission(RunPaths(Path(run.run_dir)), run.id)
        if sub is not None:
            wanted[run.id] = sub
            lookup.names[run.id] = sub.name
    if not wanted:
        return lookup
    user = current_user()
    _match(wanted, client.find(sorted({s.name for s in wanted.values()}), user), lookup)
    rest = {k: v for k, v in wanted.items() if k not in lookup.found}
    if rest:
        since = min(r.created_at for r in runs if r.id in rest) - _CLOCK_MARGIN
        ended = client.find_ended(sorted({s.name for s in rest.values()}), user, since)
        if ended is None:
            lookup.notes.append("accounting is off, so a job that has already ended "
                                "cannot be found")
        else:
            _match(rest, ended, lookup)
    return lookup
