"""What a comparison, export or plot is about: `SWEEP_ID` or `RUN_ID ...` (or several
sweeps), resolved to runs (a sweep's current ones, the runs it reuses among them) and
the keys that group them.

Several sweeps (`compare S1 S2`: a baseline sweep against a new algorithm's) are matched
point by point on the grid keys they share (and the load, the comparison's x axis); what
tells the sweeps apart is a grouping key too: the one or two settings outside their
grids whose values differ between the sweeps, or else the sweep itself (`sweep`, its
name), as when the same configs ran on two versions of the simulator. Each run of such
a comparison carries its sweep as the point key `sweep` (in memory only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm.attributes import set_committed_value

from fusion_tui.comparison.compare import NOT_GROUPING, flat_config
from fusion_tui.runs.errors import RunNotFound
from fusion_tui.store.models import Run, Sweep
from fusion_tui.sweeps.manager import SweepManager, grid_of

SWEEP_KEY = "sweep"  # a run's sweep, when several sweeps are compared
MAX_TELLING_KEYS = 2  # more settings differing than this: the sweep is the key


@dataclass(frozen=True)
class Targets:
    runs: list[Run]
    sweeps: list[Sweep]
    grid_keys: list[str] | None  # None unless every reference was a sweep


def lookup(sweeps: SweepManager, ref: str) -> Run | Sweep:
    """A run or a sweep by id or unique 4+ character prefix; both matching is ambiguous."""
    found: list[Run | Sweep] = []
    errors = []
    for resolve in (sweeps.runs.resolve, sweeps.resolve):
        try:
            found.append(resolve(ref))
        except RunNotFound as exc:
            errors.append(str(exc))
    if len(found) == 1:
        return found[0]
    if found:
        raise RunNotFound(f"id {ref!r} matches both a run and a sweep; give more characters")
    if "too short" in errors[0] or "invalid" in errors[0]:
        raise RunNotFound(errors[0].replace("run id", "id"))
    raise RunNotFound(f"no run or sweep with id {ref!r}")


def resolve_targets(sweeps: SweepManager, refs: Sequence[str]) -> Targets:
    runs: dict[str, Run] = {}
    found_sweeps: list[Sweep] = []
    per_sweep: list[list[Run]] = []
    loose = False
    for ref in refs:
        target = lookup(sweeps, ref)
        if isinstance(target, Sweep):
            if any(s.id == target.id for s in found_sweeps):
                continue
            found_sweeps.append(target)
            mine = [r for r in sweeps.detail(target.id).runs if r.id not in runs]
            per_sweep.append(mine)  # a run two of them share counts once, in the first
            runs.update((r.id, r) for r in mine)
        else:
            loose = True
            runs.setdefault(target.id, target)
    grid_keys: list[str] | None = None
    if found_sweeps and not loose:
        grids = [grid_of(s).keys for s in found_sweeps]
        grid_keys = [k for k in grids[0] if all(k in g for g in grids[1:])]
        if len(found_sweeps) > 1:
            grid_keys += _telling_keys(found_sweeps, per_sweep,
                                       {k for g in grids for k in g})
    return Targets(list(runs.values()), found_sweeps, grid_keys)


def _telling_keys(found: list[Sweep], per_sweep: list[list[Run]],
                  swept: set[str]) -> list[str]:
    """What tells several sweeps apart: the settings outside every grid whose value is
    one per sweep and differs between them (when they are few and separate every
    sweep), else `sweep`, set on each run as a point key."""
    values: list[dict[str, str]] = []
    for runs in per_sweep:
        seen: dict[str, set[str]] = {}
        for run in runs:
            for key, value in flat_config(run).items():
                seen.setdefault(key, set()).add(value)
        values.append({k: next(iter(v)) for k, v in seen.items() if len(v) == 1})
    keys = sorted({k for v in values for k in v} - swept - NOT_GROUPING)
    differing = [k for k in keys if all(k in v for v in values)
                 and len({v[k] for v in values}) > 1]
    if 0 < len(differing) <= MAX_TELLING_KEYS and len(
            {tuple(v[k] for k in differing) for v in values}) == len(values):
        return differing
    names = [s.name or s.id for s in found]
    for sweep, runs in zip(found, per_sweep, strict=True):
        label = sweep.name if sweep.name and names.count(sweep.name) == 1 else sweep.id
        for run in runs:  # in memory only: never written back
            point = json.loads(run.point_json or "{}")
            set_committed_value(run, "point_json", json.dumps({**point, SWEEP_KEY: label}))
    return [SWEEP_KEY]
