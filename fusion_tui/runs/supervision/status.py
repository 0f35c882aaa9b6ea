"""The supervisor's `status.json` (`base/documents.StatusRecord`): kept in memory, written
whole on every change; a failed write is retried later, never fatal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fusion_tui.base.documents import STARTING, Identity, StatusRecord
from fusion_tui.base.rundir import write_json_atomic
from fusion_tui.runs.background import say

RETRY_SECONDS = 2.0


class StatusFile:
    def __init__(self, path: Path, run_id: str, supervisor: Identity) -> None:
        self.path = path
        self.record = StatusRecord(run_id=run_id, state=STARTING, supervisor_pid=supervisor[0],
                                   supervisor_started=supervisor[1])
        self.dirty = False
        self._retry_at = 0.0

    def update(self, **changes: Any) -> None:
        """Change the record in memory only (the next save writes it)."""
        self.record = self.record._replace(**changes)

    def save(self, **changes: Any) -> None:
        """Change the record and write it now."""
        self.update(**changes)
        self.dirty = True
        self.flush(force=True)

    def flush(self, *, force: bool = False) -> None:
        """Write what is not on disk yet; unless `force`, not before the retry time."""
        if not self.dirty or (not force and time.monotonic() < self._retry_at):
            return
        try:
            write_json_atomic(self.path, self.record.to_json())
        except OSError as exc:
            if not force or self._retry_at == 0.0:
                say("supervisor", f"cannot write status.json ({exc.strerror or exc}); "
                                  "will retry")
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return
        self.dirty = False
        self._retry_at = 0.0
