"""Toasts for runs that end while the app is open: a few runs get one each; a sweep's
runs one toast for the sweep, with counts; many runs at once one toast with counts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from tui_fixtures import NOW, SWEEP_ID, build_sweep, fixed_now

from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus


async def test_a_sweep_ending_is_one_toast_with_counts(tmp_path: Path) -> None:
    from helpers import until

    from fusion_tui.tui.app import create_app

    services = build_sweep(tmp_path)
    app = create_app(services, now=fixed_now)
    async with app.run_test(size=(100, 30)) as pilot:
        with services.store.session() as s:  # the sweep's ended runs end now, as seen
            s.execute(update(Run).where(Run.sweep_id == SWEEP_ID, Run.completed_at.is_not(None))
                      .values(completed_at=NOW + timedelta(minutes=1)))
            s.commit()
        await until(pilot, lambda: any(n.title == f"Sweep {SWEEP_ID}"
                                       for n in app._notifications))
        toasts = [n for n in app._notifications if n.title.startswith(("Sweep", "Run"))]
        assert [(n.title, n.message, n.severity) for n in toasts] == [
            (f"Sweep {SWEEP_ID}", "10 completed, 1 failed", "error")]
        ended = services.store.list_runs(limit=100)
        assert sum(r.status == RunStatus.COMPLETED for r in ended) == 10
