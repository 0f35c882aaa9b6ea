"""SweepManager: make a sweep's runs from a grid, and list, label, cancel, retry, extend
and delete it.

Every point is validated before anything exists; then all run folders are written, the
sweep and its runs are stored in one transaction, and the runs are handed to their
executor as ONE batch (queued, or one job array on a cluster). A failure half-way
removes everything it made.

A point whose frozen config (its hash) already has a COMPLETED run may reuse that run
instead of running again (`extend` by default, `create` when asked): the sweep records
it as a member (`sweep_members`), the run stays its owner's, and deleting the owner's
sweep hands the run over to the sweep that reuses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import is_run_id, new_run_id
from fusion_tui.config.overrides import parse_overrides
from fusion_tui.config.templates import RunConfig, apply_overrides, load_template, parse_ini
from fusion_tui.kinds.registry import kind_for
from fusion_tui.runs.creating import PlannedRun
from fusion_tui.runs.errors import InvalidState, NotYours, RunNotFound
from fusion_tui.runs.finding import LAST
from fusion_tui.runs.manager import RunManager
from fusion_tui.runs.naming import check_name
from fusion_tui.runs.provenance import config_hash
from fusion_tui.runs.staging import Batch
from fusion_tui.store.labels import TagEdit, check_note
from fusion_tui.store.labels_repo import LabelStore
from fusion_tui.store.models import Run, Sweep, SweepMember
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepRow, SweepStore
from fusion_tui.sweeps.detail import current_runs
from fusion_tui.sweeps.detail import grid_of as grid_of  # where they always were
from fusion_tui.sweeps.detail import point_of as point_of
from fusion_tui.sweeps.grid import (
    LOAD_KEY,
    Axis,
    Grid,
    erlang_text,
    grown,
    load_overrides,
)
from fusion_tui.sweeps.labels import point_label

RETRYABLE = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMEOUT,
                       RunStatus.OUT_OF_MEMORY, RunStatus.NODE_FAIL, RunStatus.PREEMPTED})
SWEEPS_FOLDER = ".sweeps"


@dataclass(frozen=True)
class SweepDetail:
    """A sweep with its current runs (one per point) and how many were replaced."""

    sweep: Sweep
    runs: list[Run]
    replaced: int
    reused: frozenset[str] = frozenset()  # its runs owned elsewhere

    @property
    def grid(self) -> Grid:
        return grid_of(self.sweep)


@dataclass(frozen=True)
class Made:
    """What `create` or `extend` added to a sweep: new runs, and earlier runs reused."""

    detail: SweepDetail
    new: list[str]
    reused: list[str]

    def text(self) -> str:
        """The summary line: `12 points: 4 reused from earlier runs, 8 new`."""
        total = len(self.new) + len(self.reused)
        return (f"{total} point{'' if total == 1 else 's'}: {len(self.reused)} reused from "
                f"earlier runs, {len(self.new)} new")


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


@dataclass(frozen=True)
class Deleted:
    """What deleting a sweep did: runs deleted, and runs kept for the sweeps reusing them."""

    deleted: int
    kept: list[str]

    def text(self, sweep_id: str) -> str:
        return (f"sweep {sweep_id} deleted with its {self.deleted} run(s)"
                + (f"; {len(self.kept)} run(s) kept by the sweeps that reuse them"
                   if self.kept else ""))


class SweepManager:
    """Sweeps over a `RunManager` (which makes, starts and stops each run)."""

    def __init__(self, runs: RunManager) -> None:
        self.runs = runs
        self.store = SweepStore(runs.store)
        self.labels = LabelStore(runs.store)

    @property
    def folder(self) -> Path:
        return self.runs.settings.runs_dir / SWEEPS_FOLDER

    # -- lookup ------------------------------------------------------------------------

    def resolve(self, ref: str) -> Sweep:
        """A sweep by full id, unique prefix of 4+ characters, or `@last` (also `-`): the
        calling user's newest sweep."""
        if ref in LAST:
            newest = self.store.listing(self.runs.user, limit=1)
            if not newest:
                raise RunNotFound(f"{ref}: you have no sweeps yet")
            return newest[0].sweep
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
        current, replaced = current_runs(self.store.runs(sweep.id, current=False), sweep.id)
        current.sort(key=_grid_order(grid_of(sweep)))
        return SweepDetail(sweep, current, replaced,
                           frozenset(r.id for r in current if r.sweep_id != sweep.id))

    def listing(self, *, everyone: bool = False) -> list[SweepRow]:
        return self.store.listing(None if everyone else self.runs.user)

    def check_owner(self, sweep: Sweep, action: str) -> None:
        if sweep.owner is not None and sweep.owner != self.runs.user:
            raise NotYours(f"sweep {sweep.id} belongs to {sweep.owner}; only they can "
                           f"{action} it")

    # -- tags and notes ----------------------------------------------------------------

    def edit_tags(self, sweeps: Sequence[Sweep], edit: TagEdit) -> dict[str, list[str]]:
        """Each sweep's tags after adding and removing `edit`'s, all or nothing."""
        for sweep in sweeps:
            self.check_owner(sweep, "tag")
        try:
            return self.labels.edit_sweep_tags([w.id for w in sweeps], edit)
        except LookupError as exc:
            raise RunNotFound(str(exc)) from None

    def set_note(self, sweep: Sweep, text: str | None) -> str | None:
        """The sweep's note as stored (None: cleared)."""
        self.check_owner(sweep, "write a note on")
        note = check_note(text)
        if self.labels.set_sweep_note(sweep.id, note) is None:
            raise RunNotFound(f"no sweep with id {sweep.id!r} (deleted meanwhile?)")
        return note

    # -- create ------------------------------------------------------------------------

    def plan(self, template: str, grid: Grid, *, name: str | None = None,
             overrides: Sequence[str] = (), executor: str | None = None,
             executor_options: Mapping[str, str | None] | None = None) -> list[PlannedRun]:
        """Every point's run, validated; nothing is created. The first bad point is named."""
        if grid.seeds:
            simulator = load_template(template, self.runs.settings.template_dirs)[0].simulator
            kind = kind_for(simulator)
            if kind.seed_key is None:
                raise ConfigError(f"--seeds: template {template!r} runs {kind.reader}, "
                                  f"{kind.no_seed}")
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
                                     combo, executor, executor_options, where)
            if not grid.split_loads:
                plans.append(first)
                continue
            loads = ([float(x) for x in grid.loads] if grid.loads
                     else kind_for(first.config.simulator).loads(first.config.sections))
            for erlang in loads:
                point = {**combo, LOAD_KEY: erlang_text(erlang)}
                plans.append(self._plan_point(
                    template, name, [*map(str, base), *_sets(combo), *load_overrides(erlang)],
                    point, executor, executor_options,
                    f"{where} erlang={erlang_text(erlang)}"))
        if len(plans) > 10_000:
            raise ConfigError(f"the sweep would make {len(plans)} runs; at most 10000")
        return plans

    def _plan_point(self, template: str, name: str | None, overrides: list[str],
                    point: dict[str, str], executor: str | None,
                    executor_options: Mapping[str, str | None] | None,
                    where: str) -> PlannedRun:
        try:
            plan = self.runs.plan(template, name=_run_name(name or template, point),
                                  overrides=overrides, executor=executor,
                                  executor_options=executor_options, check_executor=False)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        plan.point = point
        return plan

    def create(self, template: str, grid: Grid, *, name: str | None = None,
               overrides: Sequence[str] = (), executor: str | None = None,
               executor_options: Mapping[str, str | None] | None = None,
               array_limit: int | None = None, after: Sequence[Run] = (),
               start_after: datetime | None = None, reuse: bool = False) -> SweepDetail:
        """Validate every point, then make the sweep and all its runs, all or nothing.
        Every run waits for the runs `after` to COMPLETE and for `start_after`. With
        `reuse`, a point whose frozen config has a COMPLETED run reuses it."""
        return self.make(template, grid, name=name, overrides=overrides, executor=executor,
                         executor_options=executor_options, array_limit=array_limit,
                         after=after, start_after=start_after, reuse=reuse).detail

    def make(self, template: str, grid: Grid, *, name: str | None = None,
             overrides: Sequence[str] = (), executor: str | None = None,
             executor_options: Mapping[str, str | None] | None = None,
             array_limit: int | None = None, after: Sequence[Run] = (),
             start_after: datetime | None = None, reuse: bool = False) -> Made:
        """`create`, saying which points are new runs and which reuse earlier ones."""
        name = check_name(name)
        if array_limit is not None and array_limit < 1:
            raise ConfigError(f"--array-limit: expected a whole number of at least 1, got "
                              f"{array_limit}")
        plans = self.plan(template, grid, name=name, overrides=overrides, executor=executor,
                          executor_options=executor_options)
        chosen = plans[0].executor
        if array_limit is not None and self.runs.executor(chosen).batch is None:
            batched = [e for e in self.runs.executors.values() if e.batch is not None]
            raise ConfigError("--array-limit is for a " + " or ".join(
                f"{e.batch} (add --executor {e.name})" for e in batched))
        when = self.runs.start_conditions(chosen, after, start_after)
        for plan in plans:
            plan.needs, plan.start_after = when.needs, when.start_after
        self.runs.executor(chosen).check(plans[0].options)
        sweep = Sweep(id=new_run_id(), name=name, template=plans[0].config.template.name,
                      overrides_json=json.dumps(list(overrides)), executor=chosen,
                      array_limit=array_limit, owner=self.runs.user, created_at=utcnow())
        _set_grid(sweep, grid)
        members = self.reusable(sweep.id, plans) if reuse else []
        taken = {m.point_json for m in members}
        fresh = [p for p in plans if json.dumps(p.point) not in taken]
        new = self._launch(sweep, fresh, new_sweep=True, members=members)
        return Made(self.detail(sweep.id), new, [m.run_id for m in members])

    def plan_frozen(self, template: str, frozen: Sequence[tuple[dict[str, str], str,
                                                                str | None]],
                    *, executor: str | None = None) -> list[PlannedRun]:
        """Each (point, frozen config.ini text, run name) planned as a run of `template`
        from that config itself, not from the template's values; nothing is created."""
        plans = []
        for point, text, run_name in frozen:
            try:
                plan = self.runs.plan(template, name=run_name, config_text=text,
                                      executor=executor, check_executor=False)
            except ConfigError as exc:
                raise ConfigError(f"grid point {point_label(point)}: {exc}") from None
            plan.point = point
            plans.append(plan)
        return plans

    def create_planned(self, template: str, grid: Grid, plans: list[PlannedRun], *,
                       name: str | None = None,
                       overrides: Sequence[str] = ()) -> SweepDetail:
        """A new sweep of `grid` made of runs planned already (`plan_frozen`: a
        reproduction bundle's frozen configs), all or nothing, as `create` makes one; the
        caller has had their executor check their options (`Executor.check`), so that
        several sweeps are all checked before the first is made."""
        if not plans:
            raise ConfigError("a sweep needs at least one run")
        name = check_name(name)
        chosen = plans[0].executor
        sweep = Sweep(id=new_run_id(), name=name, template=template,
                      overrides_json=json.dumps(list(overrides)), executor=chosen,
                      owner=self.runs.user, created_at=utcnow())
        _set_grid(sweep, grid)
        self._launch(sweep, plans, new_sweep=True)
        return self.detail(sweep.id)

    def matches(self, plans: Sequence[PlannedRun],
                inside: frozenset[str] = frozenset()) -> dict[str, Run]:
        """For each planned point (by its plan's run id) whose frozen config (hash) and
        simulator match a COMPLETED run of the user's, not `inside` the sweep: the newest
        such run, each run for one point only. Never a run that failed, was cancelled or
        ran another config; never another user's (their folder may be closed to us, and
        only they may delete it)."""
        hashes = {p.run_id: config_hash(p.config.to_ini()) for p in plans}
        found: dict[tuple[str, str], Run] = {}
        for earlier in self.store.completed_with(sorted(set(hashes.values()))):
            mine = earlier.owner is None or earlier.owner == self.runs.user
            if mine and earlier.id not in inside and earlier.config_hash is not None:
                found.setdefault((earlier.config_hash, earlier.simulator), earlier)
        out: dict[str, Run] = {}
        for plan in plans:
            run = found.pop((hashes[plan.run_id], plan.config.simulator), None)
            if run is not None:
                out[plan.run_id] = run
        return out

    def reusable(self, sweep_id: str, plans: Sequence[PlannedRun]) -> list[SweepMember]:
        """The sweep's members for the planned points that reuse an earlier run."""
        inside = frozenset(r.id for r in self.store.runs(sweep_id, current=False))
        found = self.matches(plans, inside)
        now = utcnow()
        return [SweepMember(sweep_id=sweep_id, run_id=found[plan.run_id].id, added_at=now,
                            point_json=json.dumps(plan.point))
                for plan in plans if plan.run_id in found]

    def _launch(self, sweep: Sweep, plans: list[PlannedRun], *, new_sweep: bool,
                members: Sequence[SweepMember] = (), regrid: Sweep | None = None) -> list[str]:
        """Build every run folder in a staging area and rename them into place, store the
        runs (and a new sweep, its reused runs, its new grid) in one transaction, then
        hand them to their executor as one batch (queued, or one job array); undo
        everything on failure. The staging manifest lives until the rows are stored (the
        batch submitted), so a kill at any moment leaves nothing that the next command
        does not remove (`runs/staging.py`)."""
        if not plans:  # every point reuses a run: nothing to build or submit
            self.store.add(sweep if new_sweep else None, [], members=members, grown=regrid)
            return []
        for plan in plans:
            plan.sweep_id = sweep.id
        executor = self.runs.executor(plans[0].executor)
        options = plans[0].options
        runs_dir = self.runs.settings.runs_dir
        runs_dir.mkdir(parents=True, exist_ok=True)
        folder = self._batch_folder(sweep.id)
        batch = Batch(runs_dir, [p.run_id for p in plans], [folder])
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:  # file system calls wait, not
                made = list(pool.map(lambda p: self.runs.materialize(  # compute: threads
                    p, durable=False, at=batch.staged(p.run_id)), plans))  # overlap them
            batch.place(p.run_id for p in plans)
            now = utcnow()
            for i, run in enumerate(made):  # the grid's order, in lists and the job array
                run.created_at = now + timedelta(microseconds=i)
            rows = executor.records(made, options)
            executor.write_batch(sweep.id, sweep.name, folder, made, options, sweep.array_limit)
            os.sync()  # every folder on disk before any row points at it
            self.store.add(sweep if new_sweep else None, made, rows, members, regrid)
        except BaseException:
            batch.abandon()
            raise

        def undo() -> None:
            """A refused new sweep leaves no row and no folder of its own; a refused
            extension leaves the sweep as it was."""
            if new_sweep:
                self.store.delete(sweep.id)
                with contextlib.suppress(OSError):
                    folder.parent.rmdir()
            elif regrid is not None:
                self.store.forget(sweep.id, [m.run_id for m in members], sweep)

        try:
            executor.submit_batch(made, folder, options, undo)
        finally:
            batch.done()  # a refused batch's rows and folders are gone by now
        return [r.id for r in made]

    def _batch_folder(self, sweep_id: str) -> Path:
        """A new folder for one batch of the sweep (a retry submits another), made by
        an executor that needs one (a job array's script)."""
        base = self.folder / sweep_id
        n = 1
        while (base / f"array-{n}").exists():
            n += 1
        return base / f"array-{n}"

    # -- act on a sweep ----------------------------------------------------------------

    def cancel(self, ref: str) -> list[str]:
        """Cancel every unfinished run of the sweep; the ids of those asked to stop. Each
        executor cancels its runs at once (one cancel per job array, not one per task)."""
        detail = self.detail(ref)
        self.check_owner(detail.sweep, "cancel")
        cancelled = self.runs.cancel_many(detail.runs)
        if cancelled.problems:
            raise FaultError(f"{len(cancelled.problems)} run(s) of sweep {detail.sweep.id} "
                             f"could not be cancelled; the first: {cancelled.problems[0]}")
        return cancelled.asked

    def to_retry(self, ref: str) -> int:
        """How many points `retry` would re-create now (0: nothing to retry); asked before
        a retry is confirmed, so nobody confirms one that does nothing."""
        detail = self.detail(ref)
        failed = sum(1 for r in detail.runs if r.run_status in RETRYABLE)
        covered = {_key(point_of(r)) for r in detail.runs}
        return failed + len(self._missing(detail.sweep, covered, None))

    def retry(self, ref: str) -> Retried:
        """A new run for every point of the grid that has no successful run: one linked to
        the run it replaces (same frozen config) where that run failed, was cancelled or
        stopped by the cluster, and one made from the sweep's template, overrides and
        grid where no run is left (deleted by `rm` or `clean`). Succeeded, queued and
        running points are kept."""
        detail = self.detail(ref)
        self.check_owner(detail.sweep, "retry")
        failed = [r for r in detail.runs if r.run_status in RETRYABLE]
        options = next((found for r in self.store.runs(detail.sweep.id, current=False)
                        if (found := self.runs.executor(r.executor).options_of(r)) is not None),
                       None)
        plans: list[PlannedRun] = []
        for run in failed:
            plan = self.runs.plan(run.template, name=run.name,
                                  config_text=self.runs.frozen_config(run, "retry"),
                                  executor=run.executor,
                                  executor_options=self.runs.executor(run.executor)
                                  .options_of(run), check_executor=False)
            plan.origin_id, plan.point = run.id, point_of(run)
            plans.append(plan)
        covered = {_key(point_of(r)) for r in detail.runs}
        missing = self._missing(detail.sweep, covered, options)
        if not plans and not missing:
            return Retried([], [])
        if len({p.executor for p in plans + missing}) != 1:
            raise ConfigError(f"sweep {detail.sweep.id} mixes executors; retry its runs with "
                              "`fusion-tui restart`")
        ids = self._launch(detail.sweep, plans + missing, new_sweep=False)
        return Retried(ids[:len(plans)], ids[len(plans):])

    def extend(self, ref: str, *, axes: Sequence[Axis] = (), seeds: Sequence[int] = (),
               loads: Sequence[str] = (), rerun: bool = False) -> Made:
        """Add points to a sweep: more values on its axes, more seeds, more loads. Each
        new point is made from the frozen config of a run of the sweep (the template as
        it was when the sweep was made) with the point's values set, on the sweep's
        executor with its runs' options; a point whose
        config has a COMPLETED run reuses it unless `rerun`. Every point is validated
        first; the new grid is stored with the new runs, all or nothing."""
        detail = self.detail(ref)
        sweep = detail.sweep
        self.check_owner(sweep, "extend")
        before = grid_of(sweep)
        base = self._base_run(detail)
        after = grown(before, tuple(axes), tuple(seeds), tuple(loads), self._loads(detail))
        covered = {_key(point_of(r)) for r in detail.runs}
        options = next((found for r in self.store.runs(sweep.id, current=False)
                        if r.sweep_id == sweep.id and r.executor == sweep.executor
                        and (found := self.runs.executor(r.executor).options_of(r))
                        is not None), None)  # as its own runs were submitted
        plans = self._points(sweep, after, base, covered, options)
        if len(detail.runs) + len(plans) > 10_000:
            raise ConfigError(f"the sweep would have {len(detail.runs) + len(plans)} runs; "
                              "at most 10000")
        members = [] if rerun else self.reusable(sweep.id, plans)
        taken = {m.point_json for m in members}
        fresh = [p for p in plans if json.dumps(p.point) not in taken]
        if fresh:  # on the sweep's executor, asked once as `create` asks
            self.runs.executor(fresh[0].executor).check(fresh[0].options)
        wider = Sweep(id=sweep.id)
        _set_grid(wider, after)
        new = self._launch(sweep, fresh, new_sweep=False, members=members, regrid=wider)
        return Made(self.detail(sweep.id), new, [m.run_id for m in members])

    def _loads(self, detail: SweepDetail) -> tuple[str, ...]:
        """A split sweep's loads: as extended, else those its points have (each run's
        config holds its own load only), else its template's."""
        grid = detail.grid
        if not grid.split_loads or grid.loads:
            return grid.loads
        seen = {float(p[LOAD_KEY]) for r in self.store.runs(detail.sweep.id, current=False)
                if LOAD_KEY in (p := point_of(r))}
        if not seen:
            sweep = detail.sweep
            plans = self.plan(sweep.template, grid, overrides=json.loads(sweep.overrides_json))
            seen = {float((p.point or {})[LOAD_KEY]) for p in plans}
        return tuple(erlang_text(x) for x in sorted(seen))

    def _base_run(self, detail: SweepDetail) -> Run | None:
        """A run of the sweep (its own first; else one it reuses, whose config is the
        sweep's at that point by its hash): its frozen config is the template as the
        sweep froze it. None when none is left: the template is read again."""
        runs = sorted(detail.runs, key=lambda r: r.sweep_id != detail.sweep.id)
        return runs[0] if runs else None

    def _points(self, sweep: Sweep, grid: Grid, base: Run | None,
                covered: set[tuple[tuple[str, str], ...]],
                options: Mapping[str, str | None] | None) -> list[PlannedRun]:
        """Plans for `grid`'s points not `covered`, from `base`'s frozen config with each
        point's values set (from the template when there is no base run)."""
        if base is None:
            return [p for p in self.plan(sweep.template, grid, name=sweep.name,
                                         overrides=json.loads(sweep.overrides_json),
                                         executor=sweep.executor, executor_options=options)
                    if _key(p.point or {}) not in covered]
        template = load_template(sweep.template, self.runs.settings.template_dirs)[0]
        rules = kind_for(template.simulator)
        sections, _ = parse_ini(self.runs.frozen_config(base, "extend"), "config")
        loads: tuple[str | None, ...] = grid.loads if grid.split_loads else (None,)
        points = [{**combo, LOAD_KEY: load} if load is not None else combo
                  for combo in grid.combinations() for load in loads]
        plans = []
        for point in points:
            if _key(point) in covered:
                continue
            sets = _sets({k: v for k, v in point.items() if k != LOAD_KEY})
            if LOAD_KEY in point:
                sets += load_overrides(float(point[LOAD_KEY]))
            where = f"grid point {point_label(point)}"
            try:
                merged = apply_overrides(sections, parse_overrides(sets), template.name, rules)
                ini = RunConfig(template, merged).to_ini()
                plan = self.runs.plan(sweep.template, name=_run_name(sweep.name or
                                                                     sweep.template, point),
                                      config_text=ini, executor=sweep.executor,
                                      executor_options=options, check_executor=False)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            plan.point = point
            plans.append(plan)
        return plans

    def _missing(self, sweep: Sweep, covered: set[tuple[tuple[str, str], ...]],
                 options: Mapping[str, str | None] | None) -> list[PlannedRun]:
        """Plans for the grid's points that have no run at all, as `create` made them."""
        grid = grid_of(sweep)
        overrides = [str(o) for o in json.loads(sweep.overrides_json)]
        try:
            if grid.split_loads:  # a point's loads come from its config: plan them all
                return [p for p in self.plan(sweep.template, grid, name=sweep.name,
                                             overrides=overrides, executor=sweep.executor,
                                             executor_options=options)
                        if _key(p.point or {}) not in covered]
            base = [str(o) for o in parse_overrides(overrides)]
            return [self._plan_point(sweep.template, sweep.name, [*base, *_sets(combo)],
                                     combo, sweep.executor, options,
                                     f"grid point {point_label(combo)}")
                    for combo in grid.combinations() if _key(combo) not in covered]
        except ConfigError as exc:
            raise ConfigError(f"cannot re-create the deleted points of sweep {sweep.id}: "
                              f"{exc}") from None

    def delete(self, ref: str) -> Deleted:
        """Delete a finished sweep: its runs (and their folders), then the sweep. Its runs
        that another sweep reuses are handed over to that sweep, not deleted; the runs it
        reuses stay their owners'."""
        sweep = self.resolve(ref)
        self.check_owner(sweep, "delete")
        everything = [r for r in self.store.runs(sweep.id, current=False)
                      if r.sweep_id == sweep.id]
        busy = [r for r in everything if r.status not in FINISHED_STATUSES]
        if busy:
            raise InvalidState(f"sweep {sweep.id} has {len(busy)} unfinished run(s); "
                               f"`fusion-tui sweep cancel {sweep.id}` first")
        kept = set(self.store.hand_over(sweep.id))
        everything = [r for r in everything if r.id not in kept]
        for run in everything:
            self.runs.delete(run.id)
        if not self.store.delete(sweep.id):
            raise InvalidState(f"sweep {sweep.id} got new runs meanwhile; try again")
        shutil.rmtree(self.folder / sweep.id, ignore_errors=True)
        return Deleted(len(everything), sorted(kept))


