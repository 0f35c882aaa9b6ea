"""A simulator's result folder, followed while a run goes: once its kind of run knows the
folder (FUSION 6.1's log names it; the 5.5 line's log gives its start time), the folder
is checked (`mirror.allowed_source`) and copied, bounded, into the run's `output/`
(`mirror.ResultMirror`) every second and once more at the end."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from fusion_tui.base.rundir import RunPaths
from fusion_tui.kinds.formats.mirror import ResultMirror
from fusion_tui.monitor.progress import ProgressState

SYNC_SECONDS = 1.0
Say = Callable[[str], None]
# What the run says of its folder (for messages) and the folder when it may be copied
# (None: not inside the simulator's data/output); None while nothing is known yet.
Locate = Callable[[ProgressState], tuple[str, Path | None] | None]


class FolderFollower:
    """Copies the result files of the folder `locate` finds into output/."""

    def __init__(self, paths: RunPaths, limit: int, say: Say, locate: Locate) -> None:
        self.paths = paths
        self.mirror = ResultMirror(paths.output, limit=limit)
        self._say = say
        self._locate = locate
        self._from: tuple[str, Path | None] | None = None
        self._next_sync = 0.0

    def sync(self, progress: ProgressState, *, now: bool = False) -> None:
        if not now and time.monotonic() < self._next_sync:
            return
        self._next_sync = time.monotonic() + SYNC_SECONDS
        found = self._locate(progress)
        if found is None or (found[1] is None and not os.path.lexists(found[0])):
            return  # not known yet, or not made yet (the 5.5 line names it first)
        if self._from is None or self._from[0] != found[0]:
            self._from = found
            if found[1] is None:
                self._say(f"not copying results from {found[0]!r}: not inside the "
                          "simulator's data/output folder")
        source = self._from[1]
        if source is not None:
            self.mirror.sync(source)
            if self.mirror.problem:
                self._say(self.mirror.problem)
                self.mirror.problem = None
            if note := self.mirror.new_note():
                self._say(note)

    def note(self) -> str | None:
        return self.mirror.note()
