"""Incremental reader of `progress.jsonl` and the progress state it feeds.

Never crashes on what a simulator writes: blank lines, invalid JSON, invalid UTF-8 and
non-object values are skipped and counted; a half-written last line waits for its end.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.safefile import read_text
from fusion_tui.config import schema
from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
from fusion_tui.monitor.events import ProgressEvent, decode
from fusion_tui.monitor.lines import LineReader

T = TypeVar("T")


# A kind of run's load list from a configuration (`RunKind.loads`): FUSION 6.1 and the
# built-in run erlang_start..erlang_stop inclusive, FUSION's 5.5 line leaves the stop out.
Loads = Callable[[schema.Sections], list[float]]


def planned_totals(config_file: Path | None, loads: Loads = schema.erlang_values,
                   ) -> tuple[int | None, int | None]:
    """(loads, iterations per load) that a run's frozen config.ini plans, or Nones.

    Progress starts from the plan, so it is never blank while a simulator sets up a load
    and has logged no iteration yet.
    """
    plan = _read_plan(config_file, lambda sections: (len(loads(sections)),
                                                     schema.iterations(sections)))
    return plan if plan is not None else (None, None)


def planned_loads(config_file: Path | None,
                  loads: Loads = schema.erlang_values) -> list[float] | None:
    """The Erlang loads a run's frozen config.ini plans, or None when it cannot be read."""
    return _read_plan(config_file, loads)


# The last config parsed, by the file's identity: a supervisor reads its run's plan when
# it starts and again when it settles the outcome (a frozen config does not change).
_last_plan: tuple[tuple[str, int, int, int, int], schema.Sections] | None = None


