"""ORM models: a `Run` (seed 000's fields plus what it lacks) and its `RunEvent` audit trail.

Times are naive UTC throughout (SQLite keeps no zone); `status.utcnow()` makes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fusion_tui.store.event_kinds import EventKind, ending_event, results_note
from fusion_tui.store.status import RunStatus, fraction_done, utcnow

__all__ = ["EventKind", "ending_event", "results_note"]  # kept where they always were


def created_detail(run: Run) -> str:
    """The `created` event's detail: the template, its sweep, and the run it restarts."""
    return (f"template {run.template}" + (f"; sweep {run.sweep_id}" if run.sweep_id else "")
            + (f"; restart of {run.origin_id}" if run.origin_id else ""))


class Base(DeclarativeBase):
    """Base class of every ORM model."""


class Run(Base):
    """One simulation run: its configuration, process identity, outcome and progress cache."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_status_created_at", "status", "created_at"),
        Index("ix_runs_owner_created_at", "owner", "created_at"),
        Index("ix_runs_owner_status_created_at", "owner", "status", "created_at"),
        Index("ix_runs_status_owner_started_completed", "status", "owner", "started_at",
              "completed_at"),
        CheckConstraint("status IN (" + ", ".join(f"'{s.value}'" for s in RunStatus) + ")",
                        name="ck_runs_status"),
    )

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), index=True)
    config_json: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100))
    simulator: Mapped[str] = mapped_column(String(20), default="builtin")
    executor: Mapped[str] = mapped_column(String(20), default="local")
    hostname: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(64))
    # Provenance: sha256 of the frozen config.ini, the seed, and a JSON object with the
    # simulator, its version (FUSION's git commit), the host and the executor.
    config_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    seed: Mapped[int | None] = mapped_column(Integer)
    provenance_json: Mapped[str | None] = mapped_column(Text)
    origin_id: Mapped[str | None] = mapped_column(String(12), index=True)  # what it restarts
    # A run of a sweep: the sweep, and its point ({"section.key": value, ...} as text).
    sweep_id: Mapped[str | None] = mapped_column(String(12), ForeignKey("sweeps.id"),
                                                 index=True)
    point_json: Mapped[str | None] = mapped_column(Text)
    run_dir: Mapped[str] = mapped_column(Text)

    pid: Mapped[int | None] = mapped_column(Integer)
    pgid: Mapped[int | None] = mapped_column(Integer)
    pid_started: Mapped[float | None] = mapped_column(Float)
    supervisor_pid: Mapped[int | None] = mapped_column(Integer)
    supervisor_started: Mapped[float | None] = mapped_column(Float)

    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)

    current_erlang: Mapped[float | None] = mapped_column(Float)
    current_erlang_index: Mapped[int | None] = mapped_column(Integer)
    total_erlangs: Mapped[int | None] = mapped_column(Integer)
    current_iteration: Mapped[int | None] = mapped_column(Integer)
    total_iterations: Mapped[int | None] = mapped_column(Integer)
    last_progress_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The mean blocking at the run's last load and its interval, cached for the run list.
    result_load: Mapped[float | None] = mapped_column(Float)
    result_blocking: Mapped[float | None] = mapped_column(Float)
    result_low: Mapped[float | None] = mapped_column(Float)
    result_high: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)  # the user's own words about it
    start_after: Mapped[datetime | None] = mapped_column(DateTime)  # queued, not before

    # The batch job of a run on a batch scheduler's executor (None on the others).
    job: Mapped[BatchJob | None] = relationship(lazy="selectin", uselist=False,
                                                passive_deletes=True)
    tags: Mapped[list[RunTag]] = relationship(lazy="selectin", passive_deletes=True,
                                              cascade="all, delete-orphan",
                                              order_by="RunTag.tag")
    # The runs that must have COMPLETED before this one starts (by id: in the same order
    # on every database and on the quick read path).
    needs: Mapped[list[RunDependency]] = relationship(lazy="selectin", passive_deletes=True,
                                                      cascade="all, delete-orphan",
                                                      order_by="RunDependency.needs_id")

    @property
    def run_status(self) -> RunStatus:
        return RunStatus(self.status)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def fraction_done(self) -> float | None:
        """Overall progress in [0, 1] from the progress cache, None when unknown."""
        return fraction_done(self.status, self.current_erlang_index, self.total_erlangs,
                             self.current_iteration, self.total_iterations)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.completed_at or utcnow()
        return (end - self.started_at).total_seconds()


class Sweep(Base):
    """A grid of runs made from one template: what was asked, so it can be shown and
    retried; the runs themselves carry their point (`Run.point_json`)."""

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(100))
    overrides_json: Mapped[str] = mapped_column(Text)  # ["section.key=value", ...]
    grid_json: Mapped[str] = mapped_column(Text)  # [["section.key", ["v1", "v2"]], ...]
    seeds_json: Mapped[str | None] = mapped_column(Text)  # [1, 2, 3] or null
    zip_json: Mapped[str | None] = mapped_column(Text)  # ["section.key", ...] paired, or null
    loads_json: Mapped[str | None] = mapped_column(Text)  # a split sweep's loads once extended
    split_loads: Mapped[bool] = mapped_column(Boolean, default=False)
    executor: Mapped[str] = mapped_column(String(20))
    # At most this many of a job array's tasks at once (a batch executor's sweep).
    array_limit: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[SweepTag]] = relationship(lazy="selectin", passive_deletes=True,
                                                cascade="all, delete-orphan",
                                                order_by="SweepTag.tag")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class SweepMember(Base):
    """A run that a sweep reuses as one of its points without owning it: a COMPLETED run
    with the same frozen config (hash) made earlier, by another sweep or alone. The run
    keeps its owner (`runs.sweep_id`); `point_json` is the point it stands for here."""

    __tablename__ = "sweep_members"

    sweep_id: Mapped[str] = mapped_column(String(12),
                                          ForeignKey("sweeps.id", ondelete="CASCADE"),
                                          primary_key=True)
    run_id: Mapped[str] = mapped_column(String(12), ForeignKey("runs.id", ondelete="CASCADE"),
                                        primary_key=True, index=True)
    point_json: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class RunTag(Base):
    """One tag of a run (a word the user groups and filters runs by)."""

    __tablename__ = "run_tags"

    run_id: Mapped[str] = mapped_column(String(12), ForeignKey("runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class SweepTag(Base):
    """One tag of a sweep."""

    __tablename__ = "sweep_tags"

    sweep_id: Mapped[str] = mapped_column(String(12),
                                          ForeignKey("sweeps.id", ondelete="CASCADE"),
                                          primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class RunDependency(Base):
    """A run that must have COMPLETED before `run_id` may start (`new --after`)."""

    __tablename__ = "run_dependencies"

    run_id: Mapped[str] = mapped_column(String(12), ForeignKey("runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    needs_id: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)


class Schedule(Base):
    """A recurring start: a cron expression and what it starts (`spec_json`: a run's or a
    sweep's arguments), checked by `fusion-tui schedule tick`; `last_due_at` is the last
    due time it started, so a missed tick is caught up once."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(64), index=True)
    cron: Mapped[str] = mapped_column(String(100))
    spec_json: Mapped[str] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_started_id: Mapped[str | None] = mapped_column(String(12))


class RunEvent(Base):
    """One entry of a run's audit trail; kept after the run is deleted."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[str | None] = mapped_column(Text)


class ExecutorPoll(Base):
    """When a client of the store last asked an executor's scheduler about its jobs: one
    row per executor that polls, shared by every client of the store, so together they
    ask at most once per interval. The queue's limit and pause are each user's own
    (`OwnerQueue`).
    """

    __tablename__ = "executor_polls"

    executor: Mapped[str] = mapped_column(String(20), primary_key=True)
    polled_at: Mapped[datetime | None] = mapped_column(DateTime)


class OwnerQueue(Base):
    """One user's queue: how many of their runs may run at once and whether it is paused.

    Per owner, so one user's `pause` or `parallel` never holds up or floods another's
    runs; it lives in the store, not in any process's settings, so every process of that
    user that schedules (a supervisor's recorder, a command, the app) applies the limit
    in force at claim time. A user without a row has the default (1, running).
    """

    __tablename__ = "owner_queues"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    max_concurrent: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class BatchJob(Base):
    """The batch job of a run on a batch scheduler's executor (`executor`), as last seen.

    `state`, `reason`, `node` and `elapsed_seconds` are what the scheduler last said, in
    its own words (its queue while the job is in it, then its accounting); `attempt`
    counts requeues; `left_queue_at` is when the scheduler's queue first stopped listing
    it; `options_json` holds the options the executor submitted it with.
    """

    __tablename__ = "batch_jobs"

    run_id: Mapped[str] = mapped_column(String(12), ForeignKey("runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    executor: Mapped[str] = mapped_column(String(20))
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(255))
    node: Mapped[str | None] = mapped_column(String(255))
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer)
    time_limit: Mapped[str | None] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    options_json: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    left_queue_at: Mapped[datetime | None] = mapped_column(DateTime)
