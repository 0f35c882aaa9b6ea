"""Queries of sweeps and their runs, each in its own short transaction.

A sweep's *current* runs are those no retry has replaced: a retried point's new run
names the run it replaces in `origin_id`, inside the same sweep. A sweep's runs are
its own (`runs.sweep_id`) and those it reuses (`sweep_members`): a reused run is read
with the point it stands for in that sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from fusion_tui.store.models import (
    EventKind,
    Run,
    RunEvent,
    Sweep,
    SweepMember,
    created_detail,
)
from fusion_tui.store.query import LISTED_SWEEPS
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow


@dataclass(frozen=True)
class SweepRow:
    """A sweep with the status counts of its current runs (for lists)."""

    sweep: Sweep
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def is_current() -> ColumnElement[bool]:
    """True for a run that no retry in the same sweep has replaced."""
    newer = aliased(Run)
    return ~exists().where(and_(newer.origin_id == Run.id, newer.sweep_id == Run.sweep_id))


def listing_statement(owner: str | None, limit: int) -> Select[Sweep]:
    """The newest `limit` sweeps (of `owner` and of nobody, when given)."""
    stmt = select(Sweep).order_by(Sweep.created_at.desc()).limit(limit)
    if owner is not None:
        stmt = stmt.where(or_(Sweep.owner == owner, Sweep.owner.is_(None)))
    return stmt


def sweep_runs_statement(sweep_id: str) -> Select[Run]:
    """Every run of a sweep (replaced ones too), in creation order."""
    return select(Run).where(Run.sweep_id == sweep_id).order_by(Run.created_at, Run.id)


def reused_runs_statement(sweep_id: str) -> Select[Run, str]:
    """The runs a sweep reuses (another sweep owns them), each with its point in this
    sweep, last of the columns."""
    return (select(Run, SweepMember.point_json)
            .join(SweepMember, SweepMember.run_id == Run.id)
            .where(SweepMember.sweep_id == sweep_id).order_by(Run.created_at, Run.id))


class SweepStore:
    """Store access for sweeps, over the same session factory as `RunStore`."""

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def add(self, sweep: Sweep | None, runs: Sequence[Run], rows: Sequence[object] = (),
            members: Sequence[SweepMember] = (), grown: Sweep | None = None) -> None:
        """A sweep (or only new runs of an existing one) with its runs, their executor's
        rows (`Executor.records`) and the runs it reuses, all or nothing. `grown`: an
        existing sweep's new grid (`sweep extend`), stored in the same transaction, so
        a grid never names points that were not made."""
        with self._store.session(write=True) as s:
            if sweep is not None:
                s.add(sweep)
                s.flush()
            if grown is not None:
                s.execute(update(Sweep).where(Sweep.id == grown.id).values(
                    grid_json=grown.grid_json, seeds_json=grown.seeds_json,
                    zip_json=grown.zip_json, loads_json=grown.loads_json))
            s.add_all(members)
            s.add_all(runs)
            s.flush()
            s.add_all(rows)
            now = utcnow()
            s.add_all([RunEvent(run_id=r.id, kind=EventKind.CREATED.value, at=now,
                                detail=created_detail(r)) for r in runs])

    def get(self, sweep_id: str) -> Sweep | None:
        with self._store.session() as s:
            return s.get(Sweep, sweep_id)

    def existing_ids(self, sweep_ids: Sequence[str]) -> set[str]:
        """Those of `sweep_ids` that have a row."""
        found: set[str] = set()
        with self._store.session() as s:
            for i in range(0, len(sweep_ids), 500):
                found.update(s.scalars(select(Sweep.id).where(
                    Sweep.id.in_(sweep_ids[i:i + 500]))))
        return found

    def find_by_prefix(self, prefix: str) -> list[Sweep]:
        with self._store.session() as s:
            stmt = select(Sweep).where(Sweep.id.startswith(prefix, autoescape=True)).limit(5)
            return list(s.scalars(stmt))

    def runs(self, sweep_id: str, *, current: bool = True) -> list[Run]:
        """The sweep's runs in creation order (only the current ones unless asked), the
        runs it reuses among them, each with its point in this sweep."""
        with self._store.session() as s:
            runs = list(s.scalars(sweep_runs_statement(sweep_id)))
            for run, point in s.execute(reused_runs_statement(sweep_id)).all():
                s.expunge(run)  # its point here, never written back
                set_committed_value(run, "point_json", point)
                runs.append(run)
        runs.sort(key=lambda r: (r.created_at, r.id))
        if not current:
            return runs
        replaced = {r.origin_id for r in runs if r.origin_id and r.sweep_id == sweep_id}
        return [r for r in runs if r.id not in replaced]

    def reused_ids(self, sweep_id: str) -> set[str]:
        """The runs the sweep reuses (owned elsewhere)."""
        with self._store.session() as s:
            return set(s.scalars(select(SweepMember.run_id)
                                 .where(SweepMember.sweep_id == sweep_id)))

    def completed_with(self, hashes: Sequence[str]) -> list[Run]:
        """COMPLETED runs whose frozen config has one of `hashes`, newest first: what a
        sweep may reuse instead of running a point again."""
        found: list[Run] = []
        with self._store.session() as s:
            for i in range(0, len(hashes), 500):
                found += s.scalars(select(Run).where(
                    Run.config_hash.in_(hashes[i:i + 500]),
                    Run.status == RunStatus.COMPLETED.value))
        return sorted(found, key=lambda r: r.completed_at or r.created_at, reverse=True)

    def durations(self, template: str, loads: int | None, limit: int = 200) -> list[float]:
        """Seconds each of the newest COMPLETED runs of `template` took (those of
        `loads` loads when given): what a dry run's estimate is made from."""
        stmt = (select(Run.started_at, Run.completed_at)
                .where(Run.template == template, Run.status == RunStatus.COMPLETED.value,
                       Run.started_at.is_not(None), Run.completed_at.is_not(None))
                .order_by(Run.completed_at.desc()).limit(limit))
        if loads is not None:
            stmt = stmt.where(Run.total_erlangs == loads)
        with self._store.session() as s:
            return [(end - start).total_seconds() for start, end in s.execute(stmt).all()
                    if start is not None and end is not None]

    def forget(self, sweep_id: str, run_ids: Sequence[str], grid: Sweep) -> None:
        """Undo an extension whose batch was refused: the reused runs leave the sweep and
        its grid is `grid`'s again."""
        with self._store.session(write=True) as s:
            s.execute(delete(SweepMember).where(SweepMember.sweep_id == sweep_id,
                                                SweepMember.run_id.in_(list(run_ids))))
            s.execute(update(Sweep).where(Sweep.id == sweep_id).values(
                grid_json=grid.grid_json, seeds_json=grid.seeds_json, zip_json=grid.zip_json,
                loads_json=grid.loads_json))

    def hand_over(self, sweep_id: str) -> list[str]:
        """Before a sweep is deleted: each of its runs that another sweep reuses moves to
        that sweep (the one that reused it first), as that sweep's point, so deleting
        one sweep never deletes a run another still uses. The runs handed over."""
        with self._store.session(write=True) as s:
            members = s.execute(
                select(SweepMember).join(Run, Run.id == SweepMember.run_id)
                .where(Run.sweep_id == sweep_id)
                .order_by(SweepMember.added_at, SweepMember.sweep_id)).scalars().all()
            moved: dict[str, SweepMember] = {}
            for member in members:
                moved.setdefault(member.run_id, member)
            for run_id, member in moved.items():
                s.execute(update(Run).where(Run.id == run_id).values(
                    sweep_id=member.sweep_id, point_json=member.point_json))
                s.delete(member)
            return list(moved)

    def listing(self, owner: str | None = None, *, limit: int = LISTED_SWEEPS) -> list[SweepRow]:
        """Newest sweeps first, each with the status counts of its current runs."""
        with self._store.session() as s:
            sweeps = list(s.scalars(listing_statement(owner, limit)))
            if not sweeps:
                return []
            ids = [w.id for w in sweeps]
            counted = (select(Run.sweep_id, Run.status, func.count())
                       .where(Run.sweep_id.in_(ids), is_current())
                       .group_by(Run.sweep_id, Run.status))
            reused = (select(SweepMember.sweep_id, Run.status, func.count())
                      .join(Run, Run.id == SweepMember.run_id)
                      .where(SweepMember.sweep_id.in_(ids))
                      .group_by(SweepMember.sweep_id, Run.status))
            counts: dict[str, dict[str, int]] = {}
            for sweep_id, status, n in [*s.execute(counted).all(), *s.execute(reused).all()]:
                mine = counts.setdefault(str(sweep_id), {})
                mine[status] = mine.get(status, 0) + n
        return [SweepRow(w, counts.get(w.id, {})) for w in sweeps]

    def delete(self, sweep_id: str) -> bool:
        """Delete a sweep that has no runs left; False when it still has some."""
        with self._store.session(write=True) as s:
            left = s.scalar(select(func.count()).select_from(Run)
                            .where(Run.sweep_id == sweep_id))
            if left:
                return False
            s.execute(delete(Sweep).where(Sweep.id == sweep_id))
            return True
