"""SweepManager: make a sweep's runs from a grid, and list, cancel, retry and delete it.

Every point is validated before anything exists; then all run folders are written, the
sweep and its runs are stored in one transaction, and the runs are queued locally or
submitted to Slurm as ONE job array. A failure half-way removes everything it made.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import is_run_id, new_run_id
from fusion_tui.config.overrides import parse_overrides
from fusion_tui.executors.slurm.commands import SlurmError
from fusion_tui.executors.slurm.options import SlurmOptions
from fusion_tui.kinds.registry import kind_for
from fusion_tui.runs.errors import InvalidState, NotYours, RunError, RunNotFound
from fusion_tui.runs.manager import PlannedRun, RunManager
from fusion_tui.runs.naming import check_name
from fusion_tui.runs.staging import Batch
from fusion_tui.store.models import Run, SlurmJob, Sweep
from fusion_tui.store.slurm_jobs import SLURM
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepRow, SweepStore
from fusion_tui.sweeps.grid import LOAD_KEY, Grid, erlang_text, load_overrides, point_label

RETRYABLE = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMEOUT,
                       RunStatus.OUT_OF_MEMORY, RunStatus.NODE_FAIL, RunStatus.PREEMPTED})
SWEEPS_FOLDER = ".sweeps"


@dataclass(frozen=True)
class SweepDetail:
    """A sweep with its current runs (one per point) and how many were replaced."""

    sweep: Sweep
    runs: list[Run]
    replaced: int

    @property
    def grid(self) -> Grid:
        return grid_of(self.sweep)


@dataclass(frozen=True)
class Retried:
    """The new runs of a retry: those replacing failed (cancelled, ...) runs, and those
    re-creating points that had no run left."""

    retried: list[str]
    recreated: list[str]

    @property
    def ids(self) -> list[str]:
        return [*self.retried, *self.recreated]

    def text(self, sweep_id: str) -> str:
        """One line for the CLI and the app, failed and deleted points counted apart."""
        if not self.ids:
            return (f"sweep {sweep_id}: nothing to retry (every point has a run that "
                    "succeeded, is queued or is running)")
        return (f"sweep {sweep_id}: {len(self.ids)} point(s) re-created: "
                f"{len(self.retried)} failed or stopped and retried, "
                f"{len(self.recreated)} deleted and re-created")


def grid_of(sweep: Sweep) -> Grid:
    """The grid a sweep was made with."""
    return Grid.from_json(json.loads(sweep.grid_json), json.loads(sweep.seeds_json or "null"),
                          sweep.split_loads)


def point_of(run: Run) -> dict[str, str]:
    """A run's sweep point ({} for a run outside a sweep)."""
    if not run.point_json:
        return {}
    value = json.loads(run.point_json)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class SweepManager:
    """Sweeps over a `RunManager` (which makes, starts and stops each run)."""

    def __init__(self, runs: RunManager) -> None:
        self.runs = runs
        self.store = SweepStore(runs.store)

    @property
    def folder(self) -> Path:
        return self.runs.settings.runs_dir / SWEEPS_FOLDER

    # -- lookup ------------------------------------------------------------------------

    def resolve(self, ref: str) -> Sweep:
        """A sweep by full id or unique prefix of 4+ characters."""
        if any(c not in "0123456789abcdef" for c in ref) or not ref:
            raise RunNotFound(f"invalid sweep id {ref!r}: expected 12 hex characters")
        if len(ref) < 4:
            raise RunNotFound(f"sweep id prefix {ref!r} is too short: a prefix needs at "
                              "least 4 characters")
        found = self.store.get(ref) if is_run_id(ref) else None
        matches = [found] if found is not None else self.store.find_by_prefix(ref)
        if not matches:
            raise RunNotFound(f"no sweep with id {ref!r}")
        if len(matches) > 1:
            raise RunNotFound(f"sweep id prefix {ref!r} is ambiguous")
        return matches[0]

    def detail(self, ref: str) -> SweepDetail:
        sweep = self.resolve(ref)
        everything = self.store.runs(sweep.id, current=False)
        replaced = {r.origin_id for r in everything if r.origin_id}
        current = [r for r in everything if r.id not in replaced]
        return SweepDetail(sweep, current, len(everything) - len(current))

    def listing(self, *, everyone: bool = False) -> list[SweepRow]:
        return self.store.listing(None if everyone else self.runs.user)

    def check_owner(self, sweep: Sweep, action: str) -> None:
        if sweep.owner is not None and sweep.owner != self.runs.user:
            raise NotYours(f"sweep {sweep.id} belongs to {sweep.owner}; only they can "
                           f"{action} it")

    # -- create ------------------------------------------------------------------------

    def plan(self, template: str, grid: Grid, *, name: str | None = None,
             overrides: Sequence[str] = (), executor: str | None = None,
             slurm: Mapping[str, str | None] | None = None) -> list[PlannedRun]:
        """Every point's run, validated; nothing is created. The first bad point is named."""
        base = parse_overrides(list(overrides))
        swept = set(grid.keys)
        for override in base:
            if f"{override.section}.{override.key}" in swept:
                raise ConfigError(f"--set {override.section}.{override.key} is also swept "
                                  "by the grid; use one")
        plans: list[PlannedRun] = []
        for combo in grid.combinations():
            where = f"grid point {point_label(combo)}"
            first = self._plan_point(template, name, [*map(str, base), *_sets(combo)],
                                     combo, executor, slurm, where)
            if kind_for(first.config.simulator).seed_key is None and grid.seeds:
                raise ConfigError(f"--seeds: template {template!r} runs FUSION, which has no "
                                  "seed setting ([builtin_settings] seed is the built-in "
                                  "simulator's)")
            if not grid.split_loads:
                plans.append(first)
                continue
            for erlang in first.config.erlangs:
                point = {**combo, LOAD_KEY: erlang_text(erlang)}
                plans.append(self._plan_point(
                    template, name, [*map(str, base), *_sets(combo), *load_overrides(erlang)],
                    point, executor, slurm, f"{where} erlang={erlang_text(erlang)}"))
        if len(plans) > 10_000:
            raise ConfigError(f"the sweep would make {len(plans)} runs; at most 10000")
        return plans

    def _plan_point(self, template: str, name: str | None, overrides: list[str],
                    point: dict[str, str], executor: str | None,
                    slurm: Mapping[str, str | None] | None, where: str) -> PlannedRun:
        try:
            plan = self.runs.plan(template, name=_run_name(name or template, point),
                                  overrides=overrides, executor=executor, slurm=slurm,
                                  check_slurm=False)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        plan.point = point
        return plan

    def create(self, template: str, grid: Grid, *, name: str | None = None,
               overrides: Sequence[str] = (), executor: str | None = None,
               slurm: Mapping[str, str | None] | None = None,
               array_limit: int | None = None) -> SweepDetail:
        """Validate every point, then make the sweep and all its runs, all or nothing."""
        name = check_name(name)
        if array_limit is not None and array_limit < 1:
            raise ConfigError(f"--array-limit: expected a whole number of at least 1, got "
                              f"{array_limit}")
        plans = self.plan(template, grid, name=name, overrides=overrides, executor=executor,
                          slurm=slurm)
        chosen = plans[0].executor
        if array_limit is not None and chosen != SLURM:
            raise ConfigError("--array-limit is for a Slurm job array (add --executor slurm)")
        if plans[0].options is not None:
            self.runs.slurm.check(plans[0].options)
        sweep = Sweep(id=new_run_id(), name=name, template=plans[0].config.template.name,
                      overrides_json=json.dumps(list(overrides)),
                      grid_json=json.dumps(grid.as_json()),
                      seeds_json=json.dumps(list(grid.seeds)) if grid.seeds else None,
                      split_loads=grid.split_loads, executor=chosen, array_limit=array_limit,
                      owner=self.runs.user, created_at=utcnow())
        self._launch(sweep, plans, new_sweep=True)
        return self.detail(sweep.id)

    def _launch(self, sweep: Sweep, plans: list[PlannedRun], *, new_sweep: bool) -> list[str]:
        """Build every run folder in a staging area and rename them into place, store the
        runs (and a new sweep) in one transaction, then queue them or submit them as one
        job array; undo everything on failure. The staging manifest lives until the rows
        are stored (the job array submitted), so a kill at any moment leaves nothing that
        the next command does not remove (`runs/staging.py`)."""
        for plan in plans:
            plan.sweep_id = sweep.id
        options = plans[0].options
        runs_dir = self.runs.settings.runs_dir
        runs_dir.mkdir(parents=True, exist_ok=True)
        array = self._array_folder(sweep.id) if options is not None else None
        batch = Batch(runs_dir, [p.run_id for p in plans], [array] if array else [])
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:  # file system calls wait, not
                made = list(pool.map(lambda p: self.runs.materialize(  # compute: threads
                    p, durable=False, at=batch.staged(p.run_id)), plans))  # overlap them
            batch.place(p.run_id for p in plans)
            now = utcnow()
            for i, run in enumerate(made):  # the grid's order, in lists and the job array
                run.created_at = now + timedelta(microseconds=i)
            jobs = [SlurmJob(run_id=r.id, attempt=1, options_json=json.dumps(options.as_dict()),
                             state="SUBMITTING", time_limit=options.time)
                    for r in made] if options is not None else []
            if options is not None and array is not None:
                self.runs.slurm.write_array(sweep.id, sweep.name, array,
                                            [(p.run_id, p.paths) for p in plans], options,
                                            sweep.array_limit)
            os.sync()  # every folder on disk before any row points at it
            self.store.add(sweep if new_sweep else None, made, jobs)
        except BaseException:
            batch.abandon()
            raise
        ids = [r.id for r in made]
        if options is None:
            batch.done()
            self.runs.start_queued(ids)
            return ids
        assert array is not None
        try:
            self._submit_array(sweep, ids, plans, array, options, new_sweep=new_sweep)
        finally:
            batch.done()  # a refused array's rows and folders are gone by now
        return ids

    def _array_folder(self, sweep_id: str) -> Path:
        """A new folder for one job array of the sweep (a retry submits another)."""
        base = self.folder / sweep_id
        n = 1
        while (base / f"array-{n}").exists():
            n += 1
        return base / f"array-{n}"

    def _submit_array(self, sweep: Sweep, ids: list[str], plans: list[PlannedRun],
                      array: Path, options: SlurmOptions, *, new_sweep: bool) -> None:
        try:
            job_id = self.runs.slurm.submit_array(array / "array.sh")
        except BaseException as exc:
            withdrawn = self.runs.withdraw_unanswered(ids, exc)
            self.runs.slurm_jobs.discard_many(ids)
            if new_sweep:
                self.store.delete(sweep.id)
            for plan in plans:
                shutil.rmtree(plan.paths.root, ignore_errors=True)
            shutil.rmtree(array, ignore_errors=True)
            if new_sweep:
                with contextlib.suppress(OSError):
                    array.parent.rmdir()
            if isinstance(exc, SlurmError):
                raise ConfigError(f"Slurm refused the sweep: {exc}{withdrawn}") from None
            raise
        self.runs.slurm_jobs.submitted_many(
            [(rid, f"{job_id}_{i}") for i, rid in enumerate(ids)], options.time,
            f"Slurm job array {job_id}")
        for i, plan in enumerate(plans):  # cancelled while sbatch was answering
            if plan.paths.cancel_request.exists():
                with contextlib.suppress(SlurmError):
                    self.runs.slurm.cancel(f"{job_id}_{i}")

    # -- act on a sweep ----------------------------------------------------------------

    def cancel(self, ref: str) -> list[str]:
        """Cancel every unfinished run of the sweep; the ids of those asked to stop. On
        Slurm one scancel per job array, not one per task."""
        detail = self.detail(ref)
        self.check_owner(detail.sweep, "cancel")
        asked: list[str] = []
        problems: list[str] = []
        on_slurm = [r for r in detail.runs if r.executor == SLURM]
        if on_slurm:
            asked += self.runs.cancel_slurm_runs(on_slurm)
        for run in detail.runs:
            if run.status in FINISHED_STATUSES or run.executor == SLURM:
                continue
            try:
                self.runs.cancel(run.id)
            except InvalidState:
                continue  # it finished meanwhile
            except (RunError, FaultError) as exc:
                problems.append(str(exc))
                continue
            asked.append(run.id)
        if problems:
            raise FaultError(f"{len(problems)} run(s) of sweep {detail.sweep.id} could not be "
                             f"cancelled; the first: {problems[0]}")
        return asked

    def retry(self, ref: str) -> Retried:
        """A new run for every point of the grid that has no successful run: one linked to
        the run it replaces (same frozen config) where that run failed, was cancelled or
        stopped by the cluster, and one made from the sweep's template, overrides and
        grid where no run is left (deleted by `rm` or `clean`). Succeeded, queued and
        running points are kept."""
        detail = self.detail(ref)
        self.check_owner(detail.sweep, "retry")
        failed = [r for r in detail.runs if r.run_status in RETRYABLE]
        slurm_of = next((r.slurm.options_json for r in self.store.runs(detail.sweep.id,
                                                                        current=False)
                         if r.slurm is not None), None)
        slurm = (SlurmOptions.from_dict(json.loads(slurm_of)).as_values()
                 if slurm_of is not None else None)
        plans: list[PlannedRun] = []
        for run in failed:
            run_slurm = None
            if run.slurm is not None:
                run_slurm = SlurmOptions.from_dict(json.loads(run.slurm.options_json)).as_values()
            plan = self.runs.plan(run.template, name=run.name,
                                  config_text=self.runs.frozen_config(run, "retry"),
                                  executor=run.executor, slurm=run_slurm, check_slurm=False)
            plan.origin_id, plan.point = run.id, point_of(run)
            plans.append(plan)
        covered = {_key(point_of(r)) for r in detail.runs}
        missing = self._missing(detail.sweep, covered, slurm)
        if not plans and not missing:
            return Retried([], [])
        if len({p.executor for p in plans + missing}) != 1:
            raise ConfigError(f"sweep {detail.sweep.id} mixes executors; retry its runs with "
                              "`fusion-tui restart`")
        ids = self._launch(detail.sweep, plans + missing, new_sweep=False)
        return Retried(ids[:len(plans)], ids[len(plans):])

    def _missing(self, sweep: Sweep, covered: set[tuple[tuple[str, str], ...]],
                 slurm: Mapping[str, str | None] | None) -> list[PlannedRun]:
        """Plans for the grid's points that have no run at all, as `create` made them."""
        grid = grid_of(sweep)
        overrides = [str(o) for o in json.loads(sweep.overrides_json)]
        try:
            if grid.split_loads:  # a point's loads come from its config: plan them all
                return [p for p in self.plan(sweep.template, grid, name=sweep.name,
                                             overrides=overrides, executor=sweep.executor,
                                             slurm=slurm)
                        if _key(p.point or {}) not in covered]
            base = [str(o) for o in parse_overrides(overrides)]
            return [self._plan_point(sweep.template, sweep.name, [*base, *_sets(combo)],
                                     combo, sweep.executor, slurm,
                                     f"grid point {point_label(combo)}")
                    for combo in grid.combinations() if _key(combo) not in covered]
        except ConfigError as exc:
            raise ConfigError(f"cannot re-create the deleted points of sweep {sweep.id}: "
                              f"{exc}") from None

    def delete(self, ref: str) -> int:
        """Delete a finished sweep: its runs (and their folders), then the sweep."""
        sweep = self.resolve(ref)
        self.check_owner(sweep, "delete")
        everything = self.store.runs(sweep.id, current=False)
        busy = [r for r in everything if r.status not in FINISHED_STATUSES]
        if busy:
            raise InvalidState(f"sweep {sweep.id} has {len(busy)} unfinished run(s); "
                               f"`fusion-tui sweep cancel {sweep.id}` first")
        for run in everything:
            self.runs.delete(run.id)
        if not self.store.delete(sweep.id):
            raise InvalidState(f"sweep {sweep.id} got new runs meanwhile; try again")
        shutil.rmtree(self.folder / sweep.id, ignore_errors=True)
        return len(everything)


def _key(point: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(point.items()))


def _sets(point: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in point.items()]


def _run_name(base: str, point: dict[str, str]) -> str:
    label = point_label(point)
    name = f"{base} {label}"
    return name if len(name) <= 255 else name[:254] + "…"
