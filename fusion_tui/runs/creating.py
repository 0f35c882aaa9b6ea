"""Making runs: validate a template (and overrides, and what is asked of the executor),
make the run's folder and row, and hand it to its executor.

Any problem is a ConfigError (one line) before anything exists; a failure half-way
removes what was made (`runs/staging.py`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.documents import LaunchRecord
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import new_run_id
from fusion_tui.base.rundir import RunPaths, json_text, write_json_atomic, write_new
from fusion_tui.base.safefile import read_text
from fusion_tui.config.overrides import Override, parse_overrides
from fusion_tui.config.templates import (
    META_KEYS,
    META_SECTION,
    RunConfig,
    Template,
    build_config,
    config_from_ini,
    load_template,
)
from fusion_tui.executors.descriptions import DESCRIPTIONS
from fusion_tui.executors.executor import Executor, QueuedExecutor, RunOptions
from fusion_tui.kinds.registry import kind_for
from fusion_tui.runs.context import RunContext
from fusion_tui.runs.naming import check_name
from fusion_tui.runs.provenance import config_hash, provenance
from fusion_tui.runs.staging import Batch
from fusion_tui.store.models import Run, RunDependency
from fusion_tui.store.status import RunStatus, local_text, utcnow


@dataclass
class PlannedRun:
    """A validated run not yet made: everything `materialize` needs."""

    run_id: str
    name: str | None
    config: RunConfig
    executor: str
    options: RunOptions | None
    argv: list[str]
    cwd: Path | None
    paths: RunPaths
    origin_id: str | None = None
    sweep_id: str | None = None
    point: dict[str, str] | None = None
    needs: list[str] = field(default_factory=list)  # runs that must COMPLETE first
    start_after: datetime | None = None  # naive UTC: it starts no earlier


@dataclass(frozen=True)
class StartConditions:
    """When a new run may start: after `needs` have COMPLETED, not before `start_after`."""

    needs: list[str]
    start_after: datetime | None


def start_conditions(executor: Executor, after: Sequence[Run],
                     start_after: datetime | None) -> StartConditions:
    """Check what a new run on `executor` is to wait for; ConfigError with one line if
    it could never start. A needed run that has COMPLETED is no condition at all; one
    that ended otherwise is refused, and so is one the executor cannot wait for."""
    now = utcnow()
    if start_after is not None and start_after <= now:
        raise ConfigError(f"the start time {local_text(start_after)} has passed (it is "
                          f"{local_text(now)})")
    needs: list[str] = []
    for run in after:
        status = run.run_status
        if status == RunStatus.COMPLETED:
            continue
        if status.is_finished:
            raise ConfigError(f"--after: run {run.id} ended {run.status}, so a run after it "
                              "would never start")
        problem = executor.follow_problem(run)
        if problem is not None:
            raise ConfigError(f"--after: {problem}")
        needs.append(run.id)
    return StartConditions(sorted(set(needs)), start_after)


def _options_elsewhere(given: list[str], executor: str) -> str:
    """One line for options the run's executor does not take: whose they are, and how to
    ask for that executor."""
    takers = [d for d in DESCRIPTIONS.values() if set(given) <= {o.name for o in d.options}]
    if not takers:
        return (f"executor options were given ({', '.join(given)}) but the run's executor "
                f"is {executor}, which takes none")
    return (f"{takers[0].title} options were given but the run's executor is {executor} "
            f"(add --executor {takers[0].name})")


class Creator:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def prepare(self, template: str, *, overrides: Iterable[str | Override] = (),
                config_text: str | None = None, run_id: str | None = None) -> RunConfig:
        """Validate a template (+ overrides, or a whole edited INI); nothing is created.

        The same validation as the simulator's own, for the simulator that will run it.
        """
        settings = self.ctx.settings
        parsed = [o if isinstance(o, Override) else None for o in overrides]
        texts = [o for o in overrides if isinstance(o, str)]
        merged = [o for o in parsed if o is not None] + parse_overrides(texts)
        run_dir = settings.runs_dir / (run_id or "new")
        if config_text is not None:
            tpl, _ = load_template(template, settings.template_dirs)
            return config_from_ini(config_text, tpl, run_dir, kind_for(tpl.simulator))
        return build_config(template, merged, settings.template_dirs, run_dir, kind_for)

    def plan(self, template: str, *, name: str | None = None,
             overrides: Sequence[str | Override] = (), config_text: str | None = None,
             executor: str | None = None,
             executor_options: Mapping[str, str | None] | None = None,
             check_executor: bool = True, after: Sequence[Run] = (),
             start_after: datetime | None = None) -> PlannedRun:
        """Validate everything about a new run; nothing is created.

        Any problem raises ConfigError (one line). `check_executor=False` skips asking
        the executor's scheduler (a sweep asks once for all its runs). The run waits for
        the runs `after` to COMPLETE and for `start_after` (`start_conditions`).
        """
        settings = self.ctx.settings
        name = check_name(name)
        run_id = new_run_id()
        config = self.prepare(template, overrides=overrides, config_text=config_text,
                              run_id=run_id)
        self._check_template(config.template)
        chosen = self.ctx.executor(executor or config.template.executor or settings.executor)
        given = sorted(k for k, v in (executor_options or {}).items() if v)
        if given and not chosen.description.options:
            raise ConfigError(_options_elsewhere(given, chosen.name))
        options = chosen.resolve(executor_options or {}, config.template.executor_options,
                                 config.template.name)
        paths = RunPaths.for_run(settings.runs_dir, run_id)
        launch = kind_for(config.simulator).launch(run_id, paths, settings)
        when = start_conditions(chosen, after, start_after)
        if check_executor:
            chosen.check(options)
        return PlannedRun(run_id, name, config, chosen.name, options, launch.argv, launch.cwd,
                          paths, needs=when.needs, start_after=when.start_after)

    def _check_template(self, template: Template) -> None:
        """Its `[fusion_tui]` keys: an executor that exists, options one of them takes."""
        executors = self.ctx.executors
        if template.executor is not None and template.executor not in executors:
            raise ConfigError.at(META_SECTION, "executor",
                                 f"expected one of {', '.join(executors)}, "
                                 f"got {template.executor!r}")
        known = list(dict.fromkeys([*META_KEYS, *(o.name for e in executors.values()
                                                  for o in e.description.options)]))
        for key, _ in template.options:
            if key not in known:
                raise ConfigError.at(META_SECTION, key,
                                     f"template {template.name!r}: not a fusion-tui key "
                                     f"(known: {', '.join(known)})")

    def materialize(self, plan: PlannedRun, *, durable: bool = True,
                    at: RunPaths | None = None) -> Run:
        """Make the run's folder (config.ini, launch.json) and its row object, not yet
        stored; a failure removes the folder.

        `at` builds the folder elsewhere (a staging area, `runs/staging.py`) to be renamed
        into `plan.paths` later; the row points at `plan.paths`. `durable=False` is for a
        batch (a sweep): the folder is new and unseen until the batch's rows are stored,
        so its files are written directly, and the caller makes them durable once
        (`os.sync()`) before storing the rows.
        """
        ctx = self.ctx
        config, paths = plan.config, at or plan.paths
        paths.create(parent_exists=at is not None or not durable)
        ini = config.to_ini()
        kind = kind_for(config.simulator)
        launch = LaunchRecord(tuple(plan.argv), str(plan.cwd) if plan.cwd else None,
                              config.simulator).to_json()
        try:
            if durable:
                write_atomic(paths.config, ini)
                write_json_atomic(paths.launch, launch)
            else:
                write_new(paths.config, ini)
                write_new(paths.launch, json_text(launch))
        except BaseException:
            shutil.rmtree(paths.root, ignore_errors=True)
            raise
        # A queued run is given its host when it starts; another, the host it was sent from.
        queued = isinstance(ctx.executor(plan.executor), QueuedExecutor)
        run = Run(
            id=plan.run_id, name=plan.name, status=RunStatus.PENDING,
            config_json=config.to_json(), template=config.template.name,
            simulator=config.simulator, executor=plan.executor, run_dir=str(plan.paths.root),
            created_at=utcnow(),
            total_erlangs=len(kind_for(config.simulator).loads(config.sections)),
            total_iterations=config.iterations, current_erlang_index=0, current_iteration=0,
            owner=ctx.user, hostname=None if queued else ctx.hostname,
            config_hash=config_hash(ini), seed=kind.seed(config.sections),
            provenance_json=json.dumps(provenance(ctx.settings, kind, plan.executor,
                                                  ctx.hostname)),
            origin_id=plan.origin_id, sweep_id=plan.sweep_id,
            point_json=json.dumps(plan.point) if plan.point is not None else None,
            start_after=plan.start_after,
        )
        run.needs = [RunDependency(run_id=plan.run_id, needs_id=n) for n in plan.needs]
        return run

    def create(self, template: str, *, name: str | None = None,
               overrides: Sequence[str | Override] = (),
               config_text: str | None = None, executor: str | None = None,
               executor_options: Mapping[str, str | None] | None = None,
               origin: Run | None = None, after: Sequence[Run] = (),
               start_after: datetime | None = None) -> Run:
        """Validate, make the run directory and row, and hand it to its executor (which
        queues it, or submits it at once)."""
        plan = self.plan(template, name=name, overrides=overrides, config_text=config_text,
                         executor=executor, executor_options=executor_options, after=after,
                         start_after=start_after)
        plan.origin_id = origin.id if origin is not None else None
        chosen = self.ctx.executor(plan.executor)
        batch = Batch(self.ctx.settings.runs_dir, [plan.run_id])  # a kill leaves nothing
        try:
            run = self.materialize(plan, at=batch.staged(plan.run_id))
            batch.place([plan.run_id])
            chosen.add(run, plan.paths, plan.options)
        except BaseException:
            batch.abandon()
            raise
        try:
            chosen.submit(run, plan.paths, plan.options)
        finally:
            batch.done()  # a refused run's row and folder are gone by now
        return self.ctx.get(run.id)

    def frozen_config(self, run: Run, action: str) -> str:
        """A run's frozen config.ini, or FaultError naming what could not be read."""
        try:
            return read_text(self.ctx.paths(run).config, 1 << 20)
        except (OSError, UnicodeDecodeError) as exc:
            raise FaultError(f"cannot {action} run {run.id}: its config.ini cannot be read "
                             f"({getattr(exc, 'strerror', None) or exc})") from None

    def restart(self, run_id: str) -> Run:
        """A new run with the same frozen config (and executor and its options) as
        `run_id`, linked to it; the original is left as it is."""
        run = self.ctx.get(run_id)
        self.ctx.check_owner(run, "restart")
        text = self.frozen_config(run, "restart")
        return self.create(run.template, name=run.name, config_text=text,
                           executor=run.executor,
                           executor_options=self.ctx.executor(run.executor).options_of(run),
                           origin=run)
