"""Result files (`<erlang>_erlang.json`, FUSION's format, which the built-in simulator
writes too), read back for the chart and the comparison; `fusion/mirror.py` copies
FUSION's into the run folder.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from fusion_tui.base.safefile import read_bytes
from fusion_tui.sim.stats import ci_half_width

# The largest result file read back (chart, comparison): FUSION's are a few MB; a larger
# one is a simulator's runaway file, not worth the memory of the app that reads it.
MAX_READ = 64 << 20
_POINT = re.compile(r"(?P<erlang>[0-9]+(?:\.[0-9]+)?)_erlang\.json\Z")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def read_point(path: Path) -> tuple[float, float | None, float | None] | None:
    """(blocking mean, interval low, interval high) of one `<erlang>_erlang.json`.

    The interval is the 95% one (Student's t) over the iterations in `iter_stats`, the
    same the built-in simulator reports, so the chart means one thing for both; FUSION's
    own `ci_rate_block` (a 90% normal half-width) is the fallback. Mean and interval
    come from the same iterations: a file written while the run goes on may hold a
    `blocking_mean` of other iterations than its list (or none at all).
    """
    try:
        data = json.loads(read_bytes(path, MAX_READ))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    values = iteration_list(data.get("iter_stats"))
    mean: float | None
    if values:
        mean = sum(values) / len(values)
        half = ci_half_width(values) if len(values) >= 2 else None
    else:
        mean = _number(data.get("blocking_mean"))
        half = _number(data.get("ci_rate_block"))
    if mean is None:
        return None
    if half is None:
        return mean, None, None
    return mean, max(0.0, mean - half), mean + half


def iteration_list(iter_stats: Any, name: str = "sim_block_list") -> list[float]:
    """Per-iteration values from `iter_stats` (`sim_block_list`, `sim_br_block_list`).

    FUSION's list grows with each saved iteration: the longest has them all.
    """
    best: list[float] = []
    if isinstance(iter_stats, dict):
        for entry in iter_stats.values():
            values = entry.get(name) if isinstance(entry, dict) else None
            if isinstance(values, list) and len(values) > len(best):
                numbers = [_number(v) for v in values]
                if all(n is not None for n in numbers):
                    best = [n for n in numbers if n is not None]
    return best


def result_files(output: Path) -> dict[float, Path]:
    """Erlang load -> its result file in a run's output folder."""
    try:
        names = [e.name for e in os.scandir(output) if e.is_file(follow_symlinks=False)]
    except OSError:
        return {}
    out = {}
    for name in names:
        match = _POINT.match(name)
        if match:
            out[float(match.group("erlang"))] = output / name
    return out
