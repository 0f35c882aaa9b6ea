"""Stopping and removing runs: cancel one or many (each through its executor), and
delete a finished run's row and folder, all or nothing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.base.tree_removal import Listing, Unremovable, list_removable, remove_listed
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


CHUNK = 2000  # runs set aside, then deleted in one transaction
REMOVERS = 4  # threads removing deleted runs' folders


def _aside(root: str) -> str:
    """Where a run folder waits while its row is deleted (`db check` knows the name)."""
    return os.path.join(os.path.dirname(root), f".{os.path.basename(root)}.deleting")


def _put_back(run: Run) -> None:
    os.rename(_aside(run.run_dir), run.run_dir)


def _take_aside(run: Run) -> Listing | None:
    """Rename `run`'s folder aside (atomic) once it is known it can be fully removed; how
    it was listed, or None when the run has no folder of its own (named for it, a folder,
    not a link). FaultError when it cannot, with nothing changed."""
    root = run.run_dir
    if os.path.basename(root) != run.id:
        return None
    try:
        listing = list_removable(root)
        if listing is not None:
            os.rename(root, _aside(root))
    except Unremovable as exc:
        raise FaultError(f"cannot delete run {run.id}: {exc}; nothing was changed") from None
    except OSError as exc:
        raise FaultError(f"cannot delete run {run.id}: {describe_os_error(exc)}; "
                         "nothing was changed") from None
    return listing


def _remove_aside(run: Run, listing: Listing) -> str | None:
    """Remove a deleted run's folder set aside, as listed; one line when some of it stays."""
    aside = _aside(run.run_dir)
    failures = remove_listed(aside, listing)
    if failures:
        return (f"run {run.id} deleted, but {aside} could not be fully removed "
                f"({failures[0]}); remove it by hand")
    return None


def _remove_all(aside: list[tuple[Run, Listing]]) -> list[str]:
    """Remove deleted runs' folders set aside; one line for each that stays in part."""
    return [p for run, listing in aside if (p := _remove_aside(run, listing))]


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

    def delete_many(self, runs: Sequence[Run], *, chunk: int = CHUNK) -> Deleted:
        """Remove many finished runs' rows and folders (`clean`), `chunk` at a time: as
        `delete`, each folder renamed aside first, then the chunk's rows deleted in one
        transaction, then the folders removed. A kill at any moment leaves what `delete`
        killed would: folders aside whose rows stayed (`db check --repair` puts them
        back) or without rows (it removes them). A run that cannot be deleted is named
        in one line and the others still are.

        The folders of a deleted chunk are removed on `REMOVERS` threads while the next
        chunk is set aside and deleted here: removing waits on the disk (its threads
        overlap their waits), setting aside and the database mostly on the processor."""
        done = Deleted()
        removing: list[Future[list[str]]] = []
        with ThreadPoolExecutor(max_workers=REMOVERS) as pool:
            for first in range(0, len(runs), chunk):
                ready = self._set_aside(runs[first:first + chunk], done.problems)
                try:
                    gone = set(self.ctx.store.delete_finished_many([r.id for r, _ in ready]))
                except BaseException:
                    for run, listing in ready:
                        if listing is not None:
                            _put_back(run)
                    raise
                taken: list[tuple[Run, Listing]] = []
                for run, listing in ready:
                    if run.id not in gone:
                        if listing is not None:
                            _put_back(run)
                        done.problems.append(f"run {run.id} changed state; try again")
                        continue
                    done.deleted.append(run.id)
                    if listing is not None:
                        taken.append((run, listing))
                removing += [pool.submit(_remove_all, taken[i::REMOVERS])
                             for i in range(min(REMOVERS, len(taken)))]
        done.problems += [p for f in removing for p in f.result()]
        return done

    def _release(self, run: Run) -> None:
        """Check that `run` may be deleted and let its executor release it."""
        self.ctx.check_owner(run, "delete")
        if run.status not in FINISHED_STATUSES:
            raise InvalidState(f"run {run.id} is {run.status}; cancel it before deleting")
        self.ctx.executor(run.executor).release(run)

    def _set_aside(self, runs: Sequence[Run],
                   problems: list[str]) -> list[tuple[Run, Listing | None]]:
        """The runs that may go on to have their rows deleted, each with the listing of
        its folder renamed aside (None: it has none); one line in `problems` for each of
        the others, left as it was."""
        ready: list[tuple[Run, Listing | None]] = []
        for run in runs:
            try:
                self._release(run)
                ready.append((run, _take_aside(run)))
            except (RunError, FaultError) as exc:
                problems.append(str(exc))
        return ready

    def delete(self, run_id: str) -> None:
        """Remove a finished run's row and directory, all or nothing. Never signals a
        process; its executor lets go of it first (see `Executor.release`).

        The folder is first renamed aside (atomic), then the row deleted; if the row
        cannot be deleted the folder is put back. What cannot be removed afterwards is
        named in one line.
        """
        run = self.ctx.get(run_id)
        self._release(run)
        listing = _take_aside(run)
        try:
            deleted = self.ctx.store.delete_finished(run.id)
        except BaseException:
            if listing is not None:
                _put_back(run)
            raise
        if not deleted:
            if listing is not None:
                _put_back(run)
            raise InvalidState(f"run {run.id} changed state; try again")
        if listing is not None and (problem := _remove_aside(run, listing)):
            raise FaultError(problem)
