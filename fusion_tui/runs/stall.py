"""The one rule for a stalled run, shared by the run list and the run's detail: a
RUNNING run with no sign of life (start, recorded progress, live output) for longer than
`stall_seconds`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fusion_tui.store.status import RunStatus


class Activity(Protocol):
    """What the rule reads of a run (a stored run or a row of the first page)."""

    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def last_progress_at(self) -> datetime | None: ...


def silence(run: Activity, now: datetime, live: datetime | None = None) -> float | None:
    """Seconds since the run's latest sign of life: its start, its last recorded
    progress, or `live` (output seen in its folder since); None before it started."""
    times = [t for t in (run.started_at, run.last_progress_at, live) if t is not None]
    return (now - max(times)).total_seconds() if times else None


def is_stalled(run: Activity, silent: float | None, limit: float) -> bool:
    """True for a RUNNING run silent (see `silence`) for longer than `limit` seconds."""
    return run.status == RunStatus.RUNNING and silent is not None and silent > limit
