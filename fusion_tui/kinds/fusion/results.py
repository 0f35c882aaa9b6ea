"""FUSION's results, followed while a run goes: the folder its log names (`Saving to:`)
is checked (`mirror.allowed_source`) and copied, bounded, into the run's `output/`
(`mirror.ResultMirror`) every second and once more at the end."""

from __future__ import annotations

import time
from pathlib import Path

from fusion_tui.base.documents import LaunchRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.kinds.formats.mirror import ResultMirror, allowed_source
from fusion_tui.kinds.kind import Say
from fusion_tui.monitor.progress import ProgressState

SYNC_SECONDS = 1.0


def fusion_folder(paths: RunPaths, progress: ProgressState) -> Path | None:
    """FUSION's own result folder for the run: the one its log names, when it lies inside
    the checkout the run was started in."""
    if progress.output_dir is None:
        return None
    launch = LaunchRecord.read(paths.launch)
    cwd = launch.cwd if launch is not None else None
    return allowed_source(progress.output_dir, Path(cwd) if cwd is not None else None)


class FusionResults:
    """Copies FUSION's result files (its log names their folder) into output/."""

    def __init__(self, paths: RunPaths, limit: int, say: Say) -> None:
        self.paths = paths
        self.mirror = ResultMirror(paths.output, limit=limit)
        self._say = say
        self._from: tuple[str, Path | None] | None = None
        self._next_sync = 0.0

    def sync(self, progress: ProgressState, *, now: bool = False) -> None:
        logged = progress.output_dir
        if logged is None or (not now and time.monotonic() < self._next_sync):
            return
        self._next_sync = time.monotonic() + SYNC_SECONDS
        if self._from is None or self._from[0] != logged:
            source = fusion_folder(self.paths, progress)
            self._from = (logged, source)
            if source is None:
                self._say(f"not copying results from {logged!r}: not inside the simulator's "
                          "data/output folder")
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
