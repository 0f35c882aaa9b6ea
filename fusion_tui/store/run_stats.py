"""Run statistics from the counts and durations the store's statements return
(`runs_repo.stats_statements`), for `RunStore.stats` and the quick read path alike."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fusion_tui.store.status import RunStatus

FAILURES = (RunStatus.FAILED, RunStatus.TIMEOUT, RunStatus.OUT_OF_MEMORY, RunStatus.NODE_FAIL)


@dataclass(frozen=True)
class RunStats:
    counts: dict[str, int]
    total: int
    success_rate: float | None
    mean_duration: float | None
    median_duration: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "total": self.total,
            "success_rate": self.success_rate,
            "mean_duration_seconds": self.mean_duration,
            "median_duration_seconds": self.median_duration,
        }


def status_counts(rows: Iterable[tuple[Any, Any]]) -> dict[str, int]:
    """Runs per status, every status named (0 for none)."""
    counts = {status.value: 0 for status in RunStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def run_stats(counts: dict[str, int], durations: Sequence[Any]) -> RunStats:
    """From runs per status and the durations of completed runs. Success rate is
    COMPLETED / (COMPLETED + FAILED + TIMEOUT + OUT_OF_MEMORY + NODE_FAIL): cancelled and
    preempted runs were stopped by a decision (a user's, the cluster's), not by the
    run's own fault."""
    ended = sum(counts[s] for s in (RunStatus.COMPLETED, *FAILURES))
    seconds = [float(x) for x in durations]
    return RunStats(
        counts=counts,
        total=sum(counts.values()),
        success_rate=(counts[RunStatus.COMPLETED] / ended) if ended else None,
        mean_duration=statistics.fmean(seconds) if seconds else None,
        median_duration=statistics.median(seconds) if seconds else None,
    )
