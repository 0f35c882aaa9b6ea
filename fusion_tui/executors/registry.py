"""Every executor by name: the one place that knows the implementations (an import-linter
contract keeps it so). Another executor is one more entry here, and its description one
more in `descriptions.py`."""

from __future__ import annotations

from collections.abc import Mapping

from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import Executor, Support
from fusion_tui.executors.local.executor import LocalExecutor
from fusion_tui.executors.slurm.executor import SlurmExecutor
from fusion_tui.store.runs_repo import RunStore


def create(settings: Settings, store: RunStore, support: Support, *,
           env: Mapping[str, str] | None = None,
           timeout: float | None = None) -> dict[str, Executor]:
    """One executor of each kind over `store`. `env` and `timeout` are for the commands
    an executor asks its scheduler with (the caller's environment, and each command's own
    limit, by default)."""
    executors: list[Executor] = [
        LocalExecutor(settings, store, support),
        SlurmExecutor(settings, store, support, env=env, timeout=timeout),
    ]
    return {e.name: e for e in executors}
