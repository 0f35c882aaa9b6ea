"""What every part of the run manager shares: settings, store, the calling user and
host, the executors, and finding a run (by id or prefix) and whose it is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.ids import check_run_id
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import Executor, Support
from fusion_tui.runs.errors import NotYours
from fusion_tui.runs.finding import find_run, get_run
from fusion_tui.store.models import Run
from fusion_tui.store.query import RunQuery
from fusion_tui.store.runs_repo import RunStore


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
        return get_run(run_id, lambda found: self.store.get(check_run_id(found)))

    def resolve(self, ref: str) -> Run:
        """A run by full id, unique id prefix (at least 4 characters), or `@last` (also
        `-`): the calling user's newest run."""
        return find_run(ref, newest=lambda: self.store.list_runs(RunQuery(owner=self.user),
                                                                 limit=1),
                        get=self.store.get, by_prefix=self.store.find_by_prefix)

    @staticmethod
    def paths(run: Run) -> RunPaths:
        return RunPaths(Path(run.run_dir))
