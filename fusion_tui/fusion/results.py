"""FUSION's result files: copied into the run's `output/`, and read back for the chart.

FUSION 6.1 ignores `--output_dir`; it writes `<erlang>_erlang.json` into
`<checkout>/data/output/<network>/<MMDD>/<HH_MM_SS_micro>/<thread>/`, rewritten after
each saved iteration, and logs that folder as `Saving to: <folder>`. The supervisor
copies the folder's files into the run's own `output/` while the run goes and once more
when it ends (cancelled runs included), so a run folder holds its results even after the
FUSION checkout is cleaned. The folder named in the log is data: it is used only when it
lies inside the checkout's `data/output/`, and only regular files directly in it are
copied (no links, pipes or subfolders), each bounded in size, through a temporary file
and a rename so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from fusion_tui.safefile import open_regular, read_bytes
from fusion_tui.sim.stats import ci_half_width

MAX_RESULT_BYTES = 256 << 20
MAX_FILES = 10_000
_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,200}\Z")
_POINT = re.compile(r"(?P<erlang>[0-9]+(?:\.[0-9]+)?)_erlang\.json\Z")


def allowed_source(logged: str, fusion_cwd: Path | None) -> Path | None:
    """The result folder named by FUSION's log, if it is inside `<cwd>/data/output`."""
    if fusion_cwd is None or not logged or "\x00" in logged:
        return None
    try:
        root = (fusion_cwd / "data" / "output").resolve(strict=True)
        folder = Path(logged).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if folder == root or not folder.is_relative_to(root) or not folder.is_dir():
        return None
    return folder


class ResultMirror:
    """Copies new or changed result files from FUSION's folder into the run's output/."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self._copied: dict[str, tuple[int, int]] = {}
        self.problem: str | None = None

    def sync(self, source: Path) -> int:
        """Copy what changed since the last call; returns how many files were copied."""
        try:
            entries = [e for e in os.scandir(source) if _NAME.match(e.name)][:MAX_FILES]
        except OSError as exc:
            self.problem = f"cannot list {source}: {exc.strerror or exc}"
            return 0
        copied = 0
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_RESULT_BYTES:
                continue
            stamp = (st.st_size, st.st_mtime_ns)
            if self._copied.get(entry.name) == stamp:
                continue
            try:
                self._copy(Path(entry.path), entry.name)
            except OSError as exc:
                self.problem = f"cannot copy {entry.name}: {exc.strerror or exc}"
                continue
            self._copied[entry.name] = stamp
            copied += 1
        return copied

    def _copy(self, path: Path, name: str) -> None:
        self.dest.mkdir(parents=True, exist_ok=True)
        tmp = self.dest / f".{name}.part"
        fd = open_regular(path)
        try:
            with os.fdopen(fd, "rb", closefd=False) as src, open(tmp, "wb") as out:
                remaining = MAX_RESULT_BYTES
                while remaining > 0:
                    chunk = src.read(min(1 << 20, remaining))
                    if not chunk:
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)
        os.replace(tmp, self.dest / name)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def read_point(path: Path) -> tuple[float, float | None, float | None] | None:
    """(blocking mean, interval low, interval high) of one `<erlang>_erlang.json`.

    The interval is the 95% one (Student's t) over the iterations in `iter_stats`, the
    same the built-in simulator reports, so the chart means one thing for both; FUSION's
    own `ci_rate_block` (a 90% normal half-width) is the fallback.
    """
    try:
        data = json.loads(read_bytes(path, MAX_RESULT_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    mean = _number(data.get("blocking_mean"))
    values = iteration_list(data.get("iter_stats"))
    if mean is None and values:
        mean = sum(values) / len(values)
    if mean is None:
        return None
    half = ci_half_width(values) if len(values) >= 2 else _number(data.get("ci_rate_block"))
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
