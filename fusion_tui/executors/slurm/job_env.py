"""A job script written by an earlier fusion-tui, run after an upgrade.

Slurm keeps a job's batch script as it was submitted, so a job still queued (or
requeued) when fusion-tui is upgraded runs the script of the version that submitted it.
Scripts written before the supervisor knew a batch job rather than Slurm start it with
`--slurm`; the supervisor hands such a start here (see `runs/supervisor.py`), and this
module translates Slurm's environment and the frozen request (`slurm.json`) into the
variables today's job script sets (`base/batchjob.py`), then becomes the supervisor with
`--job`. Nothing a user queued is lost to an upgrade.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fusion_tui.base import batchjob
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.executors.slurm.jobscript import STOP_CAUSES, request_path


def job_variables(slurm_env: Mapping[str, str], request: Mapping[str, Any]) -> dict[str, str]:
    """What today's job script exports, from Slurm's environment and the frozen request."""
    array, task = slurm_env.get("SLURM_ARRAY_JOB_ID"), slurm_env.get("SLURM_ARRAY_TASK_ID")
    restarts = slurm_env.get("SLURM_RESTART_COUNT", "0")
    found = {
        batchjob.SCHEDULER: "Slurm", batchjob.STOP_CAUSES: STOP_CAUSES,
        batchjob.JOB_ID: f"{array}_{task}" if array and task
        else slurm_env.get("SLURM_JOB_ID") or "?",
        batchjob.ATTEMPT: str(int(restarts) + 1 if restarts.isdigit() else 1),
    }
    options = request.get("options")
    time_limit = options.get("time") if isinstance(options, dict) else None
    for name, value in ((batchjob.TIME_LIMIT, time_limit),
                        (batchjob.TIME_LIMIT_SECONDS, request.get("time_limit_seconds")),
                        (batchjob.WARNING_SECONDS, request.get("warning_seconds"))):
        if isinstance(value, str | int) and not isinstance(value, bool):
            found[name] = str(value)
    return found


def main(argv: list[str]) -> int:
    """`RUN_DIR RUN_ID`: become the supervisor of that run, as today's job script does."""
    if len(argv) != 2:
        print("usage: python -m fusion_tui.executors.slurm.job_env RUN_DIR RUN_ID",
              file=sys.stderr)
        return 2
    run_dir, run_id = argv
    request = read_json(request_path(RunPaths(Path(run_dir)))) or {}
    os.environ.update(job_variables(os.environ, request))
    os.execv(sys.executable, [sys.executable, "-m", "fusion_tui.runs.supervisor",
                              batchjob.JOB_FLAG, run_dir, run_id])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
