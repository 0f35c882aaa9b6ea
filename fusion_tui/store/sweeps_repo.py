"""Queries of sweeps and their runs, each in its own short transaction.

A sweep's *current* runs are those no retry has replaced: a retried point's new run
names the run it replaces in `origin_id`, inside the same sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from fusion_tui.store.models import EventKind, Run, RunEvent, Sweep, created_detail
from fusion_tui.store.query import LISTED_SWEEPS
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import utcnow


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


class SweepStore:
    """Store access for sweeps, over the same session factory as `RunStore`."""

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def add(self, sweep: Sweep | None, runs: Sequence[Run], rows: Sequence[object] = ()) -> None:
        """A sweep (or only new runs of an existing one) with its runs and their
        executor's rows (`Executor.records`), all or nothing."""
        with self._store.session(write=True) as s:
            if sweep is not None:
                s.add(sweep)
                s.flush()
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
        """The sweep's runs in creation order (only the current ones unless asked)."""
        with self._store.session() as s:
            runs = list(s.scalars(sweep_runs_statement(sweep_id)))
        if not current:
            return runs
        replaced = {r.origin_id for r in runs if r.origin_id}
        return [r for r in runs if r.id not in replaced]

    def listing(self, owner: str | None = None, *, limit: int = LISTED_SWEEPS) -> list[SweepRow]:
        """Newest sweeps first, each with the status counts of its current runs."""
        with self._store.session() as s:
            sweeps = list(s.scalars(listing_statement(owner, limit)))
            if not sweeps:
                return []
            counted = (select(Run.sweep_id, Run.status, func.count())
                       .where(Run.sweep_id.in_([w.id for w in sweeps]), is_current())
                       .group_by(Run.sweep_id, Run.status))
            counts: dict[str, dict[str, int]] = {}
            for sweep_id, status, n in s.execute(counted).all():
                counts.setdefault(str(sweep_id), {})[status] = n
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
