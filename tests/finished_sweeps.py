"""A sweep whose runs are finished without simulating them: made by the real
`SweepManager` (frozen configs, config hashes, provenance), its queue paused, then each
run given result files by the built-in simulator's own writer (`sim.reporting.Results`)
and marked COMPLETED through the store. For the report's tests and its benchmark, where
1,000 real simulations would only cost time."""

from __future__ import annotations

import random
from collections.abc import Callable

from fusion_tui.services import Services
from fusion_tui.sim.reporting import Results
from fusion_tui.sim.stats import PointStats
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid
from fusion_tui.sweeps.manager import SweepDetail, point_of

# (point, erlang) -> the mean blocking a run of that point has there
Level = Callable[[dict[str, str], float], float]


def finished_sweep(svc: Services, grid: Grid, loads: list[float], level: Level, *,
                   name: str = "report", iterations: int = 5,
                   overrides: tuple[str, ...] = ()) -> SweepDetail:
    """Make the sweep (the `minimal` template over `loads`), then finish every run with
    `iterations` values per load scattered 5% around `level` (seeded by the run's seed,
    so runs of one seed share their noise: common random numbers)."""
    svc.store.set_queue(paused=True)
    start, stop = loads[0], loads[-1]
    step = loads[1] - loads[0] if len(loads) > 1 else 1.0
    detail = svc.sweeps.create("minimal", grid, name=name, overrides=[
        f"general_settings.erlang_start={start:g}", f"general_settings.erlang_stop={stop:g}",
        f"general_settings.erlang_step={step:g}", *overrides])
    for run in detail.runs:
        point = point_of(run)
        noise = random.Random(run.seed or 0)
        stats = []
        for erlang in loads:
            mean = level(point, erlang)
            values = [mean * (1 + noise.uniform(-0.05, 0.05)) for _ in range(iterations)]
            stats.append(PointStats(erlang, values, [v * 1.1 for v in values]))
        Results(svc.manager.paths(run).output).write_summary(stats)
        assert svc.store.finish(run.id, RunStatus.COMPLETED, exit_code=0,
                                expected=(RunStatus.PENDING,))
    return svc.sweeps.detail(detail.sweep.id)
