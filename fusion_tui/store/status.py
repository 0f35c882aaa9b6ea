"""Run statuses, the clock every timestamp uses, and overall progress from the progress
cache: plain Python, so the app's first frame can use them before SQLAlchemy loads."""

from __future__ import annotations

import enum
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time as naive UTC, the form every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(value: datetime) -> datetime:
    """`value` as a timestamp column holds it: naive UTC (a naive one already is)."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


class RunStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # A batch scheduler's own endings (a batch job's outcome that is none of the above):
    TIMEOUT = "TIMEOUT"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    NODE_FAIL = "NODE_FAIL"
    PREEMPTED = "PREEMPTED"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES


FINISHED_STATUSES = frozenset(RunStatus) - {RunStatus.PENDING, RunStatus.RUNNING}
# Endings a retry or restart is for: the run did not get to finish its work.
UNSUCCESSFUL_STATUSES = FINISHED_STATUSES - {RunStatus.COMPLETED}


def fraction_done(status: str, erlang_index: int | None, total_erlangs: int | None,
                  iteration: int | None, total_iterations: int | None) -> float | None:
    """Overall progress in [0, 1] from the progress cache, None when unknown."""
    if status == RunStatus.COMPLETED:
        return 1.0
    if not total_erlangs or not total_iterations:
        return None
    done = (erlang_index or 0) * total_iterations + (iteration or 0)
    return max(0.0, min(1.0, done / (total_erlangs * total_iterations)))


def to_local(value: datetime) -> datetime:
    """A stored (naive UTC) time in the local zone, zone attached (TZ is honoured)."""
    return value.replace(tzinfo=UTC).astimezone()


def iso_local(value: datetime | None) -> str | None:
    """ISO 8601 in the local zone with its offset: `2026-11-23T22:00:00+09:00`."""
    return to_local(value).isoformat() if value is not None else None


def local_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S %Z") -> str:
    """A stored time for people: local clock time (and, by default, the zone's name)."""
    return to_local(value).strftime(fmt) if value is not None else "-"
