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
from fusion_tui.sim.stats import ci_half_width, mean_variance

METRICS = {"blocking": "blocking_mean", "bit_rate_blocking": "bit_rate_blocking_mean"}
_ITERATION_LISTS = {"blocking": "sim_block_list", "bit_rate_blocking": "sim_br_block_list"}
SUMMARY = "summary.csv"
MAX_SUMMARY = 1 << 20
# Where each metric's interval is: the built-in's summary columns and `fusion_tui` keys.
_BIT_RATE_INTERVAL = ("bit_rate_ci95_low", "bit_rate_ci95_high")
_SUMMARY_INTERVALS = {"blocking": ("ci95_low", "ci95_high"),
                      "bit_rate_blocking": _BIT_RATE_INTERVAL}


@dataclass(frozen=True)
class LoadResult:
    """One run's numbers at one load; the interval is the run's own over iterations."""

    erlang: float
    values: dict[str, float]  # metric -> mean over the run's iterations
    intervals: dict[str, tuple[float, float]]  # metric -> 95% interval (2+ iterations)
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
    rows = _rows(text)
    out: dict[float, LoadResult] = {}
    for row in rows:
        erlang, mean = _number(row.get("erlang")), _number(row.get("blocking_mean"))
        if erlang is None or mean is None:
            continue
        values = {"blocking": mean}
        bit_rate = _number(row.get("bit_rate_blocking"))
        if bit_rate is not None:
            values["bit_rate_blocking"] = bit_rate
        intervals = {metric: interval for metric, columns in _SUMMARY_INTERVALS.items()
                     if (interval := _interval(row, *columns)) is not None}
        iterations = _number(row.get("iterations"))
        out[erlang] = LoadResult(erlang, values, intervals,
                                 int(iterations) if iterations is not None else None)
    if rows and _BIT_RATE_INTERVAL[0] not in rows[0]:
        # written before the summary held the bit-rate interval: its result files have it
        for erlang, found in _from_json(output).items():
            if erlang in out and "bit_rate_blocking" in found.intervals:
                out[erlang].intervals["bit_rate_blocking"] = \
                    found.intervals["bit_rate_blocking"]
    return out


def _interval(data: dict[str, Any], low_key: str, high_key: str) -> tuple[float, float] | None:
    low, high = _number(data.get(low_key)), _number(data.get(high_key))
    return (low, high) if low is not None and high is not None else None


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
        intervals = {}
        for metric, columns in _SUMMARY_INTERVALS.items():
            interval = _interval(ours, *columns) or _over_iterations(data, metric)
            if interval is not None and metric in values:
                intervals[metric] = interval
        lists = iteration_values(data, "blocking")
        out[erlang] = LoadResult(erlang, values, intervals, len(lists) or None)
    return out


def _over_iterations(data: dict[str, Any], metric: str) -> tuple[float, float] | None:
    """The 95% interval of a file's per-iteration values, as the built-in computes its
    own (low end at 0: a probability); None below two iterations."""
    values = iteration_values(data, metric)
    half = ci_half_width(values)
    if half is None:
        return None
    mean = mean_variance(values)[0]
    return max(0.0, mean - half), mean + half


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
