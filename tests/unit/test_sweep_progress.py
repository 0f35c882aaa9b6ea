"""A sweep's progress and ETA from its runs (sweeps/progress.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.progress import sweep_progress

NOW = datetime(2026, 12, 7, 12, 0)


def _run(status: RunStatus, iteration: int) -> Run:
    return Run(id=f"{iteration:012x}", status=status.value, total_erlangs=1,
               total_iterations=4, current_erlang_index=0, current_iteration=iteration,
               started_at=NOW - timedelta(minutes=10))


def test_runs_cancelled_early_do_not_make_a_sweep_look_done() -> None:
    """2 completed and 6 cancelled a quarter of the way: 44%, nothing left to wait for."""
    runs = [_run(RunStatus.COMPLETED, 4)] * 2 + [_run(RunStatus.CANCELLED, 1)] * 6
    progress = sweep_progress(runs, NOW)
    assert progress.fraction == (2 + 6 * 0.25) / 8
    assert progress.done and progress.eta_seconds is None
    assert progress.counts_text() == "2 COMPLETED, 6 CANCELLED"


def test_a_running_sweep_extrapolates_its_own_pace() -> None:
    runs = [_run(RunStatus.COMPLETED, 4), _run(RunStatus.RUNNING, 2)]
    progress = sweep_progress(runs, NOW)
    assert progress.fraction == 0.75 and not progress.done
    assert progress.eta_seconds == 600 * 0.25 / 0.75
