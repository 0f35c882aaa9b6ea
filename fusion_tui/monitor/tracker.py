"""Progress of one run from its directory: `progress.jsonl` when the simulator writes it,
else its log lines, read by the log parser of its kind of run (`kinds/`)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from fusion_tui.config import schema
from fusion_tui.monitor.events import ProgressEvent
from fusion_tui.monitor.lines import LineReader
from fusion_tui.monitor.progress import Loads, ProgressReader, ProgressState, planned_totals

_LOG_CHUNK = 4 << 20


class LogParser(Protocol):
    """Turns a simulator's log lines into progress events (it may remember context)."""

    def parse(self, line: str) -> ProgressEvent | None: ...


class ProgressTracker:
    """Folds new events from the run's files into `state` on each `poll()`."""

    def __init__(self, progress_file: Path, log_file: Path, config_file: Path | None,
                 log_parser: LogParser | None, loads: Loads = schema.erlang_values) -> None:
        self._totals = planned_totals(config_file, loads)
        self.state = ProgressState.planned(self._totals)
        self.source: str | None = None
        self._progress = ProgressReader(progress_file)
        self._log = LineReader(log_file)
        self._parser = log_parser

    def poll(self) -> bool:
        """Read what is new; True when the state changed."""
        events = self._progress.poll()
        if events and self.source != "progress":
            self.source, self.state = "progress", ProgressState.planned(self._totals)
        if self.source != "progress" and self._parser is not None:
            for raw in self._log.read_lines(limit_bytes=_LOG_CHUNK):
                event = self._parser.parse(raw.decode("utf-8", errors="replace"))
                if event is not None:
                    self.source = "log"
                    events.append(event)
        before = self.state.cache(), self.state.error, self.state.finished
        for event in events:
            self.state.apply(event)
        return (self.state.cache(), self.state.error, self.state.finished) != before

    @property
    def skipped(self) -> int:
        return self._progress.skipped
