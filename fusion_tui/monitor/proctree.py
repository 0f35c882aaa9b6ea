"""CPU and memory of a run's process tree, for the detail screen (psutil measures both)."""

from __future__ import annotations

import psutil

from fusion_tui.base.procs import is_same_process


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
