"""A run as the quick read path reads it (`store/quick_read.py`): plain values with the
same names and meaning as the ORM's `Run`, so the commands that only look print either
alike without importing SQLAlchemy. A test keeps the fields equal to the tables' columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from fusion_tui.store.status import RunStatus, fraction_done, utcnow

if TYPE_CHECKING:
    from fusion_tui.store.models import Run, Sweep


@dataclass(frozen=True)
class TagRow:
    tag: str


@dataclass(frozen=True)
class NeedRow:
    needs_id: str


@dataclass(frozen=True)
class EventRow:
    id: int
    run_id: str
    kind: str
    at: datetime
    detail: str | None


@dataclass(frozen=True)
class JobRow:
    """A run's batch job (the `batch_jobs` table)."""

    run_id: str
    executor: str
    job_id: str | None
    state: str | None
    reason: str | None
    node: str | None
    elapsed_seconds: int | None
    time_limit: str | None
    attempt: int
    options_json: str
    submitted_at: datetime | None
    checked_at: datetime | None
    left_queue_at: datetime | None


@dataclass
class RunRow:
    """One row of `runs` with its job, tags and needed runs (the `runs` table's columns,
    in its order)."""

    id: str
    name: str | None
    status: str
    config_json: str
    template: str
    simulator: str
    executor: str
    hostname: str | None
    owner: str | None
    config_hash: str | None
    seed: int | None
    provenance_json: str | None
    origin_id: str | None
    sweep_id: str | None
    point_json: str | None
    run_dir: str
    pid: int | None
    pgid: int | None
    pid_started: float | None
    supervisor_pid: int | None
    supervisor_started: float | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    exit_code: int | None
    error_message: str | None
    current_erlang: float | None
    current_erlang_index: int | None
    total_erlangs: int | None
    current_iteration: int | None
    total_iterations: int | None
    last_progress_at: datetime | None
    result_load: float | None
    result_blocking: float | None
    result_low: float | None
    result_high: float | None
    note: str | None
    start_after: datetime | None
    job: JobRow | None = None
    tags: list[TagRow] = field(default_factory=list)
    needs: list[NeedRow] = field(default_factory=list)

    @property
    def run_status(self) -> RunStatus:
        return RunStatus(self.status)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def fraction_done(self) -> float | None:
        return fraction_done(self.status, self.current_erlang_index, self.total_erlangs,
                             self.current_iteration, self.total_iterations)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.completed_at or utcnow()) - self.started_at).total_seconds()


@dataclass
class SweepRecord:
    """One row of `sweeps` with its tags (the table's columns, in its order)."""

    id: str
    name: str | None
    template: str
    overrides_json: str
    grid_json: str
    seeds_json: str | None
    split_loads: bool
    executor: str
    array_limit: int | None
    owner: str | None
    created_at: datetime
    note: str | None
    zip_json: str | None
    loads_json: str | None
    tags: list[TagRow] = field(default_factory=list)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


# What the commands that print runs and sweeps take: one from either read path.
AnyRun: TypeAlias = "Run | RunRow"
AnySweep: TypeAlias = "Sweep | SweepRecord"
