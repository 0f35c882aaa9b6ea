"""Async, incremental watching of one run's files (aiofiles), for live views.

`RunTail.poll()` stats the progress file and the log, reads only bytes that are new,
and folds progress events into a ProgressState; it also tracks the time of the last
activity (progress or log write) so views can show silence and mark stalled runs.
Nothing is read when nothing changed, so polling many runs stays cheap.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import aiofiles

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.safefile import open_regular
from fusion_tui.kinds.kind import RunKind
from fusion_tui.monitor.events import decode
from fusion_tui.monitor.lines import LineSplitter
from fusion_tui.monitor.progress import ErlangPoint, ProgressState, planned_totals

_READ_LIMIT = 4 << 20


class _FileTail:
    """New complete lines of one file, read asynchronously from a remembered offset."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.mtime: float | None = None
        self._identity: tuple[int, int] | None = None
        self._splitter = LineSplitter()
        self.denied = False  # another user's folder, closed to us (umask 077)

    async def read(self) -> tuple[list[bytes], bool]:
        """(new lines, whether the file was restarted because it shrank or was replaced)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return [], False
        except PermissionError:
            self.denied = True
            return [], False
        self.denied = False
        self.mtime = st.st_mtime
        identity = (st.st_dev, st.st_ino)
        restarted = False
        if (self._identity is not None and identity != self._identity) or st.st_size < self.offset:
            self.offset, restarted = 0, True
            self._splitter.reset()
        self._identity = identity
        if st.st_size == self.offset:
            return [], restarted
        try:
            fd = open_regular(self.path)
        except PermissionError:
            self.denied = True
            return [], restarted
        except OSError:  # gone, or a named pipe or device put in its place
            return [], restarted
        async with aiofiles.open(fd, "rb") as fh:
            await fh.seek(self.offset)
            data = await fh.read(min(_READ_LIMIT, st.st_size - self.offset))
        self.offset += len(data)
        return self._splitter.feed(data), restarted


@dataclass(frozen=True)
class RunSnapshot:
    """What a view needs of a run's live state, immutable so it can travel in messages."""

    current_erlang: float | None
    erlang_index: int | None
    total_erlangs: int | None
    current_iteration: int | None
    total_iterations: int | None
    points: tuple[ErlangPoint, ...]
    error: str | None
    finished: bool
    last_activity: float | None  # epoch seconds of the last progress or log write
    seconds_per_iteration: float | None = None
    readable: bool = True  # False: the run's files are closed to us (another user's)

    @property
    def seconds_left(self) -> float | None:
        """Remaining iterations times the measured time per iteration, when measured."""
        fraction = self.fraction_done
        if self.seconds_per_iteration is None or fraction is None or fraction >= 1.0:
            return None
        total = (self.total_erlangs or 0) * (self.total_iterations or 0)
        return (1.0 - fraction) * total * self.seconds_per_iteration

    @property
    def fraction_done(self) -> float | None:
        if not self.total_erlangs or not self.total_iterations:
            return None
        done = (self.erlang_index or 0) * self.total_iterations + (self.current_iteration or 0)
        return max(0.0, min(1.0, done / (self.total_erlangs * self.total_iterations)))


class RunTail:
    """Live state of one run from `progress.jsonl`, or without it from its log lines, read
    by the log parser of its kind of run."""

    def __init__(self, paths: RunPaths, kind: RunKind) -> None:
        self._kind = kind
        self._output = paths.output
        self._output_mtime: int | None = None
        self._progress = _FileTail(paths.progress)
        self._log = _FileTail(paths.log)
        self._parser = kind.log_parser()
        self._totals = planned_totals(paths.config, kind.loads)
        self.state = ProgressState.planned(self._totals)
        self.source: str | None = None
        self.skipped = 0

    @property
    def last_activity(self) -> float | None:
        times = [t for t in (self._progress.mtime, self._log.mtime) if t is not None]
        return max(times) if times else None

    async def poll(self) -> bool:
        """Read what is new; True when the snapshot changed."""
        before = self.snapshot()
        lines, restarted = await self._progress.read()
        if restarted or (lines and self.source != "progress"):
            self.state, self.source = ProgressState.planned(self._totals), "progress"
        for raw in lines:
            if not raw.strip():
                continue
            event = decode(raw)
            if event is None:
                self.skipped += 1
            else:
                self.state.apply(event)
        log_lines, _ = await self._log.read()
        if self.source != "progress" and self._parser is not None:
            for raw in log_lines:
                event = self._parser.parse(raw.decode("utf-8", errors="replace"))
                if event is not None:
                    self.source = "log"
                    self.state.apply(event)
        if self.source == "log":
            self._read_results()
        return self.snapshot() != before

    def _read_results(self) -> None:
        """Blocking and interval per load from the result files in output/ (a log holds
        only the running mean, the files hold the statistics)."""
        try:
            mtime = os.stat(self._output).st_mtime_ns
        except OSError:
            return
        if mtime == self._output_mtime:
            return
        self._output_mtime = mtime
        for erlang, path in self._kind.result_files(self._output).items():
            point = self._kind.read_point(path)
            if point is not None:
                state_point = self.state.points.setdefault(erlang, ErlangPoint(erlang))
                state_point.blocking, state_point.ci_lower, state_point.ci_upper = point

    def read_all(self, rounds: int = 1000) -> RunSnapshot:
        """Everything the files hold now, for a reader that is not an app (`show`): the
        same state the detail screen reaches by polling."""
        async def read() -> None:
            for _ in range(rounds):
                if not await self.poll():
                    return

        asyncio.run(read())
        return self.snapshot()

    def snapshot(self) -> RunSnapshot:
        s = self.state
        points = tuple(ErlangPoint(p.erlang, p.iterations_done, p.blocking, p.ci_lower,
                                   p.ci_upper, p.complete)
                       for p in sorted(s.points.values(), key=lambda p: p.erlang))
        return RunSnapshot(s.current_erlang, s.erlang_index, s.total_erlangs,
                           s.current_iteration, s.total_iterations, points, s.failure,
                           s.finished, self.last_activity, s.seconds_per_iteration,
                           readable=not (self._progress.denied or self._log.denied))
