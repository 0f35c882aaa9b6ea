"""Queries of recurring schedules, each in its own short transaction. A tick claims a due
time with one conditional update, so of two ticks racing for it exactly one starts it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update

from fusion_tui.store.models import Schedule
from fusion_tui.store.runs_repo import RunStore


class ScheduleStore:
    """Store access for schedules, over the same session factory as `RunStore`."""

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def add(self, schedule: Schedule) -> Schedule:
        with self._store.session(write=True) as s:
            s.add(schedule)
        return schedule

    def get(self, schedule_id: str) -> Schedule | None:
        with self._store.session() as s:
            return s.get(Schedule, schedule_id)

    def find_by_prefix(self, prefix: str) -> list[Schedule]:
        with self._store.session() as s:
            return list(s.scalars(select(Schedule).where(
                Schedule.id.startswith(prefix, autoescape=True)).limit(5)))

    def listing(self, owner: str | None = None) -> list[Schedule]:
        """`owner`'s schedules (everyone's for None), oldest first."""
        stmt = select(Schedule).order_by(Schedule.created_at, Schedule.id)
        if owner is not None:
            stmt = stmt.where(Schedule.owner == owner)
        with self._store.session() as s:
            return list(s.scalars(stmt))

    def set_paused(self, schedule_id: str, paused: bool,
                   skip_to: datetime | None = None) -> bool:
        """Pause or resume; `skip_to` moves the last due time forward (a resumed schedule
        does not catch up what came due while it was paused). False when it is gone."""
        values: dict[str, object] = {"paused": paused}
        with self._store.session(write=True) as s:
            if skip_to is not None:
                s.execute(update(Schedule).where(
                    Schedule.id == schedule_id,
                    func.coalesce(Schedule.last_due_at, Schedule.created_at) < skip_to)
                    .values(last_due_at=skip_to).execution_options(synchronize_session=False))
            result = s.execute(update(Schedule).where(Schedule.id == schedule_id)
                               .values(**values).execution_options(synchronize_session=False))
            return bool(getattr(result, "rowcount", 0))

    def delete(self, schedule_id: str) -> bool:
        with self._store.session(write=True) as s:
            result = s.execute(delete(Schedule).where(Schedule.id == schedule_id))
            return bool(getattr(result, "rowcount", 0))

    def claim(self, schedule_id: str, due: datetime) -> bool:
        """Take the due time `due` for starting: True for the one caller that moved the
        schedule's last due time up to it (it was earlier, and the schedule not paused)."""
        with self._store.session(write=True) as s:
            result = s.execute(
                update(Schedule).where(
                    Schedule.id == schedule_id, Schedule.paused.is_(False),
                    func.coalesce(Schedule.last_due_at, Schedule.created_at) < due)
                .values(last_due_at=due).execution_options(synchronize_session=False))
            return bool(getattr(result, "rowcount", 0))

    def started(self, schedule_id: str, started_id: str) -> None:
        """What the schedule's last due time started (a run's or a sweep's id)."""
        with self._store.session(write=True) as s:
            s.execute(update(Schedule).where(Schedule.id == schedule_id)
                      .values(last_started_id=started_id)
                      .execution_options(synchronize_session=False))
