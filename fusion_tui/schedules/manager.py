"""ScheduleManager: add, list, pause, resume and remove recurring schedules, and `tick`:
start what has come due.

Nothing of ours stays running for a schedule: the user's crontab calls `fusion-tui
schedule tick` every minute (`schedule install`). A tick starts each of the caller's
schedules whose latest due time is later than the last one it started, ONCE, however many
due times were missed (a machine that was off); it first claims that due time in the
store with one conditional update, so two ticks at once start it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import is_run_id, new_run_id
from fusion_tui.runs.errors import NotYours, RunError, RunNotFound
from fusion_tui.runs.naming import check_name
from fusion_tui.schedules.cron import CronRule
from fusion_tui.schedules.spec import StartSpec
from fusion_tui.store.models import Schedule
from fusion_tui.store.schedules_repo import ScheduleStore
from fusion_tui.store.status import local_text, utcnow
from fusion_tui.sweeps.manager import SweepManager


@dataclass(frozen=True)
class Ticked:
    """One schedule a tick started (or tried to): its due time, and what it started or
    why nothing could be."""

    schedule: Schedule
    due: datetime
    started: str | None  # the run's or sweep's id
    problem: str | None = None


def spec_of(schedule: Schedule) -> StartSpec:
    return StartSpec.from_json(schedule.spec_json)


def next_due(schedule: Schedule, now: datetime) -> datetime | None:
    """When a schedule starts next (None while paused)."""
    if schedule.paused:
        return None
    return CronRule(schedule.cron).next_after(max(now, schedule.last_due_at
                                                  or schedule.created_at))


class ScheduleManager:
    """Schedules over a `SweepManager` (which makes a sweep, and through its run manager
    a run)."""

    def __init__(self, sweeps: SweepManager) -> None:
        self.sweeps = sweeps
        self.runs = sweeps.runs
        self.store = ScheduleStore(sweeps.runs.store)

    # -- lookup ------------------------------------------------------------------------

    def resolve(self, ref: str) -> Schedule:
        """A schedule by full id or unique prefix of 4+ characters."""
        if any(c not in "0123456789abcdef" for c in ref) or not ref:
            raise RunNotFound(f"invalid schedule id {ref!r}: expected 12 hex characters")
        if len(ref) < 4:
            raise RunNotFound(f"schedule id prefix {ref!r} is too short: a prefix needs at "
                              "least 4 characters")
        found = self.store.get(ref) if is_run_id(ref) else None
        matches = [found] if found is not None else self.store.find_by_prefix(ref)
        if not matches:
            raise RunNotFound(f"no schedule with id {ref!r}")
        if len(matches) > 1:
            raise RunNotFound(f"schedule id prefix {ref!r} is ambiguous")
        return matches[0]

    def listing(self, *, everyone: bool = False) -> list[Schedule]:
        return self.store.listing(None if everyone else self.runs.user)

    def _mine(self, ref: str, action: str) -> Schedule:
        schedule = self.resolve(ref)
        if schedule.owner != self.runs.user:
            raise NotYours(f"schedule {schedule.id} belongs to {schedule.owner}; only they "
                           f"can {action} it")
        return schedule

    # -- change ------------------------------------------------------------------------

    def check(self, spec: StartSpec) -> None:
        """Everything `new` or `sweep new` would check of it now; nothing is made."""
        if spec.grid is None:
            self.runs.plan(spec.template, name=spec.name, overrides=spec.overrides,
                           executor=spec.executor, executor_options=spec.executor_options)
            return
        if spec.array_limit is not None and spec.array_limit < 1:
            raise ConfigError(f"--array-limit: expected a whole number of at least 1, got "
                              f"{spec.array_limit}")
        plans = self.sweeps.plan(spec.template, spec.grid, name=spec.name,
                                 overrides=spec.overrides, executor=spec.executor,
                                 executor_options=spec.executor_options)
        self.runs.executor(plans[0].executor).check(plans[0].options)

    def add(self, cron: str, spec: StartSpec) -> Schedule:
        """A new schedule, after its cron expression and what it starts are checked (one
        line, and nothing stored, if either is wrong)."""
        rule = CronRule.parse(cron)
        check_name(spec.name)
        self.check(spec)
        schedule = Schedule(id=new_run_id(), name=spec.name, owner=self.runs.user,
                            cron=rule.expression, spec_json=spec.to_json(), paused=False,
                            created_at=utcnow())
        return self.store.add(schedule)

    def pause(self, ref: str) -> Schedule:
        schedule = self._mine(ref, "pause")
        self.store.set_paused(schedule.id, True)
        return self.resolve(schedule.id)

    def resume(self, ref: str, now: datetime | None = None) -> Schedule:
        """Resume a schedule from now on: what came due while it was paused is skipped."""
        schedule = self._mine(ref, "resume")
        skip = CronRule(schedule.cron).latest_due(now or utcnow())
        self.store.set_paused(schedule.id, False, skip_to=skip)
        return self.resolve(schedule.id)

    def remove(self, ref: str) -> Schedule:
        """Delete a schedule (what it started stays)."""
        schedule = self._mine(ref, "remove")
        self.store.delete(schedule.id)
        return schedule

    # -- tick --------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[Ticked]:
        """Start each of the caller's schedules that has come due since the last time it
        started: once, at its latest due time, whatever was missed before."""
        now = now or utcnow()
        done: list[Ticked] = []
        for schedule in self.store.listing(self.runs.user):
            if schedule.paused:
                continue
            due = CronRule(schedule.cron).latest_due(now)
            if due <= (schedule.last_due_at or schedule.created_at):
                continue
            if not self.store.claim(schedule.id, due):
                continue  # another tick took it, or it was paused meanwhile
            try:
                started = self._start(schedule, due)
            except (ConfigError, RunError, FaultError, OSError) as exc:
                done.append(Ticked(schedule, due, None, " ".join(str(exc).split())))
                continue
            self.store.started(schedule.id, started)
            done.append(Ticked(schedule, due, started))
        return done

    def _start(self, schedule: Schedule, due: datetime) -> str:
        """Start what `schedule` starts, named for it and its due time; its id."""
        spec = spec_of(schedule)
        name = f"{spec.name or spec.template} {local_text(due, '%Y-%m-%d %H:%M')}"
        if spec.grid is None:
            return self.runs.create(spec.template, name=name, overrides=spec.overrides,
                                    executor=spec.executor,
                                    executor_options=spec.executor_options).id
        return self.sweeps.create(spec.template, spec.grid, name=name,
                                  overrides=spec.overrides, executor=spec.executor,
                                  executor_options=spec.executor_options,
                                  array_limit=spec.array_limit).sweep.id
