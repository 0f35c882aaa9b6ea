"""The fusion-tui command lines that re-create a sweep and each of its runs, quoted for a
POSIX shell (every word through `shlex.quote`: names and values are data, never shell).

`sweep new` re-creates a sweep from its template as the template is now; the
reproduction bundle re-creates the frozen configs themselves (`bundle.py`)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

from fusion_tui.store.models import Run, Sweep
from fusion_tui.sweeps.grid import LOAD_KEY, load_overrides
from fusion_tui.sweeps.manager import grid_of, point_of


def shell_line(words: Sequence[str]) -> str:
    """One command line, each word quoted (a newline in a word stays inside its quotes)."""
    return " ".join(shlex.quote(w) for w in words)


def _seeds_text(seeds: Sequence[int]) -> str:
    return ",".join(str(s) for s in seeds)


def sweep_command(sweep: Sweep) -> list[str]:
    """`fusion-tui sweep new ...` as the sweep was made: template, name, overrides, grid,
    seeds, split loads, executor."""
    grid = grid_of(sweep)
    words = ["fusion-tui", "sweep", "new", "-t", sweep.template]
    if sweep.name:
        words += ["-n", sweep.name]
    for override in json.loads(sweep.overrides_json):
        words += ["--set", str(override)]
    for axis in grid.axes:
        words += ["--grid", f"{axis.key}={','.join(axis.values)}"]
    if grid.seeds:
        words += ["--seeds", _seeds_text(grid.seeds)]
    if grid.split_loads:
        words.append("--split-loads")
    words += ["--executor", sweep.executor]
    return words


def run_command(run: Run, sweep: Sweep | None) -> list[str]:
    """`fusion-tui new ...` for one run of a sweep: its template with the sweep's
    overrides and its point's settings (its load, for a sweep that splits loads)."""
    words = ["fusion-tui", "new", "-t", run.template]
    if run.name:
        words += ["-n", run.name]
    sets = [str(o) for o in json.loads(sweep.overrides_json)] if sweep is not None else []
    for key, value in point_of(run).items():
        sets += load_overrides(float(value)) if key == LOAD_KEY else [f"{key}={value}"]
    for item in sets:
        words += ["--set", item]
    words += ["--executor", run.executor]
    return words


def reproduce_command(bundle: str) -> list[str]:
    return ["fusion-tui", "reproduce", bundle]
