"""What every part of the run manager shares: settings, store, the calling user and
host, the executors, and finding a run (by id or prefix) and whose it is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.ids import check_run_id, is_run_id
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import Executor, Support
from fusion_tui.runs.errors import NotYours, RunNotFound
from fusion_tui.store.models import Run
from fusion_tui.store.query import RunQuery
from fusion_tui.store.runs_repo import RunStore

# What stands for the calling user's newest run (or sweep) wherever an id is taken.
LAST = ("@last", "-")


@dataclass
class RunContext:
    settings: Settings
    store: RunStore
    support: Support  # what the executors are lent: the calling user and host among it
    executors: Mapping[str, Executor]

    @property
    def user(self) -> str:
        return self.support.user

    @property
    def hostname(self) -> str:
        return self.support.hostname

    def executor(self, name: str) -> Executor:
        """The executor of that name; ConfigError naming those there are."""
        found = self.executors.get(name)
        if found is None:
            raise ConfigError(f"executor: expected one of {', '.join(self.executors)}, "
                              f"got {name!r}")
        return found

    def is_mine(self, run: Run) -> bool:
        """Whether `run` is the calling user's (a run with no recorded owner is everyone's).

        Only a user's own runs are adopted, settled, signalled or started by their
        processes: another user's folder may be closed to us (umask 077), and a supervisor
        we started for their run would be ours, not theirs.
        """
        return self.support.is_mine(run)

    def check_owner(self, run: Run, action: str) -> None:
        """Refuse to act on another user's run (we could not signal its processes)."""
        if not self.is_mine(run):
            raise NotYours(f"run {run.id} belongs to {run.owner}; only they can {action} it")

    def get(self, run_id: str) -> Run:
        run = self.store.get(check_run_id(run_id)) if is_run_id(run_id) else None
        if run is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return run

    def resolve(self, ref: str) -> Run:
        """A run by full id, unique id prefix (at least 4 characters), or `@last` (also
        `-`): the calling user's newest run."""
        if ref in LAST:
            newest = self.store.list_runs(RunQuery(owner=self.user), limit=1)
            if not newest:
                raise RunNotFound(f"{ref}: you have no runs yet")
            return newest[0]
        if is_run_id(ref):
            return self.get(ref)
        if any(c not in "0123456789abcdef" for c in ref) or not ref:
            raise RunNotFound(f"invalid run id {ref!r}: expected 12 hex characters")
        if len(ref) < 4:
            raise RunNotFound(f"run id prefix {ref!r} is too short: a prefix needs at least 4 "
                              "characters")
        matches = self.store.find_by_prefix(ref)
        if not matches:
            raise RunNotFound(f"no run with id {ref!r}")
        if len(matches) > 1:
            raise RunNotFound(f"run id prefix {ref!r} is ambiguous")
        return matches[0]

    @staticmethod
    def paths(run: Run) -> RunPaths:
        return RunPaths(Path(run.run_dir))
