"""Runs that wait: for other runs to COMPLETE (`run_dependencies`) or for their start
time (`runs.start_after`). The queue's claim leaves such a run alone until it is due;
a run whose needed run ended any other way (or is gone) can never start, and is found
here so the queue can end it, saying which run and how that one ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from fusion_tui.store.models import Run, RunDependency
from fusion_tui.store.status import RunStatus

# The needed run, one alias for every statement: a new alias each time would be adapted
# anew each time (about 5 ms of the queue's claim, at the end of every run).
_NEEDED = aliased(Run)


def ready(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """True for a run that may start at `now`: its start time (if any) has come and every
    run it needs has COMPLETED (a needed run that is gone does not count as completed)."""
    needed = _NEEDED
    unmet = exists().where(
        RunDependency.run_id == Run.id,
        ~exists().where(needed.id == RunDependency.needs_id,
                        needed.status == RunStatus.COMPLETED.value))
    return and_(or_(Run.start_after.is_(None), Run.start_after <= now), ~unmet)


@dataclass(frozen=True)
class Blocked:
    """A queued run that can never start: `needs_id` ended with `status` (None: the needed
    run is gone, deleted)."""

    run_id: str
    needs_id: str
    status: str | None

    @property
    def reason(self) -> str:
        """The run's error message: which run it waited for and how that one ended."""
        how = "was deleted" if self.status is None else f"ended {self.status}"
        return f"not started: run {self.needs_id}, which it was to run after, {how}"


def blocked(s: Session, executors: Iterable[str], owner: str) -> list[Blocked]:
    """`owner`'s PENDING runs on `executors` with a needed run that ended other than
    COMPLETED or is gone; one entry per run (its first such need, by id)."""
    needed = _NEEDED
    rows = s.execute(
        select(Run.id, RunDependency.needs_id, needed.status)
        .join(RunDependency, RunDependency.run_id == Run.id)
        .outerjoin(needed, needed.id == RunDependency.needs_id)
        .where(Run.status == RunStatus.PENDING.value, Run.executor.in_(list(executors)),
               or_(Run.owner == owner, Run.owner.is_(None)),
               or_(needed.id.is_(None),
                   needed.status.not_in([RunStatus.PENDING.value, RunStatus.RUNNING.value,
                                         RunStatus.COMPLETED.value])))
        .order_by(Run.id, RunDependency.needs_id)).all()
    found: dict[str, Blocked] = {}
    for run_id, needs_id, status in rows:
        found.setdefault(run_id, Blocked(run_id, needs_id, status))
    return list(found.values())


def waiting_on(s: Session, run_ids: Iterable[str]) -> dict[str, list[str]]:
    """For each of `run_ids`, the runs it needs that have not COMPLETED (yet), by id;
    runs that wait for none are left out."""
    wanted = list(run_ids)
    out: dict[str, list[str]] = {}
    for i in range(0, len(wanted), 500):
        for run_id, needs_id in s.execute(waiting_on_statement(wanted[i:i + 500])).all():
            out.setdefault(run_id, []).append(needs_id)
    return out


def waiting_on_statement(run_ids: Sequence[str]) -> Select[str, str]:
    """(run, needed run) for each of `run_ids`' needed runs that has not COMPLETED."""
    needed = _NEEDED
    return (select(RunDependency.run_id, RunDependency.needs_id)
            .outerjoin(needed, needed.id == RunDependency.needs_id)
            .where(RunDependency.run_id.in_(list(run_ids)),
                   or_(needed.id.is_(None), needed.status != RunStatus.COMPLETED.value))
            .order_by(RunDependency.run_id, RunDependency.needs_id))
