"""Process identity and group signalling.

A pid alone is not an identity: after a reboot or a long time it names another program.
We always pair it with the process start time psutil reports, and never signal a pid
whose start time differs.
"""

from __future__ import annotations

import os
import signal

import psutil

START_TIME_TOLERANCE = 0.05


def start_time(pid: int) -> float | None:
    """Start time of `pid` (seconds since the epoch), None when there is no such process."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def is_same_process(pid: int | None, started: float | None) -> bool:
    """True when `pid` is alive, not a zombie, and started at `started`."""
    if not pid or started is None:
        return False
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - started) > START_TIME_TOLERANCE:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def signal_process(pid: int | None, started: float | None, sig: int) -> bool:
    """Send `sig` to `pid` only if it is still the process we recorded."""
    if pid is None or not is_same_process(pid, started):
        return False
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if os.getpgid(proc.info["pid"]) == pgid:
                members.append(proc.info["pid"])
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return members


def signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


class TreeSampler:
    """CPU% and memory of a process and its descendants, sampled repeatedly.

    psutil measures CPU% between two calls on the same Process object, so the
    objects are kept from one sample to the next.
    """

    def __init__(self, pid: int, started: float | None) -> None:
        self.pid, self.started = pid, started
        self._procs: dict[int, psutil.Process] = {}

    def sample(self) -> tuple[float, int, int] | None:
        """(cpu percent, resident bytes, process count), or None when the run is gone."""
        if not is_same_process(self.pid, self.started):
            return None
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        cpu, rss, alive = 0.0, 0, {}
        for proc in tree:
            known = self._procs.get(proc.pid, proc)
            try:
                cpu += known.cpu_percent(None)
                rss += known.memory_info().rss
                alive[proc.pid] = known
            except psutil.Error:
                continue
        self._procs = alive
        return cpu, rss, len(alive)
