"""Stopping and removing runs: cancel one or many (each through its executor), and
delete a finished run's row and folder, all or nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.executors.executor import Cancelled
from fusion_tui.runs.context import RunContext
from fusion_tui.runs.errors import InvalidState, RunError
from fusion_tui.store.models import Run
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus


@dataclass
class Deleted:
    """What a bulk delete did: the runs deleted, and one line per run it could not."""

    deleted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _aside(root: Path) -> Path:
    """Where a run folder waits while its row is deleted (`db check` knows the name)."""
    return root.with_name(f".{root.name}.deleting")


def _put_back(run: Run) -> None:
    root = Path(run.run_dir)
    os.rename(_aside(root), root)


def _remove_aside(run: Run) -> str | None:
    """Remove a deleted run's folder set aside; one line when some of it stays."""
    aside = _aside(Path(run.run_dir))
    failures: list[str] = []
    shutil.rmtree(aside, onerror=lambda _f, path, info: failures.append(
        f"{path}: {getattr(info[1], 'strerror', None) or info[1]}"))
    if failures:
        return (f"run {run.id} deleted, but {aside} could not be fully removed "
                f"({failures[0]}); remove it by hand")
    return None


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

    def delete_many(self, runs: Sequence[Run], *, chunk: int = 2000) -> Deleted:
        """Remove many finished runs' rows and folders (`clean`), `chunk` at a time: as
        `delete`, each folder renamed aside first, then the chunk's rows deleted in one
        transaction, then the folders removed. A kill at any moment leaves what `delete`
        killed would: folders aside whose rows stayed (`db check --repair` puts them
        back) or without rows (it removes them). A run that cannot be deleted is named
        in one line and the others still are. The file system calls of a chunk go on
        8 threads: they wait on the disk, and overlapped they take a fraction of the time."""
        done = Deleted()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for first in range(0, len(runs), chunk):
                candidates: list[tuple[Run, bool]] = []  # each run, and whether it has a folder
                for run in runs[first:first + chunk]:
                    try:
                        candidates.append((run, self._deletable(run)))
                    except (RunError, FaultError) as exc:
                        done.problems.append(str(exc))
                ready = self._set_aside(pool, candidates, done.problems)
                try:
                    gone = set(self.ctx.store.delete_finished_many([r.id for r, _ in ready]))
                except BaseException:
                    for run, owned in ready:
                        if owned:
                            _put_back(run)
                    raise
                for run, owned in ready:
                    if run.id not in gone:
                        if owned:
                            _put_back(run)
                        done.problems.append(f"run {run.id} changed state; try again")
                done.deleted += [r.id for r, _ in ready if r.id in gone]
                removed = pool.map(_remove_aside, [r for r, owned in ready
                                                   if owned and r.id in gone])
                done.problems += [p for p in removed if p]
        return done

    def _deletable(self, run: Run) -> bool:
        """Check that `run` may be deleted and let its executor release it; whether it has
        a folder of its own to remove."""
        self.ctx.check_owner(run, "delete")
        if run.status not in FINISHED_STATUSES:
            raise InvalidState(f"run {run.id} is {run.status}; cancel it before deleting")
        self.ctx.executor(run.executor).release(run)
        root = Path(run.run_dir)
        return root.name == run.id and root.is_dir() and not root.is_symlink()

    @staticmethod
    def _set_aside(pool: ThreadPoolExecutor, candidates: list[tuple[Run, bool]],
                   problems: list[str]) -> list[tuple[Run, bool]]:
        """Rename the candidates' folders aside (in `pool`); those that may go on to
        have their rows deleted. One that cannot be removed is left as it was."""
        def move(item: tuple[Run, bool]) -> str | None:
            run, owned = item
            if not owned:
                return None
            root = Path(run.run_dir)
            try:
                _check_removable(run.id, root)
                os.rename(root, _aside(root))
            except FaultError as exc:
                return str(exc)
            except OSError as exc:
                return (f"cannot delete run {run.id}: {describe_os_error(exc)}; "
                        "nothing was changed")
            return None

        outcomes = list(pool.map(move, candidates))
        problems += [p for p in outcomes if p]
        return [c for c, problem in zip(candidates, outcomes, strict=True) if problem is None]

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
        aside = _aside(root)
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
