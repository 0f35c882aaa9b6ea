"""A sweep's grid as a matrix for the sweep screen: rows are the combinations of all
swept keys but the last, columns the last key's values; a cell holds the runs of its
point (its seeds and loads), their status counts and their blocking at the highest load
any of them has reached."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fusion_tui.runs.results import LoadResult, read_run
from fusion_tui.store.models import Run
from fusion_tui.sweeps.grid import Grid


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)
    blocking: float | None = None  # mean over the cell's runs at `erlang`
    erlang: float | None = None

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.runs))


@dataclass(frozen=True)
class Matrix:
    row_keys: list[str]
    column_key: str | None
    rows: list[tuple[str, ...]]
    columns: list[str]
    cells: dict[tuple[tuple[str, ...], str], Cell]


def build_matrix(grid: Grid, runs: list[Run],
                 results: dict[str, dict[float, LoadResult]] | None = None) -> Matrix:
    """The matrix of `runs` (a sweep's current ones); results are read when not given."""
    keys = [a.key for a in grid.axes]
    column_key = keys[-1] if keys else None
    row_keys = keys[:-1]
    # The rows the grid has: every combination of the other keys, or only the pairs of
    # paired ones (`--zip`).
    rows = list(dict.fromkeys(tuple(p[k] for k in row_keys) for p in grid.combinations()))
    columns = list(grid.axes[-1].values) if grid.axes else ["all"]
    cells = {(row, col): Cell() for row in rows for col in columns}
    for run in runs:
        point = json.loads(run.point_json or "{}")
        row = tuple(str(point.get(k, "")) for k in row_keys)
        col = str(point.get(column_key, "")) if column_key else "all"
        cell = cells.get((row, col))
        if cell is not None:
            cell.runs.append(run)
    for cell in cells.values():
        _blocking(cell, results)
    return Matrix(row_keys, column_key, rows, columns, cells)


def _blocking(cell: Cell, results: dict[str, dict[float, LoadResult]] | None) -> None:
    per_run = [(results or {}).get(r.id) if results is not None
               else read_run(Path(r.run_dir) / "output") for r in cell.runs]
    reached = [max(loads) for loads in per_run if loads]
    if not reached:
        return
    top = max(reached)
    values = [loads[top].values["blocking"] for loads in per_run
              if loads and top in loads and "blocking" in loads[top].values]
    if values:
        cell.erlang, cell.blocking = top, sum(values) / len(values)
