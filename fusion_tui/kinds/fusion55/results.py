"""Where a run of FUSION's 5.5 line leaves its results, which it never names in a line of
its own: `<checkout>/data/output/<network>/<MMDD>/<time>/` (tag v5.5.1 adds a `s1/`
level). Its start lines give `<MMDD>/<time>` (`loglines.py`); without them, the newest
such folder made after the simulator started. Only a folder inside the checkout's
`data/output/` is ever taken (`mirror.allowed_source`), and it is followed into the run's
`output/` like FUSION 6.1's (`formats/follower.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fusion_tui.base.documents import LaunchRecord, ProcessRecord
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.safefile import read_text
from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
from fusion_tui.kinds.formats.follower import FolderFollower, Say
from fusion_tui.kinds.formats.mirror import allowed_source
from fusion_tui.monitor.progress import ProgressState

# A folder made this long before the simulator's start time is not its (the clock of the
# filesystem and of /proc agree to about a tick).
_SLACK_SECONDS = 1.0


def _network(paths: RunPaths) -> str | None:
    try:
        sections, _ = parse_ini(read_text(paths.config, TEMPLATE_LIMIT), "config")
    except (OSError, UnicodeDecodeError, ConfigError):
        return None
    network = sections.get("topology_settings", {}).get("network", "").strip()
    return network if network and "/" not in network and network not in (".", "..") else None


def _newest_since(tree: Path, since: float) -> Path | None:
    """The newest `<MMDD>/<time>` folder under `tree` made at or after `since`."""
    best: tuple[float, Path] | None = None
    try:
        days = [e for e in os.scandir(tree) if e.is_dir(follow_symlinks=False)]
        for day in days:
            for entry in os.scandir(day.path):
                if not entry.is_dir(follow_symlinks=False):
                    continue
                made = entry.stat(follow_symlinks=False).st_mtime
                if made >= since - _SLACK_SECONDS and (best is None or made > best[0]):
                    best = (made, Path(entry.path))
    except OSError:
        return None
    if best is None:
        return None
    thread = best[1] / "s1"  # tag v5.5.1's level
    return thread if thread.is_dir() and not thread.is_symlink() else best[1]


def locate(paths: RunPaths, progress: ProgressState) -> tuple[str, Path | None] | None:
    """(the folder as found, the folder when it lies inside the checkout's data/output),
    or None while it cannot be told yet."""
    launch = LaunchRecord.read(paths.launch)
    cwd = Path(launch.cwd) if launch is not None and launch.cwd else None
    network = _network(paths)
    if cwd is None or network is None:
        return None
    tree = cwd / "data" / "output" / network
    if progress.output_dir is not None:
        folder = tree / progress.output_dir
    else:
        started = ProcessRecord.read(paths.process).simulator
        found = _newest_since(tree, started[1]) if started is not None else None
        if found is None:
            return None
        folder = found
    return str(folder), allowed_source(str(folder), cwd)


def result_folder(paths: RunPaths, progress: ProgressState) -> Path | None:
    found = locate(paths, progress)
    return found[1] if found is not None else None


def follower(paths: RunPaths, limit: int, say: Say) -> FolderFollower:
    return FolderFollower(paths, limit, say, lambda progress: locate(paths, progress))
