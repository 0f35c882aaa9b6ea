"""Progress from FUSION's log lines, for simulators that write no progress file (FUSION 6.1).

Lines look like `2026-11-22 10:07:40,775 - fusion.core.simulation - INFO - <message>`;
a bare `<message>` is accepted too. Each recognised message becomes a ProgressEvent of
the same schema the progress file uses, so one ProgressState serves both sources.
"""

from __future__ import annotations

import re

from fusion_tui.monitor.events import ProgressEvent

_PREFIX = re.compile(
    r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\s+-\s+\S+\s+-\s+(?P<level>[A-Z]+)\s+-\s+"
)
_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"

_STARTING = re.compile(rf"Starting simulation for {_NUM} Erlang \(load (\d+)/(\d+)\)")
_ITERATION = re.compile(rf"Iteration (\d+) out of (\d+) completed for Erlang: {_NUM}")
_MEAN = re.compile(rf"^Mean of blocking: {_NUM}\s*$")
_PROGRESS = re.compile(rf"Progress: (\d+)/(\d+) - Mean of blocking: {_NUM}")
_MAX_ITERS = re.compile(rf"Maximum iterations \((\d+)\) completed for Erlang: {_NUM}")
_CI_REACHED = re.compile(
    rf"Confidence interval of {_NUM}% reached\. (\d+) iterations completed for Erlang: {_NUM}"
)
_COMPLETED = re.compile(rf"Completed {_NUM} Erlang in {_NUM} seconds")
_ERROR = re.compile(r"Simulation error: (.*)$")


def split_line(line: str) -> tuple[str | None, str]:
    """(level or None, message) of one log line."""
    match = _PREFIX.match(line)
    if match is None:
        return None, line.strip()
    return match.group("level"), line[match.end():].strip()


class FusionLogParser:
    """Turns FUSION log lines into progress events; remembers the current Erlang."""

    def __init__(self) -> None:
        self.erlang: float | None = None
        self.iteration: int | None = None
        self.total_iterations: int | None = None

    def parse(self, line: str) -> ProgressEvent | None:
        level, msg = split_line(line)
        if m := _STARTING.search(msg):
            self.erlang, self.iteration = float(m.group(1)), 0
            return ProgressEvent("erlang_start", erlang=self.erlang,
                                 erlang_index=int(m.group(2)) - 1, total_erlangs=int(m.group(3)))
        if m := _ITERATION.search(msg):
            self.iteration, self.total_iterations = int(m.group(1)), int(m.group(2))
            self.erlang = float(m.group(3))
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations)
        if m := _MEAN.search(msg):
            if self.erlang is None or self.iteration is None:
                return None
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 metrics={"blocking_prob": float(m.group(1))})
        if m := _PROGRESS.search(msg):
            self.iteration, self.total_iterations = int(m.group(1)), int(m.group(2))
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations,
                                 metrics={"blocking_prob": float(m.group(3))})
        if m := _MAX_ITERS.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(2)))
        if m := _CI_REACHED.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(3)))
        if m := _COMPLETED.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(1)))
        if level in (None, "ERROR", "CRITICAL") and (m := _ERROR.search(msg)):
            return ProgressEvent("error", message=m.group(1).strip() or "simulation error")
        return None
