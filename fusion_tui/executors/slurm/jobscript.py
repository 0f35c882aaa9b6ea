"""The job script of a run: written into its folder (frozen, like `config.ini`) and
submitted as it is, so what Slurm ran can always be read back.

Its payload is our supervisor, started with `exec` so that it IS the batch script:
Slurm signals the batch script (scancel with proctrack/cgroup, `--signal=B:...`), and the
supervisor then stops the simulator's group as it does locally. The settings travel as
exported variables, the same Python and fusion-tui installation as the submitting user's.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from fusion_tui.config.errors import ConfigError
from fusion_tui.executors.slurm.options import SlurmOptions
from fusion_tui.runs.rundir import RunPaths

JOB_SCRIPT = "job.sh"
JOB_LOG = "slurm-%j.out"
TIME_LIMIT_SIGNAL = "USR1"


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


def render(run_id: str, name: str | None, paths: RunPaths, options: SlurmOptions, *,
           warning_seconds: int, env: Mapping[str, str], python: str,
           package_parent: str) -> str:
    """The whole job script."""
    root = str(paths.root)
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={job_name(run_id, name)}",
        f"#SBATCH --chdir={_sbatch_value(root, 'the run folder')}",
        f"#SBATCH --output={_sbatch_value(str(paths.logs / JOB_LOG), 'the run folder')}",
        "#SBATCH --open-mode=append",
    ]
    if warning_seconds > 0:
        lines.append(f"#SBATCH --signal=B:{TIME_LIMIT_SIGNAL}@{warning_seconds}")
    lines += [f"#SBATCH {_sbatch_value(opt, 'sbatch option')}"
              for opt in options.sbatch_options()]
    lines += [
        f"# fusion-tui run {run_id}: the job's payload is the run's supervisor. Written once,",
        "# when the run was submitted; the run's own files are in this folder.",
    ]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    lines.append(f"export PYTHONPATH={shlex.quote(package_parent)}${{PYTHONPATH:+:$PYTHONPATH}}")
    lines.append(f"exec {shlex.quote(python)} -m fusion_tui.runs.supervisor --slurm "
                 f"{shlex.quote(root)} {shlex.quote(run_id)}")
    return "\n".join(lines) + "\n"


def script_path(paths: RunPaths) -> Path:
    return paths.root / JOB_SCRIPT
