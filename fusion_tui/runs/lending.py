"""What the run manager lends its executors (`executors.executor.Support`): how a run's
progress is read and how its folder is judged, both the runs layer's (and the kind of
run's) rules, which an executor that settles runs itself applies without owning them."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.executor import ProgressSource
from fusion_tui.kinds.registry import kind_of_run
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.runs import evidence
from fusion_tui.runs.evidence import Outcome


def progress_of(paths: RunPaths) -> ProgressSource:
    """The kind of run's tracker: its progress file, or its simulator's log lines."""
    return kind_of_run(paths).tracker(paths)


class FolderEvidence:
    """`runs/evidence.py` as the executors' `Evidence`."""

    def recorded(self, paths: RunPaths) -> tuple[Outcome, str | None] | None:
        return evidence.supervisor_outcome(paths)

    def exit_status(self, paths: RunPaths) -> tuple[int | None, str | None] | None:
        return evidence.recorded_exit(paths)

    def ended(self, paths: RunPaths, *, code: int | None, spawn_error: str | None,
              cancelled: bool, progress: ProgressState) -> Outcome:
        return evidence.decide(code=code, spawn_error=spawn_error, cancel_requested=cancelled,
                               started=True, progress=progress, paths=paths)

    def held(self, status: str, error: str, paths: RunPaths,
             progress: ProgressState) -> Outcome:
        return evidence.with_results(Outcome(status, None, error), paths, progress)

    def tail(self, path: Path) -> str:
        return evidence.tail_text(path)

    def last_line(self, path: Path) -> str | None:
        return evidence.last_line(path)
