"""What a comparison, export or plot is about: `SWEEP_ID` or `RUN_ID ...` (or several
sweeps), resolved to runs (a sweep's current ones) and the grid keys that group them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fusion_tui.runs.errors import RunNotFound
from fusion_tui.store.models import Run, Sweep
from fusion_tui.sweeps.manager import SweepManager, grid_of


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
    loose = False
    for ref in refs:
        target = lookup(sweeps, ref)
        if isinstance(target, Sweep):
            found_sweeps.append(target)
            for run in sweeps.store.runs(target.id):
                runs.setdefault(run.id, run)
        else:
            loose = True
            runs.setdefault(target.id, target)
    grid_keys: list[str] | None = None
    if found_sweeps and not loose:
        grid_keys = []
        for sweep in found_sweeps:
            grid_keys += [k for k in grid_of(sweep).keys if k not in grid_keys]
    return Targets(list(runs.values()), found_sweeps, grid_keys)
