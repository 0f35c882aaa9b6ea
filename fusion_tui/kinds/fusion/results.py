"""FUSION 6.1's result folder: the one its log names (`Saving to:`), when it lies inside
the checkout the run was started in; followed into the run's `output/` by
`formats/follower.py`."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.documents import LaunchRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.kinds.formats.follower import FolderFollower, Say
from fusion_tui.kinds.formats.mirror import allowed_source
from fusion_tui.monitor.progress import ProgressState


def fusion_folder(paths: RunPaths, progress: ProgressState) -> Path | None:
    """FUSION's own result folder for the run: the one its log names, when it lies inside
    the checkout the run was started in."""
    if progress.output_dir is None:
        return None
    launch = LaunchRecord.read(paths.launch)
    cwd = launch.cwd if launch is not None else None
    return allowed_source(progress.output_dir, Path(cwd) if cwd is not None else None)


def follower(paths: RunPaths, limit: int, say: Say) -> FolderFollower:
    def locate(progress: ProgressState) -> tuple[str, Path | None] | None:
        logged = progress.output_dir
        return None if logged is None else (logged, fusion_folder(paths, progress))

    return FolderFollower(paths, limit, say, locate)
