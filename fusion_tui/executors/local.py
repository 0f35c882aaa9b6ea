"""The local executor: starts a run's detached supervisor on this machine.

The supervisor is a session leader of its own (no controlling terminal, so no SIGHUP
when an SSH connection drops) and outlives whoever started it. Whoever starts one first
takes the run's supervisor lock and hands the locked descriptor to it. This is the seam
where a Slurm executor will later submit a job instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def start_supervisor(paths: RunPaths, run_id: str, lock_fd: int, *, adopt: bool,
                     env: dict[str, str]) -> int:
    """Spawn a detached supervisor that inherits `lock_fd`; returns its pid.

    `env` is the environment to give it (settings as `FUSION_TUI_*` variables); the
    markers of other roles are taken out and the supervisor's own put in.
    """
    env = {k: v for k, v in env.items() if k not in procs.MARKERS}
    env[procs.SUPERVISOR_MARKER] = run_id
    path = env.get("PYTHONPATH")
    if _PACKAGE_PARENT not in (path or "").split(os.pathsep):
        env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
    args = ["--lock-fd", str(lock_fd), *(["--adopt"] if adopt else []), str(paths.root), run_id]
    log = os.open(paths.supervisor_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                  | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.supervisor", *args],
            cwd=paths.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True, pass_fds=(lock_fd,),
        )
    finally:
        os.close(log)
    # Reap it when it ends, so a long-lived app collects no zombies.
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc.pid


def adopt_if_orphaned(paths: RunPaths, run_id: str, env: dict[str, str]) -> int | None:
    """If no supervisor holds the run's lock, start one that adopts the run; its pid, or
    None when the run has a supervisor. OSError when the lock or process cannot be had."""
    fd = lock.take(paths.lock)
    if fd is None:
        return None
    try:
        return start_supervisor(paths, run_id, fd, adopt=True, env=env)
    finally:
        os.close(fd)


class LocalExecutor:
    """Start supervisors as detached local processes."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def supervisor_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSION_TUI_")}
        env.update(self._settings.to_env())
        return env

    def start(self, run_id: str, paths: RunPaths) -> tuple[int, float]:
        """Lock the run and spawn its supervisor; returns its pid and start time.

        Raises OSError when the run folder cannot be locked or the process not started.
        """
        fd = lock.take(paths.lock)
        if fd is None:
            raise OSError(f"run {run_id} already has a supervisor")
        try:
            _register(paths)
            pid = start_supervisor(paths, run_id, fd, adopt=False, env=self.supervisor_env())
        finally:
            os.close(fd)
        return pid, procs.start_time(pid) or 0.0

    def adopt(self, run_id: str, paths: RunPaths, lock_fd: int) -> int:
        """Start a supervisor that adopts a run whose supervisor is gone (we hold its lock)."""
        _register(paths)
        return start_supervisor(paths, run_id, lock_fd, adopt=True, env=self.supervisor_env())


def _register(paths: RunPaths) -> None:
    """Enter the run in the runs folder's register, where live supervisors look for
    runs whose supervisor died."""
    entry = paths.active_entry
    entry.parent.mkdir(exist_ok=True)
    entry.touch()
