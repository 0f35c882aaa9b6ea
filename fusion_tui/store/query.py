"""What the run list asks the store for: filters and order, as a plain value that screens
can hold and change without importing the database layer."""

from __future__ import annotations

from dataclasses import dataclass

from fusion_tui.store.status import RunStatus

SORTABLE_COLUMNS = ("created_at", "started_at", "completed_at", "name", "status", "template", "id")


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list and in what order; text matches id, name or template; `owner`
    None means everyone's (a run with no recorded owner is listed for every owner)."""

    statuses: frozenset[RunStatus] = frozenset()
    text: str = ""
    owner: str | None = None
    order_by: str = "created_at"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.order_by not in SORTABLE_COLUMNS:
            raise ValueError(f"cannot sort by {self.order_by!r}; use one of {SORTABLE_COLUMNS}")
