"""`--after ID|SWEEP`: the runs a new run (or sweep) is to start after. A sweep's id stands
for its current runs, as they are when the new run is made."""

from __future__ import annotations

from collections.abc import Iterable

from fusion_tui.runs.errors import RunNotFound
from fusion_tui.runs.finding import LAST
from fusion_tui.store.models import Run
from fusion_tui.sweeps.manager import SweepManager


def runs_after(sweeps: SweepManager, refs: Iterable[str]) -> list[Run]:
    """The runs named by `refs` (each a run or a sweep: full id, unique prefix, `@last`
    for your newest run; several may be given separated by commas), without repeats.
    RunNotFound, one line, for a ref that names neither or both."""
    found: dict[str, Run] = {}
    for ref in (r.strip() for text in refs for r in text.split(",")):
        if not ref:
            raise RunNotFound("--after: an empty id")
        for run in _one(sweeps, ref):
            found.setdefault(run.id, run)
    return list(found.values())


def _one(sweeps: SweepManager, ref: str) -> list[Run]:
    if ref in LAST:
        return [sweeps.runs.resolve(ref)]
    problem = ""
    try:
        run: Run | None = sweeps.runs.resolve(ref)
    except RunNotFound as exc:
        run, problem = None, str(exc)
    try:
        sweep = sweeps.resolve(ref)
    except RunNotFound:
        if run is None:
            raise RunNotFound(f"--after: no run or sweep with id {ref!r}"
                              + ("" if problem.startswith("no run") else f" ({problem})")
                              ) from None
        return [run]
    if run is not None:
        raise RunNotFound(f"--after: {ref!r} is the prefix of both run {run.id} and sweep "
                          f"{sweep.id}; give more of it")
    runs = sweeps.detail(sweep.id).runs
    if not runs:
        raise RunNotFound(f"--after: sweep {sweep.id} has no runs")
    return runs
