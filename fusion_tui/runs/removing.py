"""Stopping and removing runs: cancel one or many (each through its executor), and
delete a finished run's row and folder, all or nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.executors.executor import Cancelled
from fusion_tui.runs.context import RunContext
from fusion_tui.runs.errors import InvalidState
from fusion_tui.store.models import Run
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus


def _check_removable(run_id: str, root: Path) -> None:
    """Refuse, before anything changes, a folder we could not fully remove."""
    for folder, dirs, _files in os.walk(root):
        path = Path(folder)
        if path != root and os.path.ismount(path):
            raise FaultError(f"cannot delete run {run_id}: {path} is a mount point; "
                             "nothing was changed")
        if not os.access(path, os.W_OK | os.X_OK):
            raise FaultError(f"cannot delete run {run_id}: {path} is not writable; "
                             "nothing was changed")
        dirs[:] = [d for d in dirs if not (path / d).is_symlink()]


class Remover:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def cancel(self, run_id: str) -> Run:
        """Ask a run to stop, through its executor; returns once the executor has taken
        the cancel on (see each executor's `cancel`)."""
        run = self.ctx.get(run_id)
        self.ctx.check_owner(run, "cancel")
        if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            raise InvalidState(f"run {run.id} is already {run.status}")
        done = self.ctx.executor(run.executor).cancel(run)
        if done is None:
            raise InvalidState(f"run {run.id} is already {self.ctx.get(run.id).status}")
        return done

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        """Cancel many runs (a sweep's), each executor's at once (a batch scheduler's in
        one request per job array); the ids asked to stop, and what could not be cancelled."""
        for run in runs:
            self.ctx.check_owner(run, "cancel")
        asked: list[str] = []
        problems: list[str] = []
        for name in dict.fromkeys(r.executor for r in runs):
            done = self.ctx.executor(name).cancel_many([r for r in runs if r.executor == name])
            asked += done.asked
            problems += done.problems
        return Cancelled(asked, problems)

    def delete(self, run_id: str) -> None:
        """Remove a finished run's row and directory, all or nothing. Never signals a
        process; its executor lets go of it first (see `Executor.release`).

        The folder is first renamed aside (atomic), then the row deleted; if the row
        cannot be deleted the folder is put back. What cannot be removed afterwards is
        named in one line.
        """
        run = self.ctx.get(run_id)
        self.ctx.check_owner(run, "delete")
        if run.status not in FINISHED_STATUSES:
            raise InvalidState(f"run {run.id} is {run.status}; cancel it before deleting")
        self.ctx.executor(run.executor).release(run)
        root = Path(run.run_dir)
        owned = root.name == run.id and root.is_dir() and not root.is_symlink()
        aside = root.with_name(f".{run.id}.deleting")
        if owned:
            _check_removable(run.id, root)
            try:
                os.rename(root, aside)
            except OSError as exc:
                raise FaultError(f"cannot delete run {run.id}: {describe_os_error(exc)}; "
                                 "nothing was changed") from None
        try:
            deleted = self.ctx.store.delete_finished(run.id)
        except BaseException:
            if owned:
                os.rename(aside, root)
            raise
        if not deleted:
            if owned:
                os.rename(aside, root)
            raise InvalidState(f"run {run.id} changed state; try again")
        if owned:
            failures: list[str] = []
            shutil.rmtree(aside, onerror=lambda _f, path, info: failures.append(
                f"{path}: {getattr(info[1], 'strerror', None) or info[1]}"))
            if failures:
                raise FaultError(f"run {run.id} deleted, but {aside} could not be fully removed "
                                 f"({failures[0]}); remove it by hand")
