"""The domain rules the run list, the detail and the form share: stalled, a run's name,
and changing the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.runs.naming import MAX_NAME, check_name
from fusion_tui.runs.queue import change_queue
from fusion_tui.runs.stall import is_stalled, silence
from fusion_tui.services import Services
from fusion_tui.store.queue import MAX_PARALLEL

NOW = datetime(2026, 1, 1, 12, 0, 0)


@dataclass
class _Run:
    status: str
    started_at: datetime | None
    last_progress_at: datetime | None = None


def test_silence_counts_from_the_latest_sign_of_life() -> None:
    run = _Run("RUNNING", NOW - timedelta(minutes=10), NOW - timedelta(minutes=4))
    assert silence(run, NOW) == 240
    assert silence(run, NOW, live=NOW - timedelta(seconds=5)) == 5
    # A requeued run started again after its last recorded progress.
    assert silence(_Run("RUNNING", NOW - timedelta(minutes=1),
                        NOW - timedelta(minutes=9)), NOW) == 60
    assert silence(_Run("PENDING", None), NOW) is None


def test_only_a_running_run_silent_too_long_is_stalled() -> None:
    running = _Run("RUNNING", NOW - timedelta(minutes=10))
    assert is_stalled(running, 301, 300)
    assert not is_stalled(running, 300, 300)
    assert not is_stalled(running, None, 300)
    assert not is_stalled(_Run("COMPLETED", NOW - timedelta(hours=1)), 3600, 300)


def test_a_name_is_stripped_bounded_and_free_of_control_characters() -> None:
    assert check_name("  k=3  ") == "k=3"
    assert check_name("   ") is None and check_name(None) is None
    assert check_name("x" * MAX_NAME) == "x" * MAX_NAME
    for bad, why in (("x" * (MAX_NAME + 1), "at most"), ("a\x1b[2Jb", "control"),
                     ("a\u200bb", "control"), ("a\x85b", "control")):
        with pytest.raises(ConfigError, match=f"^name: {why}"):
            check_name(bad)


def test_queue_changes_are_kept_and_bounded(services: Services) -> None:
    manager = services.manager
    assert change_queue(manager, paused=True).paused
    queue = change_queue(manager, delta=+3)
    assert queue.paused and queue.max_concurrent == 4
    assert change_queue(manager, delta=-100).max_concurrent == 1
    assert change_queue(manager, limit=MAX_PARALLEL, paused=False) == \
        services.store.queue()
    assert change_queue(manager, delta=+1).max_concurrent == MAX_PARALLEL
    assert change_queue(manager) == services.store.queue()
