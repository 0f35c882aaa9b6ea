"""What one row of the run list shows, as plain values (comparable, cheap to diff): a run,
or a sweep standing for its runs when the list is grouped by sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fusion_tui.store.result_cache import CachedResult


@dataclass(frozen=True)
class SweepCounts:
    """A sweep's row: its runs (those the list's filters keep) by status, the lowest
    blocking among them, and whether its runs are shown under it."""

    counts: tuple[tuple[str, int], ...]
    best: float | None = None
    expanded: bool = False

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True)
class RowData:
    """Everything shown in one row. For a sweep's row, `run_id` is the sweep's id, `name`
    its name, and status, progress and times sum up its runs."""

    run_id: str
    status: str
    name: str | None
    template: str
    fraction: float | None
    erlang: float | None
    started: datetime | None
    completed: datetime | None
    stalled: bool
    seconds_left: float | None = None
    where: str = "local"  # the executor, and the run's node there once it has one
    owner: str | None = None
    readable: bool = True  # False: the run's folder is closed to us (another user's)
    params: str | None = None  # a sweep's run: its point, compactly (`k=2 ff s=3`)
    sweep_name: str | None = None  # a sweep's run: its sweep's name (its own less its point)
    result: CachedResult | None = None  # mean blocking at its last load, and interval
    reading: bool = False  # finished, its result files not read yet
    sweep: SweepCounts | None = None  # set on a sweep's row
    child: bool = False  # a run shown under its expanded sweep
    waiting: str | None = None  # a queued run's wait in short: `after 1a2b3c`, `at 02:00`

    @property
    def key(self) -> str:
        """The row's key in the table: a sweep's id cannot be taken for a run's."""
        return f"sweep:{self.run_id}" if self.sweep is not None else self.run_id