def _read_plan(config_file: Path | None, take: Callable[[Any], T]) -> T | None:
    global _last_plan
    if config_file is None:
        return None
    try:
        st = os.stat(config_file)
        key = (str(config_file), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        last = _last_plan  # one read: another thread may replace it meanwhile
        if last is not None and last[0] == key:
            sections = last[1]
        else:
            sections, _meta = parse_ini(read_text(config_file, TEMPLATE_LIMIT), "config")
            _last_plan = (key, sections)
        return take(sections)
    except (OSError, UnicodeDecodeError, ConfigError, KeyError, ValueError, ZeroDivisionError):
        return None


class ProgressReader:
    """Yields the new progress events appended to a progress file."""

    def __init__(self, path: Path) -> None:
        self._lines = LineReader(path)
        self.skipped = 0
        self.events_read = 0

    @property
    def path(self) -> Path:
        return self._lines.path

    def poll(self) -> list[ProgressEvent]:
        events = []
        for raw in self._lines.read_lines():
            if not raw.strip():
                continue
            event = decode(raw)
            if event is None:
                self.skipped += 1
                continue
            events.append(event)
        self.events_read += len(events)
        return events


@dataclass
class ErlangPoint:
    """What is known of one Erlang load: iterations done and blocking figures."""

    erlang: float
    iterations_done: int = 0
    blocking: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    complete: bool = False


@dataclass
class ProgressState:
    """Run progress folded from events; `cache()` gives the Run columns it sets."""

    current_erlang: float | None = None
    erlang_index: int | None = None
    total_erlangs: int | None = None
    current_iteration: int | None = None
    total_iterations: int | None = None
    finished: bool = False
    exit_code: int | None = None
    error: str | None = None
    traceback: str | None = None
    output_dir: str | None = None
    signal_saves: int = 0
    planned_erlangs: int | None = None  # the loads the run's config plans
    points: dict[float, ErlangPoint] = field(default_factory=dict)
    iterations_timed: int = 0
    seconds_timed: float = 0.0
    _last_iteration_ts: datetime | None = None

    @property
    def seconds_per_iteration(self) -> float | None:
        """Mean time between iteration events that carry a time (FUSION's log lines do)."""
        return self.seconds_timed / self.iterations_timed if self.iterations_timed else None

    @property
    def failure(self) -> str | None:
        """What the simulator said went wrong: its first error, then the last line of a
        traceback (FUSION's real error comes first; its last log line is a consequence)."""
        parts = [p for p in (self.error, self.traceback) if p]
        if len(parts) == 2 and parts[1] in parts[0]:
            parts = parts[:1]
        return " | ".join(parts) if parts else None

    @classmethod
    def planned(cls, totals: tuple[int | None, int | None]) -> ProgressState:
        """A state that starts from the run's plan: loads and iterations per load."""
        return cls(total_erlangs=totals[0], total_iterations=totals[1],
                   erlang_index=0 if totals[0] else None, planned_erlangs=totals[0])

    def _point(self, erlang: float) -> ErlangPoint:
        point = self.points.get(erlang)
        if point is None:
            point = self.points[erlang] = ErlangPoint(erlang)
        return point

    def apply(self, event: ProgressEvent) -> None:
        if event.total_erlangs is not None:
            # A simulator that counts fewer loads than the run plans (FUSION's 5.5 line
            # never runs the stop value) has not done the plan: never below it.
            self.total_erlangs = max(event.total_erlangs, self.planned_erlangs or 0)
        if event.total_iterations is not None:
            self.total_iterations = event.total_iterations
        if event.erlang is not None and event.erlang != self.current_erlang:
            if event.erlang_index is None and self.current_erlang is not None:
                self.erlang_index = (self.erlang_index or 0) + 1
            self.current_erlang = event.erlang
            if event.type != "erlang_complete":
                self.current_iteration = 0
        if event.erlang_index is not None:
            self.erlang_index = event.erlang_index
        elif self.erlang_index is None and event.erlang is not None:
            self.erlang_index = 0
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)

    def _time_iteration(self, event: ProgressEvent) -> None:
        if event.ts is None:
            return
        try:
            ts = datetime.fromisoformat(event.ts.replace("Z", "+00:00"))
        except ValueError:
            return
        last, self._last_iteration_ts = self._last_iteration_ts, ts
        if last is not None and last.tzinfo == ts.tzinfo and ts > last:
            self.iterations_timed += 1
            self.seconds_timed += (ts - last).total_seconds()

    def _on_erlang_start(self, event: ProgressEvent) -> None:
        self._last_iteration_ts = None  # the first iteration of a load includes set-up

    def _on_iteration(self, event: ProgressEvent) -> None:
        if event.iteration is not None and event.iteration > (self.current_iteration or 0):
            self._time_iteration(event)
        if event.iteration is not None:
            # Within a load progress only moves on: FUSION logs "Iteration 2 out of 6"
            # after it has already said the load ended early at iteration 2.
            self.current_iteration = max(self.current_iteration or 0, event.iteration)
        if event.erlang is not None:
            point = self._point(event.erlang)
            if event.iteration is not None:
                point.iterations_done = max(point.iterations_done, event.iteration)
            blocking = event.metrics.get("blocking_prob", event.metrics.get("mean_blocking"))
            if blocking is not None:
                point.blocking = blocking

    def _on_erlang_complete(self, event: ProgressEvent) -> None:
        if event.erlang is None:
            return
        point = self._point(event.erlang)
        point.complete = True
        if event.iteration is not None:
            point.iterations_done = max(point.iterations_done, event.iteration)
        if self.current_erlang == event.erlang:
            # The load is done, early stop included: progress counts it whole.
            self.current_iteration = max(self.current_iteration or 0, point.iterations_done,
                                         self.total_iterations or 0)
        point.blocking = event.metrics.get("mean_blocking", point.blocking)
        point.ci_lower = event.metrics.get("ci_lower", point.ci_lower)
        point.ci_upper = event.metrics.get("ci_upper", point.ci_upper)

    def _on_complete(self, event: ProgressEvent) -> None:
        self.finished = True
        self.exit_code = event.exit_code

    def _on_error(self, event: ProgressEvent) -> None:
        if self.error is None:
            self.error = event.message or "simulator reported an error"

    def _on_traceback(self, event: ProgressEvent) -> None:
        self.traceback = event.message

    def _on_output_dir(self, event: ProgressEvent) -> None:
        self.output_dir = event.message

    def _on_signal_saved(self, event: ProgressEvent) -> None:
        self.signal_saves += 1

    def cache(self) -> dict[str, Any]:
        """Values for the Run progress-cache columns."""
        return {
            "current_erlang": self.current_erlang,
            "current_erlang_index": self.erlang_index,
            "total_erlangs": self.total_erlangs,
            "current_iteration": self.current_iteration,
            "total_iterations": self.total_iterations,
        }
