"""How far a sweep is: counts by status, overall fraction and an ETA.

The ETA extrapolates the sweep's own pace (work done since its first run started), so
it accounts for however many runs go at once, locally or on a cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow

if TYPE_CHECKING:
    from fusion_tui.store.run_row import AnyRun


@dataclass(frozen=True)
class SweepProgress:
    counts: dict[str, int]
    total: int
    finished: int
    fraction: float
    eta_seconds: float | None

    @property
    def done(self) -> bool:
        return self.total > 0 and self.finished == self.total

    def counts_text(self) -> str:
        order = [s.value for s in RunStatus]
        return ", ".join(f"{self.counts[s]} {s}" for s in order if self.counts.get(s))


def sweep_progress(runs: Sequence[AnyRun], now: datetime | None = None) -> SweepProgress:
    """Progress of a sweep's current runs (one per point)."""
    now = now or utcnow()
    counts = Counter(r.status for r in runs)
    finished = sum(n for s, n in counts.items() if RunStatus(s) in FINISHED_STATUSES)
    # A completed run counts whole; one that ended otherwise counts the part it did (a
    # sweep whose runs were cancelled early is not "100%").
    parts = [1.0 if r.run_status == RunStatus.COMPLETED else (r.fraction_done or 0.0)
             for r in runs]
    fraction = sum(parts) / len(parts) if parts else 0.0
    starts = [r.started_at for r in runs if r.started_at is not None]
    eta: float | None = None  # none once nothing is left to run
    if finished < len(runs) and starts and fraction > 0:
        elapsed = (now - min(starts)).total_seconds()
        eta = max(0.0, elapsed * (1 - fraction) / fraction)
    return SweepProgress(dict(counts), len(runs), finished, fraction, eta)
