"""The kinds of entry in a run's audit trail, and what `show` reads from it; free of the
database layer so the quick read path (`store/quick_read.py`) shares them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

from fusion_tui.store.status import RunStatus


class _Event(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def detail(self) -> str | None: ...


class EventKind(enum.StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"
    RECOVERED = "recovered"
    SIGNALLED = "signalled"
    SUBMITTED = "submitted"
    REQUEUED = "requeued"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    NODE_FAIL = "node_fail"
    PREEMPTED = "preempted"
    RESULTS = "results"  # what a bounded copy of FUSION's results left in its folder
    TAGGED = "tagged"  # the user's tags changed (detail: `+a -b`)
    NOTED = "noted"  # the user's note was set or cleared (its text is the run's, not here)


def ending_event(status: RunStatus) -> EventKind:
    """The audit event that records a run ending with `status`."""
    return EventKind(status.value.lower())


def results_note(events: Iterable[_Event]) -> str | None:
    """What a bounded copy of the run's results left behind (its last `results` event):
    `show` and the detail screen say it next to the run's status."""
    notes = [e.detail for e in events if e.kind == EventKind.RESULTS.value and e.detail]
    return notes[-1] if notes else None
