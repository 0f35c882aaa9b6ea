"""A run's results per Erlang load, read from its output folder.

The built-in simulator rewrites `summary.csv` after every iteration (a few hundred
bytes per run), so a sweep of thousands of runs is read in well under a second; a run
without one (FUSION's) is read from its `<erlang>_erlang.json` files. Partial results of
a running run are read the same way. Files are opened through `safefile` (regular files
only, bounded), and anything unreadable is simply absent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusion_tui.base.safefile import read_bytes, read_text
from fusion_tui.kinds.formats.results import MAX_READ, iteration_list, result_files

METRICS = {"blocking": "blocking_mean", "bit_rate_blocking": "bit_rate_blocking_mean"}
_ITERATION_LISTS = {"blocking": "sim_block_list", "bit_rate_blocking": "sim_br_block_list"}
SUMMARY = "summary.csv"
MAX_SUMMARY = 1 << 20


@dataclass(frozen=True)
class LoadResult:
    """One run's numbers at one load; the interval is the run's own over iterations."""

    erlang: float
    values: dict[str, float]  # metric -> mean over the run's iterations
    ci95: tuple[float, float] | None  # blocking only (the built-in's summary)
    iterations: int | None


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def read_run(output: Path) -> dict[float, LoadResult]:
    """Erlang -> LoadResult for one run's output folder ({} when there is nothing)."""
    try:
        text = read_text(output / SUMMARY, MAX_SUMMARY)
    except (OSError, UnicodeDecodeError):
        return _from_json(output)
    out: dict[float, LoadResult] = {}
    for row in _rows(text):
        erlang, mean = _number(row.get("erlang")), _number(row.get("blocking_mean"))
        if erlang is None or mean is None:
            continue
        values = {"blocking": mean}
        bit_rate = _number(row.get("bit_rate_blocking"))
        if bit_rate is not None:
            values["bit_rate_blocking"] = bit_rate
        low, high = _number(row.get("ci95_low")), _number(row.get("ci95_high"))
        iterations = _number(row.get("iterations"))
        out[erlang] = LoadResult(erlang, values,
                                 (low, high) if low is not None and high is not None else None,
                                 int(iterations) if iterations is not None else None)
    return out


def _rows(text: str) -> list[dict[str, str]]:
    """The CSV's rows by column name: plain splitting for the simple file the built-in
    writes (thousands are read per comparison), the csv module when anything is quoted."""
    if '"' in text:
        return list(csv.DictReader(io.StringIO(text)))
    lines = text.splitlines()
    if not lines:
        return []
    header = lines[0].split(",")
    return [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_bytes(path, MAX_READ))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _from_json(output: Path) -> dict[float, LoadResult]:
    out: dict[float, LoadResult] = {}
    for erlang, path in result_files(output).items():
        data = _load_json(path)
        if data is None:
            continue
        values = {m: v for m in METRICS if (v := _mean(data, m)) is not None}
        if "blocking" not in values:
            continue
        extras = data.get("fusion_tui")
        ours: dict[str, Any] = extras if isinstance(extras, dict) else {}
        low, high = _number(ours.get("ci95_low")), _number(ours.get("ci95_high"))
        lists = iteration_values(data, "blocking")
        out[erlang] = LoadResult(erlang, values,
                                 (low, high) if low is not None and high is not None else None,
                                 len(lists) or None)
    return out


def _mean(data: dict[str, Any], metric: str) -> float | None:
    """The file's mean of `metric`, or, where FUSION wrote none (null under
    `is_training`), the mean of its per-iteration list."""
    raw = data.get(METRICS[metric])
    value = None if isinstance(raw, bool) else _number(raw)
    if value is not None:
        return value
    values = iteration_values(data, metric)
    return sum(values) / len(values) if values else None


def iteration_values(data: dict[str, Any], metric: str) -> list[float]:
    """Per-iteration values of `metric` in a result file."""
    return iteration_list(data.get("iter_stats"), _ITERATION_LISTS[metric])


def run_iterations(output: Path, erlang: float, metric: str) -> list[float]:
    """Per-iteration values of one run at one load (for a group of a single run)."""
    path = result_files(output).get(erlang)
    data = _load_json(path) if path is not None else None
    return iteration_values(data, metric) if data is not None else []
