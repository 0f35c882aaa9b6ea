"""What the run list asks the store for: filters and order, as a plain value that screens
can hold and change without importing the database layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fusion_tui.store.status import RunStatus

SORTABLE_COLUMNS = ("created_at", "started_at", "completed_at", "name", "status", "template", "id",
                    "result_blocking")


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list and in what order; text matches id, name or template; `owner`
    None means everyone's (a run with no recorded owner is listed for every owner);
    `sweep_id` keeps one sweep's runs (an expanded sweep of the grouped run list)."""

    statuses: frozenset[RunStatus] = frozenset()
    text: str = ""
    owner: str | None = None
    sweep_id: str | None = None
    order_by: str = "created_at"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.order_by not in SORTABLE_COLUMNS:
            raise ValueError(f"cannot sort by {self.order_by!r}; use one of {SORTABLE_COLUMNS}")


@dataclass(frozen=True)
class Entry:
    """One entry of the run list grouped by sweep: a run of no sweep, or a sweep."""

    id: str
    is_sweep: bool


@dataclass(frozen=True)
class SweepEntry:
    """A sweep's runs that match the run list's query, summed up for its row."""

    sweep_id: str
    name: str | None
    template: str
    executor: str
    owner: str | None
    counts: dict[str, int]  # status -> runs
    fraction: float  # as a sweep's progress counts it: a COMPLETED run whole
    started_at: datetime | None  # its first run's start
    completed_at: datetime | None  # its last run's end, once every run has ended
    best_blocking: float | None  # the lowest cached blocking of its runs
    unread: int = 0  # finished runs whose result files nobody has read yet

    @property
    def total(self) -> int:
        return sum(self.counts.values())
