"""Run statuses, the clock every timestamp uses, and overall progress from the progress
cache: plain Python, so the app's first frame can use them before SQLAlchemy loads."""

from __future__ import annotations

import enum
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time as naive UTC, the form every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


class RunStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES


FINISHED_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})


def fraction_done(status: str, erlang_index: int | None, total_erlangs: int | None,
                  iteration: int | None, total_iterations: int | None) -> float | None:
    """Overall progress in [0, 1] from the progress cache, None when unknown."""
    if status == RunStatus.COMPLETED:
        return 1.0
    if not total_erlangs or not total_iterations:
        return None
    done = (erlang_index or 0) * total_iterations + (iteration or 0)
    return max(0.0, min(1.0, done / (total_erlangs * total_iterations)))
