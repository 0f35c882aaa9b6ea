"""The run list's result of a run: the mean blocking at its last load with its interval,
computed once from its result files as a comparison of that run alone computes it, then
cached in the store (`store.result_cache`).

Runs finished before the cache existed are filled lazily, as the run list (the app's
worker, `fusion-tui runs`) meets them. A run whose folder holds no result is marked so
and never read again; a folder closed to us (another user's) is left for its owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fusion_tui.base.rundir import folder_readable
from fusion_tui.comparison.compare import load_runs, run_point
from fusion_tui.store.models import Run
from fusion_tui.store.result_cache import CachedResult
from fusion_tui.store.runs_repo import RunStore

# Request blocking: the comparison's default, and the main metric of every kind of run
# (the built-in's and FUSION's `blocking_mean`).
METRIC = "blocking"
# Runs read per pass: a pass never holds up the list for long, however many old runs wait.
BATCH = 50


def last_load_result(run: Run) -> CachedResult | None:
    """The run's mean blocking at the highest load it has a result for (a failed or
    cancelled run's partial results count), with its interval over iterations; where
    those are not kept, the interval the simulator wrote itself. None without results."""
    (data,) = load_runs([run])
    if not data.results:
        return None
    top = max(data.results)
    point = run_point(data, top, METRIC)
    if point is None:
        return None
    low, high = point.summary.low, point.summary.high
    own = data.results[top].intervals.get(METRIC)
    if (low is None or high is None) and own is not None:
        low, high = own
    return CachedResult(top, point.summary.mean, low, high)


class ResultFiller:
    """Reads the result files of finished runs that nobody has read yet, and caches what
    it finds (or that there is nothing) in the store."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._closed: set[str] = set()  # folders closed to us: not asked about again

    @property
    def closed(self) -> frozenset[str]:
        """Runs whose folders are closed to us (another user's): left for their owner."""
        return frozenset(self._closed)

    def fill(self, run_ids: Sequence[str] = (), sweep_ids: Sequence[str] = (), *,
             limit: int = BATCH) -> int:
        """Fill up to `limit` of those among `run_ids` and the runs of `sweep_ids`;
        how many were filled (0: nothing was left to do)."""
        waiting = self.store.runs_needing_results(run_ids, sweep_ids,
                                                  limit=limit + len(self._closed))
        found: dict[str, CachedResult | None] = {}
        for run in waiting:
            if len(found) == limit:
                break
            if run.id in self._closed:
                continue
            if not folder_readable(Path(run.run_dir)):
                self._closed.add(run.id)
                continue
            found[run.id] = last_load_result(run)
        if found:
            self.store.store_results(found)
        return len(found)
