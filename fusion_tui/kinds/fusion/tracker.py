"""A FUSION run's progress: its log lines (FUSION 6.1 writes no progress file), or
`progress.jsonl` should a FUSION version write one. What `FusionKind.tracker` gives."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.monitor import tracker


class ProgressTracker(tracker.ProgressTracker):
    def __init__(self, progress_file: Path, log_file: Path,
                 config_file: Path | None = None) -> None:
        super().__init__(progress_file, log_file, config_file, FusionLogParser())
