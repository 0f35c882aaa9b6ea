"""Everything the simulator tells the outside: FUSION-format log lines on stdout, progress
events (FUSION GUI schema) appended and flushed to the progress file, result files
written atomically after every iteration (not fsynced: the next iteration rewrites them
within seconds, and a crash loses only what the run could not finish anyway)."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fusion_tui.base.atomic import write_atomic
from fusion_tui.sim.stats import PointStats, mean_variance

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def make_logger() -> logging.Logger:
    log = logging.getLogger("fusion_tui.sim")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fusion_time() -> str:
    """A result file's `sim_end_time` as FUSION writes it: local time, `MMDD_HH_MM_SS_us`."""
    return datetime.now().strftime("%m%d_%H_%M_%S_%f")


def erlang_label(erlang: float) -> str:
    """How FUSION names an Erlang value in file names: `300.0`."""
    return repr(float(erlang))


class Progress:
    """Appends one JSON event per line to the progress file, flushed each time."""

    def __init__(self, path: Path | None) -> None:
        self._fh = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK
                         | os.O_CLOEXEC, 0o644)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(f"{path} is not a regular file")
            os.set_blocking(fd, True)
            self._fh = os.fdopen(fd, "a", encoding="utf-8")

    def emit(self, kind: str, **fields: Any) -> None:
        if self._fh is None:
            return
        self._fh.write(json.dumps({"type": kind, "ts": _now(), **fields}) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class Results:
    """Per-Erlang JSON files and `summary.csv` under the output directory."""

    def __init__(self, output_dir: Path, extras: dict[str, object] | None = None, *,
                 statistics: bool = True) -> None:
        self.output_dir = output_dir
        self.extras = extras or {}
        self.statistics = statistics  # False: FUSION's `is_training`, its statistics null
        output_dir.mkdir(parents=True, exist_ok=True)

    def write_point(self, point: PointStats) -> Path:
        path = self.output_dir / f"{erlang_label(point.erlang)}_erlang.json"
        text = point.fusion_text(fusion_time(), self.extras, statistics=self.statistics)
        write_atomic(path, text + "\n", durable=False)
        return path

    def write_summary(self, points: list[PointStats]) -> Path:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["erlang", "blocking_mean", "ci95_low", "ci95_high",
                         "bit_rate_blocking", "iterations", "bit_rate_ci95_low",
                         "bit_rate_ci95_high"])
        for p in points:
            if not p.iterations:
                continue
            ci, br_ci = p.ci, p.bit_rate_ci
            br = mean_variance(p.bit_rate_blocking)[0]  # as in the JSON file
            writer.writerow([  # repr: every float exactly as in the JSON files
                f"{p.erlang:g}", repr(p.mean),
                "" if ci is None else repr(max(0.0, p.mean - ci)),
                "" if ci is None else repr(p.mean + ci),
                repr(br), p.iterations,
                "" if br_ci is None else repr(max(0.0, br - br_ci)),
                "" if br_ci is None else repr(br + br_ci),
            ])
        path = self.output_dir / "summary.csv"
        write_atomic(path, out.getvalue(), durable=False)
        return path
