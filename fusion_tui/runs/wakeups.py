"""Starting a timer (`runs/timer.py`) for queued runs due at a later time: a detached
process of its own session, so it outlives the command or app that made the runs; and
finding and ending this user's timers (one whose runs were all cancelled would otherwise
sleep until their time for nothing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fusion_tui.base import procs
from fusion_tui.base.ids import is_run_id
from fusion_tui.base.rundir import RunPaths

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
MODULE = "fusion_tui.runs.timer"


@dataclass(frozen=True)
class Timer:
    """A live timer of this user's: its identity (for a verified signal) and its runs."""

    pid: int
    started: float
    mark: bytes
    run_ids: tuple[str, ...]


def timers() -> list[Timer]:
    """This user's live timers, with the run ids their command lines name."""
    found = []
    for pid, started, mark, argv in procs.setting(procs.TIMER_MARKER):
        if MODULE in argv:
            ids = tuple(a for a in argv[argv.index(MODULE) + 2:] if is_run_id(a))
            found.append(Timer(pid, started, mark, ids))
    return found


def end_timer(timer: Timer) -> bool:
    """SIGTERM to `timer`, verified to be that process; True when it was sent."""
    return procs.signal_verified(timer.pid, signal.SIGTERM, timer.mark, timer.started)


def start_timer(at: datetime, run_ids: Sequence[str], paths: RunPaths,
                env: Mapping[str, str]) -> int:
    """Spawn the timer for `run_ids` due at `at` (naive UTC), logging into the first run's
    supervisor.log; `env` carries the settings (`FUSION_TUI_*`). Returns its pid."""
    child = {k: v for k, v in env.items() if k not in procs.MARKERS}
    child[procs.TIMER_MARKER] = run_ids[0]
    path = child.get("PYTHONPATH")
    if _PACKAGE_PARENT not in (path or "").split(os.pathsep):
        child["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
    log = os.open(paths.supervisor_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                  | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", MODULE, at.isoformat(), *run_ids],
            cwd=paths.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=child, start_new_session=True, close_fds=True)
    finally:
        os.close(log)
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc.pid
