"""The local executor: starts a run's detached supervisor on this machine.

The supervisor is a session leader of its own (no controlling terminal, so no SIGHUP
when an SSH connection drops) and outlives whoever started it. This is the seam where a
Slurm executor will later submit a job instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from fusion_tui.runs import procs
from fusion_tui.runs.rundir import RunPaths
from fusion_tui.settings import Settings

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class LocalExecutor:
    """Start supervisors as detached local processes."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def supervisor_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self._settings.to_env())
        path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
        return env

    def start(self, run_id: str, paths: RunPaths) -> tuple[int, float]:
        """Spawn the supervisor of `run_id`; returns its pid and start time."""
        with open(paths.supervisor_log, "ab") as log:
            proc = self._spawn([str(paths.root), run_id], log, cwd=paths.root)
        return proc.pid, procs.start_time(proc.pid) or 0.0

    def escalate(self, pgid: int, leader_pid: int, leader_started: float | None,
                 grace: float) -> None:
        """SIGKILL a group after `grace` seconds, from a detached helper process."""
        self._spawn(["--escalate", str(pgid), str(leader_pid), str(leader_started or 0.0),
                     str(grace)], subprocess.DEVNULL)

    def _spawn(self, args: list[str], out: Any, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.supervisor", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.supervisor_env(),
            start_new_session=True,
            close_fds=True,
        )
        # Reap it when it ends, so a long-lived app collects no zombies.
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
        return proc