def _grid_order(grid: Grid) -> Callable[[Run], tuple[int, float]]:
    """A sort key putting a sweep's runs in its grid's order (then by load), whatever
    their age: a reused run is older than the sweep. A point off the grid goes last."""
    order = {_key(p): i for i, p in enumerate(grid.combinations())}

    def key(run: Run) -> tuple[int, float]:
        point = point_of(run)
        load = point.pop(LOAD_KEY, None)
        try:
            erlang = float(load) if load is not None else 0.0
        except ValueError:
            erlang = 0.0
        return order.get(_key(point), len(order)), erlang

    return key


def _set_grid(sweep: Sweep, grid: Grid) -> None:
    """Store `grid` in the sweep's columns."""
    sweep.grid_json = json.dumps(grid.as_json())
    sweep.seeds_json = json.dumps(list(grid.seeds)) if grid.seeds else None
    sweep.split_loads = grid.split_loads
    sweep.zip_json = json.dumps(list(grid.zipped)) if grid.zipped else None
    sweep.loads_json = json.dumps(list(grid.loads)) if grid.loads else None


def _key(point: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(point.items()))


def _sets(point: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in point.items()]


def _run_name(base: str, point: dict[str, str]) -> str:
    label = point_label(point)
    name = f"{base} {label}"
    return name if len(name) <= 255 else name[:254] + "…"
