"""Changing the caller's own queue (pause, resume, its limit), one way for every front
end: the change is kept in the store, then whatever now fits is started."""

from __future__ import annotations

from fusion_tui.runs.manager import RunManager
from fusion_tui.store.queue import MAX_PARALLEL
from fusion_tui.store.runs_repo import Queue


def change_queue(manager: RunManager, *, paused: bool | None = None,
                 limit: int | None = None, delta: int = 0) -> Queue:
    """Pause or resume the caller's queue, set its limit, or move the limit by `delta`
    (kept within 1..MAX_PARALLEL); another user's queue is theirs. Unless the queue is
    now paused, its queued runs that fit are started. Returns the queue as it now is."""
    store = manager.store
    if delta:
        limit = max(1, min(MAX_PARALLEL, store.queue().max_concurrent + delta))
    if limit is None and paused is None:
        queue = store.queue()
    else:
        queue = store.set_queue(max_concurrent=limit, paused=paused)
    if not queue.paused:
        manager.schedule()
    return queue
