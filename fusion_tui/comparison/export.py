"""A tidy long table of results: one row per run x Erlang load x metric, with the run's
point, seed, provenance, tags and note, so pandas (`read_csv`) or a spreadsheet reads it
as is. Every metric's row has the run's own 95% interval over its iterations where its
result files give one (`runs/results.py`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fusion_tui.base import output_path
from fusion_tui.comparison.compare import RunData
from fusion_tui.runs.results import METRICS
from fusion_tui.sweeps.grid import SEED_KEY

BASE_COLUMNS = ("run_id", "sweep_id", "run_name", "status", "template", "simulator",
                "simulator_version", "config_hash", "host", "executor", "seed", "tags")
VALUE_COLUMNS = ("erlang", "metric", "value", "ci95_low", "ci95_high", "iterations", "note")
FORMULA_STARTS = frozenset("=+@\t\r")


def point_keys(data: Sequence[RunData]) -> list[str]:
    """The sweep point keys of these runs, in first-seen order (one column each); the
    seed has its own column (the run's seed, whether a point or the template set it)."""
    keys: list[str] = []
    for d in data:
        for key in json.loads(d.run.point_json or "{}"):
            if key not in keys and key != SEED_KEY:
                keys.append(key)
    return keys


def rows(data: Sequence[RunData]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and the rows (numbers as numbers, missing values as None; tags joined
    by spaces in CSV, a list in JSON)."""
    keys = point_keys(data)
    columns = [*BASE_COLUMNS, *keys, *VALUE_COLUMNS]
    out: list[dict[str, Any]] = []
    for d in data:
        run = d.run
        prov = json.loads(run.provenance_json) if run.provenance_json else {}
        point = json.loads(run.point_json or "{}")
        base: dict[str, Any] = {
            "run_id": run.id, "sweep_id": run.sweep_id, "run_name": run.name,
            "status": run.status, "template": run.template, "simulator": run.simulator,
            "simulator_version": prov.get("fusion_commit") or prov.get("simulator_version"),
            "config_hash": run.config_hash, "host": prov.get("host") or run.hostname,
            "executor": run.executor, "seed": run.seed, "tags": run.tag_names,
            **{k: point.get(k) for k in keys},
        }
        for erlang in sorted(d.results):
            result = d.results[erlang]
            for metric in METRICS:
                if metric not in result.values:
                    continue
                ci = result.intervals.get(metric)
                out.append({**base, "erlang": erlang, "metric": metric,
                            "value": result.values[metric],
                            "ci95_low": ci[0] if ci else None,
                            "ci95_high": ci[1] if ci else None,
                            "iterations": result.iterations, "note": run.note})
    return columns, out


def _cell(value: Any) -> str:
    """A CSV cell: floats exactly (repr), nothing for None, and text that a spreadsheet
    would run as a formula (`=`, `+`, `@`, tab, CR first) quoted with a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        value = " ".join(map(str, value))
    text = str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def to_csv(data: Sequence[RunData]) -> str:
    columns, table = rows(data)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def to_json(data: Sequence[RunData]) -> str:
    _, table = rows(data)
    return json.dumps(table, indent=1) + "\n"


def write_export(data: Sequence[RunData], folder: Path, stem: str, *,
                 now: datetime | None = None) -> Path:
    """The CSV in `folder` (made if needed) as `<stem>-<local time>.csv`, a new file with
    the user's umask (see `output_path`); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}.csv"
    output_path.write(path, to_csv(data).encode("utf-8"), force=False, flag="export")
    return path
