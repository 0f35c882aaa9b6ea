"""RunManager: create, queue, start, cancel, delete and reconcile runs (seed 004, fixed).

The manager never waits on a simulator: a detached supervisor per run owns the process
and records its outcome. Clients (the TUI, the CLI) only view and request. It speaks to
executors only through their interface (`executors/executor.py`); this facade composes
the parts, one job each: `creating`, `scheduling`, `removing`, `labelling`,
`reconciling`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from fusion_tui.base.owner import current_user
from fusion_tui.base.recorder_handover import RecorderHandover
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.config.overrides import Override
from fusion_tui.config.templates import RunConfig
from fusion_tui.executors import registry
from fusion_tui.executors.executor import Cancelled, CycleReport, Executor, Support
from fusion_tui.runs.context import RunContext
from fusion_tui.runs.creating import Creator, PlannedRun, StartConditions, start_conditions
from fusion_tui.runs.labelling import Labeller
from fusion_tui.runs.lending import FolderEvidence, progress_of
from fusion_tui.runs.reconciling import Reconciled, Reconciler
from fusion_tui.runs.removing import Deleted, Remover
from fusion_tui.runs.scheduling import Scheduler
from fusion_tui.store.labels import TagEdit
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore


class RunManager:
    """The run lifecycle over a store and the executors."""

    def __init__(self, settings: Settings, store: RunStore, *,
                 command_env: Mapping[str, str] | None = None,
                 command_timeout: float | None = None,
                 recorders: RecorderHandover | None = None) -> None:
        """`command_env` and `command_timeout` are for the commands an executor asks its
        scheduler with (tests put stand-ins first on PATH); `recorders` is given by a
        recorder helper, which hands a warm helper to each supervisor it starts."""
        self.settings = settings
        self.store = store
        self.user = current_user()
        self.hostname = socket.gethostname()
        support = Support(user=self.user, hostname=self.hostname, progress=progress_of,
                          evidence=FolderEvidence(),
                          queue=lambda run_ids: self.start_queued(run_ids),
                          slot_freed=lambda: self.schedule(), recorders=recorders)
        self.ctx = RunContext(settings, store, support,
                              registry.create(settings, store, support, env=command_env,
                                              timeout=command_timeout))
        self._creator = Creator(self.ctx)
        self._scheduler = Scheduler(self.ctx)
        self._remover = Remover(self.ctx)
        self._reconciler = Reconciler(self.ctx, self.schedule, self._scheduler.end_blocked)
        self._labeller = Labeller(self.ctx)

    @property
    def last_watch(self) -> CycleReport:
        """What the last watch cycle did (for the app's status line)."""
        return self._reconciler.last_watch

    @property
    def executors(self) -> Mapping[str, Executor]:
        return self.ctx.executors

    def executor(self, name: str) -> Executor:
        return self.ctx.executor(name)

    def is_mine(self, run: Run) -> bool:
        return self.ctx.is_mine(run)

    def check_owner(self, run: Run, action: str) -> None:
        self.ctx.check_owner(run, action)

    # -- lookup ------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        return self.ctx.get(run_id)

    def resolve(self, ref: str) -> Run:
        return self.ctx.resolve(ref)

    def paths(self, run: Run) -> RunPaths:
        return self.ctx.paths(run)

    # -- create and start (`creating`, `scheduling`) -----------------------------------

    def prepare(self, template: str, *, overrides: Iterable[str | Override] = (),
                config_text: str | None = None, run_id: str | None = None) -> RunConfig:
        return self._creator.prepare(template, overrides=overrides, config_text=config_text,
                                     run_id=run_id)

    def plan(self, template: str, *, name: str | None = None,
             overrides: Sequence[str | Override] = (), config_text: str | None = None,
             executor: str | None = None,
             executor_options: Mapping[str, str | None] | None = None,
             check_executor: bool = True, after: Sequence[Run] = (),
             start_after: datetime | None = None) -> PlannedRun:
        return self._creator.plan(template, name=name, overrides=overrides,
                                  config_text=config_text, executor=executor,
                                  executor_options=executor_options,
                                  check_executor=check_executor, after=after,
                                  start_after=start_after)

    def start_conditions(self, executor: str, after: Sequence[Run],
                         start_after: datetime | None) -> StartConditions:
        """What new runs on `executor` wait for, checked (a sweep's runs all alike)."""
        return start_conditions(self.executor(executor), after, start_after)

    def materialize(self, plan: PlannedRun, *, durable: bool = True,
                    at: RunPaths | None = None) -> Run:
        return self._creator.materialize(plan, durable=durable, at=at)

    def create(self, template: str, *, name: str | None = None,
               overrides: Sequence[str | Override] = (),
               config_text: str | None = None, executor: str | None = None,
               executor_options: Mapping[str, str | None] | None = None,
               origin: Run | None = None, after: Sequence[Run] = (),
               start_after: datetime | None = None) -> Run:
        return self._creator.create(template, name=name, overrides=overrides,
                                    config_text=config_text, executor=executor,
                                    executor_options=executor_options, origin=origin,
                                    after=after, start_after=start_after)

    def restart(self, run_id: str) -> Run:
        return self._creator.restart(run_id)

    def frozen_config(self, run: Run, action: str) -> str:
        return self._creator.frozen_config(run, action)

    def schedule(self, now: datetime | None = None, *, end_blocked: bool = True) -> list[Run]:
        return self._scheduler.schedule(now, end_blocked=end_blocked)

    def start_queued(self, run_ids: Sequence[str]) -> None:
        self._scheduler.start_queued(run_ids)

    # -- cancel and delete (`removing`) ------------------------------------------------

    def cancel(self, run_id: str) -> Run:
        """Cancel a run; a queued run ends at once, and so do the queued runs that were
        to start after it, and a timer left with no queued run."""
        run = self._remover.cancel(run_id)
        self._scheduler.end_blocked()
        self._scheduler.end_idle_timers()
        return run

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        done = self._remover.cancel_many(runs)
        self._scheduler.end_blocked()
        self._scheduler.end_idle_timers()
        return done

    def delete(self, run_id: str) -> None:
        """Delete a run; the queued runs that were to start after it end at once."""
        self._remover.delete(run_id)
        self._scheduler.end_blocked()

    def delete_many(self, runs: Sequence[Run]) -> Deleted:
        done = self._remover.delete_many(runs)
        self._scheduler.end_blocked()
        return done

    # -- tags and notes (`labelling`) ---------------------------------------------------

    def edit_tags(self, runs: Sequence[Run], edit: TagEdit) -> dict[str, list[str]]:
        return self._labeller.edit_tags(runs, edit)

    def set_note(self, run: Run, text: str | None) -> str | None:
        return self._labeller.set_note(run, text)

    # -- reconcile and watch (`reconciling`) -------------------------------------------

    def reconcile_run(self, run: Run) -> Reconciled | None:
        return self._reconciler.reconcile_run(run)

    def reconcile(self, *, schedule: bool = True) -> list[Reconciled]:
        return self._reconciler.reconcile(schedule=schedule)

    def watch(self, *, force: bool = False) -> CycleReport:
        return self._reconciler.watch(force=force)

    def wait(self, run_id: str, *, timeout: float | None = None, poll: float = 0.25) -> Run:
        return self._reconciler.wait(run_id, timeout=timeout, poll=poll)
