"""A sweep with its current runs, in the terms both read paths share (the store's and
the quick one of the commands that only look, `store/quick_read.py`): which runs are
current, and the grid the sweep was made with."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from fusion_tui.sweeps.grid import Grid

if TYPE_CHECKING:
    from fusion_tui.store.run_row import AnyRun, AnySweep

R = TypeVar("R", bound="AnyRun")


def grid_of(sweep: AnySweep) -> Grid:
    """The grid a sweep was made with (and extended to)."""
    return Grid.from_json(json.loads(sweep.grid_json), json.loads(sweep.seeds_json or "null"),
                          sweep.split_loads, json.loads(sweep.zip_json or "null"),
                          json.loads(sweep.loads_json or "null"))


def point_of(run: AnyRun) -> dict[str, str]:
    """A run's sweep point ({} for a run outside a sweep)."""
    if not run.point_json:
        return {}
    value = json.loads(run.point_json)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def current_runs(everything: Sequence[R], sweep_id: str) -> tuple[list[R], int]:
    """A sweep's current runs (those no retry replaced: a retry's run names the run it
    replaces in `origin_id`; a run the sweep reuses from another replaces none of its
    own) among all its runs, and how many were replaced."""
    replaced = {r.origin_id for r in everything if r.origin_id and r.sweep_id == sweep_id}
    current = [r for r in everything if r.id not in replaced]
    return current, len(everything) - len(current)


class DetailView(Protocol):
    """What `sweep list` and `sweep show` print of a sweep (`SweepDetail`, or the quick
    read path's)."""

    @property
    def sweep(self) -> AnySweep: ...
    @property
    def runs(self) -> Sequence[AnyRun]: ...
    @property
    def replaced(self) -> int: ...
    @property
    def reused(self) -> frozenset[str]: ...
    @property
    def grid(self) -> Grid: ...
