"""A reproduction bundle back into sweeps: for each bundled sweep, a new sweep with the
same template, grid, seeds and overrides whose runs are made from the bundle's frozen
configs, so each new run's config.ini and config hash are the old run's. Every point is
planned and its hash checked before anything is made: a bundle that would not give the
same configs here (a template of that name running another simulator) is refused."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.report.bundle import BundledSweep, grid_from, read
from fusion_tui.runs.creating import PlannedRun
from fusion_tui.runs.provenance import config_hash
from fusion_tui.sweeps.manager import SweepDetail, SweepManager


def _plans(sweeps: SweepManager, bundled: BundledSweep, executor: str | None,
           where: str) -> list[PlannedRun]:
    spec = bundled.spec
    plans = sweeps.plan_frozen(str(spec["template"]),
                               [(r.point, r.config, r.name) for r in bundled.runs],
                               executor=executor)
    for run, plan in zip(bundled.runs, plans, strict=True):
        if plan.config.simulator != run.simulator:
            raise ConfigError(f"{where}: template {spec['template']!r} runs "
                              f"{plan.config.simulator} here, the bundle's run {run.run_id} "
                              f"ran {run.simulator}")
        if config_hash(plan.config.to_ini()) != run.config_hash:
            raise ConfigError(f"{where}: run {run.run_id}'s config would not be the same "
                              "here (its hash differs); nothing was made")
    return plans


def reproduce(sweeps: SweepManager, path: Path, *,
              executor: str | None = None) -> list[tuple[str, SweepDetail]]:
    """(old sweep id, its new sweep) for each sweep of the bundle at `path`."""
    where = f"bundle {path}"
    bundled = read(path)
    if not bundled:
        raise ConfigError(f"{where}: holds no sweep")
    planned = []
    for b in bundled:
        try:
            grid = grid_from(b.spec["grid"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ConfigError(f"{where}: sweep {b.spec.get('id')!r}: bad grid ({exc})"
                              ) from None
        planned.append((b, grid, _plans(sweeps, b, executor, where)))
    for _, _, plans in planned:  # every sweep checked before the first is made
        if plans:
            sweeps.runs.executor(plans[0].executor).check(plans[0].options)
    return [(str(b.spec["id"]), sweeps.create_planned(
        str(b.spec["template"]), grid, plans, name=b.spec.get("name"),
        overrides=[str(o) for o in b.spec.get("overrides") or []]))
        for b, grid, plans in planned]
