"""Extend a sweep from the app: read its grid (a worker), ask what to add in a modal
(`widgets/sweeps/extend.py`), then extend it through the sweep manager (a worker of the
app, so it outlives the screen that asked) and say the outcome in a toast: how many
points, how many reused from earlier runs. A refusal (a seed it has, a key it does not
sweep) is a toast too, and nothing is made."""

from __future__ import annotations

from collections.abc import Callable

from fusion_tui.sweeps.grid import Grid
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.sweeps.extend import ExtendScreen, Extension


def grid_text(grid: Grid) -> str:
    """`now: k_paths=1,2; seeds 1,2,3; loads 300,600` (one line)."""
    parts = [f"{a.short or a.key}={','.join(a.values)}" for a in grid.axes]
    if grid.seeds:
        parts.append("seeds " + ",".join(map(str, grid.seeds)))
    if grid.split_loads:
        parts.append("loads " + (",".join(grid.loads) if grid.loads else "of its config"))
    if grid.zipped:
        parts.append("paired: " + ",".join(k.partition(".")[2] or k for k in grid.zipped))
    return "now: " + "; ".join(parts)


def extend_sweep(app: SessionApp, sweep_id: str,
                 done: Callable[[], object] | None = None) -> None:
    """Ask what to add to the sweep, then add it."""
    def ask() -> None:
        grid = app.services.sweeps.detail(sweep_id).grid
        app.call_from_thread(app.push_screen, ExtendScreen(f"Extend sweep {sweep_id}",
                                                           grid_text(grid)), answered)

    def answered(request: Extension | None) -> None:
        if request is not None:
            app.run_worker(lambda: apply(request), thread=True, exit_on_error=False,
                           group="actions")

    def apply(request: Extension) -> None:
        made = app.services.sweeps.extend(sweep_id, axes=request.axes, seeds=request.seeds,
                                          loads=request.loads, rerun=request.rerun)
        app.call_from_thread(app.say, f"sweep {sweep_id} extended: {made.text()}",
                             title="Extend")
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(ask, thread=True, exit_on_error=False, exclusive=True, group="extend")
