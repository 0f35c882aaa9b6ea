"""Progress, results folder and errors from FUSION's log lines (FUSION 6.1 writes no
progress file). The built-in simulator logs in the same format, so both kinds of run
read their logs with this parser.

Lines look like `2026-11-22 10:07:40,775 - fusion.core.simulation - INFO - <message>`;
a bare `<message>` is accepted too. Each recognised message becomes a ProgressEvent of the
same schema the progress file uses, so one ProgressState serves both sources. FUSION logs
its iteration summary only for the first, every `print_step`-th and the last iteration,
but it logs `CHILD=s1 iteration=N, done_units=M` after every one: both are used, so
progress moves with each iteration whatever `print_step` is. Three kinds of event exist
only here: `output_dir` (FUSION's `Saving to: <folder>`), `signal_saved` (its SIGTERM
handler has saved the statistics) and `traceback` (the last line of a Python traceback).
"""

from __future__ import annotations

import re
from datetime import datetime

from fusion_tui.monitor.events import ProgressEvent

_PREFIX = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?)\s+-\s+\S+\s+-\s+"
    r"(?P<level>[A-Z]+)\s+-\s+"
)
_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"

_STARTING = re.compile(rf"Starting simulation for {_NUM} Erlang \(load (\d+)/(\d+)\)")
_ITERATION = re.compile(rf"Iteration (\d+) out of (\d+) completed for Erlang: {_NUM}")
_CHILD = re.compile(r"^CHILD=\S+ iteration=(\d+), done_units=(\d+)")
_MEAN = re.compile(rf"^Mean of blocking: {_NUM}\s*$")
_PROGRESS = re.compile(rf"Progress: (\d+)/(\d+) - Mean of blocking: {_NUM}")
_MAX_ITERS = re.compile(rf"Maximum iterations \((\d+)\) completed for Erlang: {_NUM}")
_CI_REACHED = re.compile(rf"Confidence interval of {_NUM}% reached\. (\d+)"
                         rf"(?: iterations completed for|, ending for) Erlang: {_NUM}")
_COMPLETED = re.compile(rf"Completed {_NUM} Erlang in {_NUM} seconds")
_SAVING = re.compile(r"^Saving to: (.+?)\s*$")
_SIGNAL_SAVED = re.compile(r"^Statistics saved due to signal")
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b.*")


def split_line(line: str) -> tuple[str | None, str]:
    """(level or None, message) of one log line."""
    match = _PREFIX.match(line)
    if match is None:
        return None, line.strip()
    return match.group("level"), line[match.end():].strip()


def short_prefix(line: str) -> str:
    """The line with its prefix cut to the time of day, and the level when it is not
    INFO, for a narrow screen: `11:10:01 WARNING Not used ...` for
    `2026-11-22 11:10:01,000 - fusion_tui.sim - WARNING - Not used ...`. A line without
    the prefix (a traceback's) is returned as it is."""
    match = _PREFIX.match(line)
    if match is None:
        return line
    clock = match.group("ts")[11:19]
    level = match.group("level")
    return f"{clock} {'' if level == 'INFO' else level + ' '}{line[match.end():]}"


def _timestamp(line: str) -> str | None:
    """The line's time as ISO 8601 (FUSION logs local time with a comma), or None."""
    match = _PREFIX.match(line)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group("ts").replace(",", ".")).isoformat()
    except ValueError:
        return None


class FusionLogParser:
    """Turns FUSION log lines into progress events; remembers the current Erlang."""

    def __init__(self) -> None:
        self.erlang: float | None = None
        self.iteration: int | None = None
        self.total_iterations: int | None = None
        self._in_traceback = False

    def parse(self, line: str) -> ProgressEvent | None:
        level, msg = split_line(line)
        if self._in_traceback:
            if level is None and line[:1] in (" ", "\t"):
                return None
            self._in_traceback = False
            if level is None and _EXCEPTION.match(msg):
                return ProgressEvent("traceback", message=msg)
        if msg == _TRACEBACK:
            self._in_traceback = True
            return None
        ts = _timestamp(line)
        if level in ("ERROR", "CRITICAL"):
            return ProgressEvent("error", message=msg or "FUSION logged an error", ts=ts)
        return self._progress(msg, ts)

    def _progress(self, msg: str, ts: str | None) -> ProgressEvent | None:
        if m := _STARTING.search(msg):
            self.erlang, self.iteration = float(m.group(1)), 0
            return ProgressEvent("erlang_start", erlang=self.erlang, ts=ts,
                                 erlang_index=int(m.group(2)) - 1, total_erlangs=int(m.group(3)))
        if m := _CHILD.search(msg):
            if self.erlang is None:
                return None
            self.iteration = max(self.iteration or 0, int(m.group(1)) + 1)
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations, ts=ts)
        if m := _ITERATION.search(msg):
            self.iteration, self.total_iterations = int(m.group(1)), int(m.group(2))
            self.erlang = float(m.group(3))
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations, ts=ts)
        if m := _MEAN.search(msg):
            if self.erlang is None or self.iteration is None:
                return None
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 metrics={"blocking_prob": float(m.group(1))}, ts=ts)
        if m := _PROGRESS.search(msg):
            self.iteration, self.total_iterations = int(m.group(1)), int(m.group(2))
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations,
                                 metrics={"blocking_prob": float(m.group(3))}, ts=ts)
        if m := _MAX_ITERS.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(2)),
                                 iteration=int(m.group(1)), ts=ts)
        if m := _CI_REACHED.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(3)),
                                 iteration=int(m.group(2)), ts=ts)
        if m := _COMPLETED.search(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(1)), ts=ts)
        if m := _SAVING.search(msg):
            return ProgressEvent("output_dir", message=m.group(1), ts=ts)
        if _SIGNAL_SAVED.search(msg):
            return ProgressEvent("signal_saved", ts=ts)
        return None
