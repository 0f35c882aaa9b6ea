"""Start a run's supervisor as a detached process on this machine.

The supervisor is a session leader of its own (no controlling terminal, so no SIGHUP
when an SSH connection drops) and outlives whoever started it. Whoever starts one first
takes the run's supervisor lock and hands the locked descriptor to it. The local executor
starts supervisors this way, and so do a supervisor and a waiter that find a run whose
supervisor died (standard library and `base` only: a supervisor stays small). A recorder
helper that starts a queued run also hands the new supervisor a warm helper of its own
(`base/recorder_handover.py`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.recorder_handover import FLAG, RecorderHandover
from fusion_tui.base.rundir import RunPaths

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def start_supervisor(paths: RunPaths, run_id: str, lock_fd: int, *, adopt: bool,
                     env: dict[str, str], handover: RecorderHandover | None = None) -> int:
    """Spawn a detached supervisor that inherits `lock_fd`; returns its pid.

    `env` is the environment to give it (settings as `FUSION_TUI_*` variables); the
    markers of other roles are taken out and the supervisor's own put in. With
    `handover` (a recorder helper starting a queued run) it is given the pipes of the
    helper that will be forked for it, and not reaped by a thread here: the recorder
    forks that helper next and must have no other thread then (the kernel gives the
    supervisor to a subreaper once the short-lived recorder has ended).
    """
    env = {k: v for k, v in env.items() if k not in procs.MARKERS}
    env[procs.SUPERVISOR_MARKER] = run_id
    path = env.get("PYTHONPATH")
    if _PACKAGE_PARENT not in (path or "").split(os.pathsep):
        env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
    args = ["--lock-fd", str(lock_fd), *(["--adopt"] if adopt else []), str(paths.root), run_id]
    log = os.open(paths.supervisor_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                  | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    ends: tuple[int, int] | None = None
    try:
        if handover is not None:
            ends = handover.offer(log)
            args[:0] = [FLAG, f"{ends[0]},{ends[1]}"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.supervisor", *args],
            cwd=paths.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True, pass_fds=(lock_fd, *(ends or ())),
        )
    except BaseException:
        if handover is not None and ends is not None:
            handover.withdraw(ends)
        raise
    finally:
        os.close(log)
    if ends is not None:
        for fd in ends:
            os.close(fd)
    else:  # reap it when it ends, so a long-lived app collects no zombies
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
