"""The job script of a run: written into its folder (frozen, like `config.ini`) and
submitted as it is, so what Slurm ran can always be read back.

Its payload is our supervisor, started with `exec` so that it IS the batch script:
Slurm signals the batch script (scancel with proctrack/cgroup, `--signal=B:...`), and the
supervisor then stops the simulator's group as it does locally. The settings travel as
exported variables, the same Python and fusion-tui installation as the submitting user's.
The script also translates Slurm's environment (job id, restart count) and the time
limit asked into the variables the supervisor reads (`base/batchjob.py`): the supervisor
knows a batch job, not Slurm.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from fusion_tui.base import batchjob
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.slurm.options import SlurmOptions
from fusion_tui.store.status import to_local

JOB_SCRIPT = "job.sh"
JOB_LOG = "slurm-%j.out"
ARRAY_LOG = "slurm-%A_%a.out"  # the task's id as squeue shows it: <array job>_<task>
REQUEST = "slurm.json"  # what was asked of Slurm (options, warning), frozen at submission
# Who may stop a job by signal, as the supervisor's message says it.
STOP_CAUSES = "scancel, preemption, a requeue or the time limit"
# The job's id as squeue shows it: a job's, or an array task's `<array job>_<task>`.
_JOB_ID = '"${SLURM_JOB_ID:-?}"'
_TASK_ID = '"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"'


def job_name(run_id: str, name: str | None) -> str:
    """`ft-<id>` plus the run's name reduced to characters that are safe anywhere."""
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "_", name or "").strip("_")[:40]
    return f"ft-{run_id}" + (f"-{tail}" if tail else "")


def _sbatch_value(value: str, what: str) -> str:
    """A value on an `#SBATCH` line: quoted when it has spaces; no quotes or line breaks."""
    if any(ch in value for ch in "\"\n\r\0"):
        raise ConfigError(f"{what} {value!r}: a path for Slurm must not contain quotes or "
                          "line breaks")
    return f'"{value}"' if any(ch.isspace() for ch in value) else value


def timing(after_jobs: Sequence[str], begin: datetime | None) -> tuple[str, ...]:
    """`#SBATCH` lines that hold a job until `after_jobs` have COMPLETED (Slurm's
    `afterok`) and until `begin` (naive UTC; written in local time, as sbatch reads it)."""
    lines = []
    if after_jobs:
        lines.append(f"#SBATCH --dependency=afterok:{':'.join(after_jobs)}")
    if begin is not None:
        local = to_local(begin).replace(tzinfo=None, microsecond=0)
        lines.append(f"#SBATCH --begin={local.isoformat()}")
    return tuple(lines)


def _header(name: str, chdir: str, output: str, options: SlurmOptions,
            warning_seconds: int, extra: tuple[str, ...] = ()) -> list[str]:
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={name}",
        *extra,
        f"#SBATCH --chdir={_sbatch_value(chdir, 'the run folder')}",
        f"#SBATCH --output={_sbatch_value(output, 'the run folder')}",
        "#SBATCH --open-mode=append",
    ]
    if warning_seconds > 0:
        lines.append(f"#SBATCH --signal=B:{batchjob.WARNING_SIGNAL}@{warning_seconds}")
    lines += [f"#SBATCH {_sbatch_value(opt, 'sbatch option')}"
              for opt in options.sbatch_options()]
    return lines


def _environment(env: Mapping[str, str], package_parent: str) -> list[str]:
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    lines.append(f"export PYTHONPATH={shlex.quote(package_parent)}${{PYTHONPATH:+:$PYTHONPATH}}")
    return lines


def _job(options: SlurmOptions, warning_seconds: int, job_id: str) -> list[str]:
    """Slurm's environment and the time limit asked, as the supervisor reads them."""
    fixed = {batchjob.SCHEDULER: "Slurm", batchjob.STOP_CAUSES: STOP_CAUSES,
             batchjob.WARNING_SECONDS: str(warning_seconds)}
    if options.time:
        fixed[batchjob.TIME_LIMIT] = options.time
    if (seconds := options.time_limit_seconds) is not None:
        fixed[batchjob.TIME_LIMIT_SECONDS] = str(seconds)
    lines = [f"export {key}={shlex.quote(value)}" for key, value in fixed.items()]
    return [*lines, f"export {batchjob.JOB_ID}={job_id}",
            f"export {batchjob.ATTEMPT}=$(( ${{SLURM_RESTART_COUNT:-0}} + 1 ))"]


def _supervisor(python: str, run: str, run_id: str) -> str:
    return f"exec {shlex.quote(python)} -m fusion_tui.runs.supervisor {batchjob.JOB_FLAG} " \
        f"{run} {run_id}"


def render(run_id: str, name: str | None, paths: RunPaths, options: SlurmOptions, *,
           warning_seconds: int, env: Mapping[str, str], python: str,
           package_parent: str, when: tuple[str, ...] = ()) -> str:
    """The whole job script (`when`: the `timing` lines, if it waits)."""
    root = str(paths.root)
    lines = _header(job_name(run_id, name), root, str(paths.logs / JOB_LOG), options,
                    warning_seconds, when)
    lines += [
        f"# fusion-tui run {run_id}: the job's payload is the run's supervisor. Written once,",
        "# when the run was submitted; the run's own files are in this folder.",
    ]
    lines += _environment(env, package_parent)
    lines += _job(options, warning_seconds, _JOB_ID)
    lines.append(_supervisor(python, shlex.quote(root), shlex.quote(run_id)))
    return "\n".join(lines) + "\n"


def render_array(sweep_id: str, name: str | None, folder: Path,
                 tasks: Sequence[tuple[str, Path]], options: SlurmOptions, *,
                 limit: int | None, warning_seconds: int, env: Mapping[str, str],
                 marker: str, python: str, package_parent: str,
                 when: tuple[str, ...] = ()) -> str:
    """One job array for many runs: task i is the supervisor of `tasks[i]`.

    `folder/tasks/<i>` is a link to run i's folder, so Slurm's `%a` in the output path
    puts each task's output into its own run's `logs/` (where `settle` reads it).
    """
    spec = f"0-{len(tasks) - 1}" + (f"%{limit}" if limit else "")
    output = str(folder / "tasks" / "%a" / "logs" / ARRAY_LOG)
    lines = _header(job_name(sweep_id, name), str(folder), output, options, warning_seconds,
                    (f"#SBATCH --array={spec}", *when))
    lines += [
        f"# fusion-tui sweep {sweep_id}: array task i is the supervisor of the i-th run below.",
        "# Written once, when the runs were submitted.",
    ]
    lines += _environment(env, package_parent)
    lines += _job(options, warning_seconds, _TASK_ID)
    lines.append('case "$SLURM_ARRAY_TASK_ID" in')
    lines += [f"  {i}) run={shlex.quote(str(root))}; id={shlex.quote(run_id)} ;;"
              for i, (run_id, root) in enumerate(tasks)]
    lines.append('  *) echo "fusion-tui: no run for array task $SLURM_ARRAY_TASK_ID" >&2; '
                 "exit 1 ;;")
    lines.append("esac")
    lines.append(f'export {marker}="$id"')
    lines.append('cd "$run" || exit 1')
    lines.append(_supervisor(python, '"$run"', '"$id"'))
    return "\n".join(lines) + "\n"


def script_path(paths: RunPaths) -> Path:
    return paths.root / JOB_SCRIPT


def request_path(paths: RunPaths) -> Path:
    return paths.root / REQUEST
