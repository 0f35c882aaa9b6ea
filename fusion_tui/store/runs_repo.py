"""Queries and state transitions of runs, each in its own short transaction.

Every transition is a conditional update (`... WHERE status = expected`), so two
processes racing to start, cancel or finish the same run cannot both win. The
scheduler's claim runs under a global lock (SQLite's write lock or a PostgreSQL
advisory lock) so the concurrency limit holds across processes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Executable,
    Float,
    Select,
    bindparam,
    case,
    delete,
    extract,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session, aliased, joinedload, load_only, raiseload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from fusion_tui.base.owner import current_user
from fusion_tui.store.database import session_scope
from fusion_tui.store.dependencies import Blocked, blocked, ready, waiting_on
from fusion_tui.store.filter_sql import filter_clauses
from fusion_tui.store.models import (
    Base,
    BatchJob,
    EventKind,
    ExecutorPoll,
    OwnerQueue,
    Run,
    RunEvent,
    Sweep,
    created_detail,
    ending_event,
)
from fusion_tui.store.query import Entry, RunQuery, SweepEntry
from fusion_tui.store.queue import MAX_PARALLEL
from fusion_tui.store.result_cache import NOTHING_FOUND_COLUMNS, CachedResult
from fusion_tui.store.run_stats import (
    RunStats,
    run_stats,
    status_counts,
)
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, naive_utc, utcnow

_SCHEDULER_LOCK_KEY = 0x5155_4555  # "QUEU"


@dataclass(frozen=True)
class Queue:
    """The queue's state as stored: its limit and whether it is paused."""

    max_concurrent: int
    paused: bool


DEFAULT_QUEUE = Queue(1, False)
Listing = TypeVar("Listing", bound="Select[*tuple[Any, ...]]")  # a query of the run list

@dataclass(frozen=True)
class ReportedOutcome:
    status: str
    exit_code: int | None
    error: str | None
    completed_at: datetime
    recovered: str | None = None
    note: str | None = None  # what a bounded copy of the results left (a `results` event)


@dataclass(frozen=True)
class ReportedJob:
    """The batch job a supervisor runs in, as it reports it."""

    job_id: str
    node: str
    attempt: int
    scheduler: str | None = None  # its name as messages say it (None: the executor's name)


@dataclass(frozen=True)
class SupervisorReport:
    """What a supervisor knows of its run; see `RunStore.apply_report`."""

    supervisor: tuple[int, float] | None = None
    process: tuple[int, float] | None = None
    progress: dict[str, Any] | None = None
    signals: tuple[tuple[datetime, str], ...] = ()
    outcome: ReportedOutcome | None = None
    job: ReportedJob | None = None  # inside a batch job
    started: datetime | None = None  # when the supervisor saw the simulator start


# The columns `RunStore.runs_to_delete` reads: whose run, whether it has finished, where
# it ran and its folder (the executor's `release`), when it was made and ended (`clean
# --older-than`; a Slurm job is looked for by name since the run was made).
DELETE_READS = (Run.id, Run.status, Run.owner, Run.executor, Run.run_dir, Run.created_at,
                Run.completed_at)


class RunStore:
    """All database access for runs; holds a session factory, never a session."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        with session_scope(self._factory, write=write) as s:
            yield s

    # -- reading -----------------------------------------------------------------------

    def get(self, run_id: str) -> Run | None:
        with self.session() as s:
            return s.get(Run, run_id)

    def existing_ids(self, run_ids: Iterable[str]) -> set[str]:
        """Those of `run_ids` that have a row (in chunks: a sweep has up to 10000)."""
        wanted, found = list(run_ids), set[str]()
        with self.session() as s:
            for i in range(0, len(wanted), 500):
                found.update(s.scalars(select(Run.id).where(Run.id.in_(wanted[i:i + 500]))))
        return found

    def runs_in(self, runs_dir: Path, owner: str) -> list[Run]:
        """`owner`'s runs whose folder is (or was) directly in `runs_dir`."""
        with self.session() as s:
            runs = list(s.scalars(select(Run).where(Run.owner == owner)))
        return [r for r in runs if Path(r.run_dir).parent == runs_dir]

    def find_by_prefix(self, prefix: str) -> list[Run]:
        """Runs whose id starts with `prefix` (the CLI accepts short ids)."""
        with self.session() as s:
            return list(s.scalars(prefix_statement(prefix)))

    def _filtered(self, stmt: Listing, query: RunQuery) -> Listing:
        return filtered(stmt, query, self._factory.kw["bind"].dialect.name)

    def list_runs(self, query: RunQuery = RunQuery(), *, limit: int = 100,
                  offset: int = 0) -> list[Run]:
        """One page of runs matching `query`."""
        stmt = page_statement(select(Run), query, self._factory.kw["bind"].dialect.name,
                              limit=limit, offset=offset)
        with self.session() as s:
            return list(s.scalars(stmt))

    def runs_to_delete(self, query: RunQuery) -> list[Run]:
        """Every run matching `query`, with only what deleting it reads (`DELETE_READS`
        and its batch job; anything else raises): `clean` of 45,000 runs read them whole
        in 2.4 s, this way in 1.1 s."""
        stmt = page_statement(
            select(Run).options(load_only(*DELETE_READS, raiseload=True), joinedload(Run.job),
                                raiseload(Run.tags), raiseload(Run.needs)),
            query, self._factory.kw["bind"].dialect.name, limit=1_000_000)
        with self.session() as s:
            return list(s.scalars(stmt))

    def count_runs(self, query: RunQuery = RunQuery()) -> int:
        stmt = self._filtered(select(func.count()).select_from(Run), query)
        with self.session() as s:
            return int(s.scalar(stmt) or 0)

    def count_pending_before(self, run_id: str) -> int:
        """How many PENDING runs are ahead of `run_id` in its owner's queue (another
        user's runs are in theirs)."""
        with self.session() as s:
            run = s.get(Run, run_id)
            if run is None:
                return 0
            stmt = select(func.count()).select_from(Run).where(
                Run.status == RunStatus.PENDING, Run.executor == run.executor,
                or_(Run.owner == run.owner, Run.owner.is_(None)),
                or_(Run.created_at < run.created_at,
                    (Run.created_at == run.created_at) & (Run.id < run.id)))
            return int(s.scalar(stmt) or 0)

    def run_ids(self, query: RunQuery) -> list[str]:
        """The id of every run matching `query` (the run list's "select all")."""
        with self.session() as s:
            return list(s.scalars(self._filtered(select(Run.id), query)))

    def statuses(self, run_ids: Iterable[str]) -> dict[str, str]:
        """Run id -> status, for those of `run_ids` that have a row (in chunks)."""
        wanted, found = list(run_ids), dict[str, str]()
        with self.session() as s:
            for i in range(0, len(wanted), 500):
                found.update((str(k), str(v)) for k, v in s.execute(
                    select(Run.id, Run.status).where(Run.id.in_(wanted[i:i + 500]))))
        return found

    # -- the run list grouped by sweep -------------------------------------------------

    def list_entries(self, query: RunQuery, *, limit: int, offset: int = 0) -> list[Entry]:
        """One page of the run list with each sweep as one entry: the runs matching
        `query` grouped by their sweep (a run of none is its own group), ordered by the
        query's column over each group (its greatest value first when descending)."""
        key = func.coalesce(Run.sweep_id, Run.id)
        value = (func.max if query.descending else func.min)(getattr(Run, query.order_by))
        order = (value.desc(), key.desc()) if query.descending else (value.asc(), key.asc())
        stmt = self._filtered(select(key, func.max(Run.sweep_id)), query).group_by(key) \
            .order_by(*order).limit(limit).offset(offset)
        with self.session() as s:
            return [Entry(str(ident), sweep is not None) for ident, sweep in s.execute(stmt)]

    def count_entries(self, query: RunQuery) -> int:
        """How many entries `list_entries` has for `query`."""
        key = func.coalesce(Run.sweep_id, Run.id)
        stmt = self._filtered(select(func.count(func.distinct(key))).select_from(Run), query)
        with self.session() as s:
            return int(s.scalar(stmt) or 0)

    def sweep_entries(self, sweep_ids: Sequence[str], query: RunQuery) -> list[SweepEntry]:
        """Each sweep's runs that match `query`, summed up for its row of the run list."""
        if not sweep_ids:
            return []
        done = sa_cast(func.coalesce(Run.current_erlang_index, 0) * Run.total_iterations
                       + func.coalesce(Run.current_iteration, 0), Float)
        part = case((Run.status == RunStatus.COMPLETED.value, 1.0),
                    ((Run.total_erlangs > 0) & (Run.total_iterations > 0),
                     done / (Run.total_erlangs * Run.total_iterations)), else_=0.0)
        summed = select(
            Run.sweep_id, Run.status, func.count(), func.sum(part), func.min(Run.started_at),
            func.max(Run.completed_at), func.min(Run.result_blocking),
            func.sum(case((Run.result_load.is_(None), 1), else_=0)),
        ).where(Run.sweep_id.in_(list(sweep_ids)))
        stmt = self._filtered(summed, query).group_by(Run.sweep_id, Run.status)
        with self.session() as s:
            sweeps = {w.id: w for w in s.scalars(select(Sweep).where(
                Sweep.id.in_(list(sweep_ids))))}
            rows = s.execute(stmt).all()
        parts: dict[str, list[Any]] = {}
        for sweep_id, status, n, fraction, started, completed, best, unread in rows:
            parts.setdefault(str(sweep_id), []).append(
                (str(status), int(n), float(fraction or 0.0), started, completed, best,
                 int(unread or 0) if RunStatus(status) in FINISHED_STATUSES else 0))
        out = []
        for sweep_id in sweep_ids:
            sweep, groups = sweeps.get(sweep_id), parts.get(sweep_id, [])
            if sweep is None or not groups:
                continue
            counts = {status: n for status, n, *_ in groups}
            starts = [g[3] for g in groups if g[3] is not None]
            ends = [g[4] for g in groups if g[4] is not None]
            bests = [g[5] for g in groups if g[5] is not None]
            finished = all(RunStatus(status) in FINISHED_STATUSES for status in counts)
            out.append(SweepEntry(
                sweep_id=sweep_id, name=sweep.name, template=sweep.template,
                executor=sweep.executor, owner=sweep.owner, counts=counts,
                fraction=sum(g[2] for g in groups) / sum(counts.values()),
                started_at=min(starts) if starts else None,
                completed_at=max(ends) if finished and ends else None,
                best_blocking=min(bests) if bests else None,
                unread=sum(g[6] for g in groups)))
        return out

    def list_grouped(self, query: RunQuery, *, limit: int, offset: int = 0,
                     expanded: Collection[str] = (), per_sweep: int = 200
                     ) -> list[Run | SweepEntry]:
        """One page of the grouped run list: each entry a run of no sweep or a sweep
        summed up, an expanded sweep followed by (up to `per_sweep` of) its runs."""
        entries = self.list_entries(query, limit=limit, offset=offset)
        loose = [e.id for e in entries if not e.is_sweep]
        with self.session() as s:
            runs = {r.id: r for r in s.scalars(select(Run).where(Run.id.in_(loose)))} \
                if loose else {}
        sweeps = {e.sweep_id: e for e in self.sweep_entries(
            [e.id for e in entries if e.is_sweep], query)}
        out: list[Run | SweepEntry] = []
        for entry in entries:
            if not entry.is_sweep:
                out.extend([runs[entry.id]] if entry.id in runs else [])
            elif entry.id in sweeps:
                out.append(sweeps[entry.id])
                if entry.id in expanded:
                    out.extend(self.list_runs(replace(query, sweep_id=entry.id),
                                              limit=per_sweep))
        return out

    # -- the run list's cached results -------------------------------------------------

    def runs_needing_results(self, run_ids: Sequence[str] = (),
                             sweep_ids: Sequence[str] = (), *, limit: int) -> list[Run]:
        """Finished runs among `run_ids` or of `sweep_ids` whose result files nobody has
        read yet (newest first, at most `limit`)."""
        which = [*([Run.id.in_(list(run_ids))] if run_ids else []),
                 *([Run.sweep_id.in_(list(sweep_ids))] if sweep_ids else [])]
        if not which:
            return []
        stmt = select(Run).where(Run.status.in_([s.value for s in FINISHED_STATUSES]),
                                 Run.result_load.is_(None), or_(*which)) \
            .order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
        with self.session() as s:
            return list(s.scalars(stmt))

    def store_results(self, found: Mapping[str, CachedResult | None]) -> None:
        """Cache each run's result (None: its folder had none), once: a run whose result
        is cached already keeps it."""
        with self.session(write=True) as s:
            for run_id, result in found.items():
                values = result.columns() if result is not None else NOTHING_FOUND_COLUMNS
                s.execute(update(Run).where(Run.id == run_id, Run.result_load.is_(None))
                          .values(**values).execution_options(synchronize_session=False))

    def runs_with_status(self, *statuses: RunStatus) -> list[Run]:
        stmt = select(Run).where(Run.status.in_(list(statuses))).order_by(Run.created_at)
        with self.session() as s:
            return list(s.scalars(stmt))

    def events(self, run_id: str) -> list[RunEvent]:
        with self.session() as s:
            return list(s.scalars(events_statement(run_id)))

    # -- writing -----------------------------------------------------------------------

    @staticmethod
    def _event(s: Session, run_id: str, kind: EventKind, detail: str | None = None,
               at: datetime | None = None) -> None:
        """An audit event, at the moment it records (`at`), else now."""
        s.add(RunEvent(run_id=run_id, kind=kind.value, at=at or utcnow(), detail=detail))

    def add(self, run: Run, *, queued: bool = False) -> Run:
        with self.session(write=True) as s:
            s.add(run)
            self._event(s, run.id, EventKind.CREATED, created_detail(run))
            if queued:
                self._event(s, run.id, EventKind.QUEUED)
        return run

    def record_events(self, run_ids: Iterable[str], kind: EventKind,
                      detail: str | None = None) -> None:
        """The same event for many runs, in one transaction."""
        with self.session(write=True) as s:
            for run_id in run_ids:
                self._event(s, run_id, kind, detail)

    def record_event(self, run_id: str, kind: EventKind, detail: str | None = None) -> None:
        with self.session(write=True) as s:
            self._event(s, run_id, kind, detail)

    @contextmanager
    def locked_run(self, run_id: str) -> Iterator[Run | None]:
        """Read-modify-write of one run under a row lock; changes commit on exit."""
        with self.session(write=True) as s:
            yield s.scalars(select(Run).where(Run.id == run_id).with_for_update()).first()

    def _transition(self, s: Session, run_id: str, expected: Iterable[RunStatus],
                    **values: Any) -> bool:
        result = s.execute(
            update(Run)
            .where(Run.id == run_id, Run.status.in_([e.value for e in expected]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def queue(self, owner: str | None = None) -> Queue:
        """`owner`'s queue (the calling OS user's by default)."""
        with self.session() as s:
            row = s.get(OwnerQueue, owner or current_user())
            if row is None:
                return DEFAULT_QUEUE
            return Queue(row.max_concurrent, row.paused)

    def set_queue(self, *, max_concurrent: int | None = None, paused: bool | None = None,
                  owner: str | None = None) -> Queue:
        """Change `owner`'s (by default the calling OS user's) limit and/or pause state;
        returns the new state. Nobody else's queue changes."""
        if max_concurrent is not None and not 1 <= max_concurrent <= MAX_PARALLEL:
            raise ValueError(f"the limit must be between 1 and {MAX_PARALLEL}, "
                             f"got {max_concurrent}")
        owner = owner or current_user()
        with self.session(write=True) as s:
            row = s.scalars(select(OwnerQueue).where(OwnerQueue.owner == owner)
                            .with_for_update()).first()
            if row is None:
                row = OwnerQueue(owner=owner, max_concurrent=DEFAULT_QUEUE.max_concurrent,
                                 paused=DEFAULT_QUEUE.paused)
                s.add(row)
            if max_concurrent is not None:
                row.max_concurrent = max_concurrent
            if paused is not None:
                row.paused = paused
            row.updated_at = utcnow()
            return Queue(row.max_concurrent, row.paused)

    def claim_pending(self, executor: str = "local", hostname: str | None = None,
                      owner: str | None = None, *, now: datetime | None = None) -> list[Run]:
        """Move `owner`'s oldest PENDING runs that are due at `now` (their start time
        come, every run they need COMPLETED: `dependencies.ready`) to RUNNING while fewer
        than their limit run; a run that waits keeps its place and lets the next one by.

        Only the owner's own runs (by default the calling OS user's): a process of one
        user cannot make another user's supervisor, and one user's queue never waits on
        another's. The limit and the pause state are read here, under the scheduler
        lock, so the limit in force is the one in the store, whoever of that user's
        processes schedules. The caller then starts a process for each claimed run (its
        job, tags and needs are not loaded: three more queries after each run of a queue).
        """
        owner = owner or current_user()
        with self.session(write=True) as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEDULER_LOCK_KEY})
            queue = s.get(OwnerQueue, owner)
            if queue is not None and queue.paused:
                return []
            limit = queue.max_concurrent if queue is not None else DEFAULT_QUEUE.max_concurrent
            # a run with no recorded owner is everyone's (as in the run list)
            mine = (Run.executor == executor, or_(Run.owner == owner, Run.owner.is_(None)))
            running = s.scalar(
                select(func.count()).select_from(Run).where(
                    Run.status == RunStatus.RUNNING, *mine)
            ) or 0
            free = limit - int(running)
            if free <= 0:
                return []
            now = now or utcnow()
            candidates = s.scalars(_DUE, {"executor": executor, "owner": owner, "now": now,
                                          "limit": free}).all()
            claimed = []
            for run in candidates:
                done = s.execute(_CLAIM, {"run_id": run.id, "claimed_at": now,
                                          "claimed_on": hostname})
                if getattr(done, "rowcount", 0):
                    # as the row now is; not a change for the session to write again
                    for key, value in (("status", RunStatus.RUNNING),
                                       ("started_at", now), ("hostname", hostname)):
                        set_committed_value(run, key, value)
                    claimed.append(run)
            return claimed

    def cancel_blocked(self, executors: Iterable[str], owner: str | None = None) -> list[Blocked]:
        """End CANCELLED every PENDING run of `owner` (the caller by default) on
        `executors` that needs a run which ended other than COMPLETED or is gone, with an
        error naming that run and how it ended; then the runs that needed those, and so
        on down the chain. Returns what was ended, in that order."""
        owner = owner or current_user()
        ended: list[Blocked] = []
        while True:
            with self.session() as s:
                found = blocked(s, executors, owner)
            done = [b for b in found
                    if self.finish(b.run_id, RunStatus.CANCELLED, exit_code=None,
                                   error=b.reason, expected=(RunStatus.PENDING,))]
            ended += done
            if not done:
                return ended

    def waiting_on(self, run_ids: Iterable[str]) -> dict[str, list[str]]:
        """For each of `run_ids` that needs runs not COMPLETED yet, their ids."""
        with self.session() as s:
            return waiting_on(s, run_ids)

    def unclaim(self, run_id: str, why: str) -> bool:
        """Put a run the queue claimed back in its place (PENDING, as it was) when it
        could not be started for want of the machine's resources, saying why; False
        when it is no longer the claimed, unstarted run."""
        with self.session(write=True) as s:
            done = self._transition(s, run_id, [RunStatus.RUNNING], status=RunStatus.PENDING,
                                    started_at=None, hostname=None)
            if done:
                self._event(s, run_id, EventKind.QUEUED, why)
            return done

    def finish(self, run_id: str, status: RunStatus, *, exit_code: int | None,
               error: str | None = None, completed_at: datetime | None = None,
               expected: Iterable[RunStatus] = (RunStatus.RUNNING,),
               recovered: str | None = None, note: str | None = None) -> bool:
        """Record a run's outcome once; False when it had already ended.

        `recovered` explains an outcome set by reconciliation rather than by the
        supervisor as it happened; it goes into a `recovered` audit event. `note` says
        what a bounded copy of the results left behind (a `results` event).
        """
        kind = ending_event(status)
        ended = naive_utc(completed_at) if completed_at else utcnow()
        with self.session(write=True) as s:
            done = self._transition(
                s, run_id, expected, status=status.value, exit_code=exit_code,
                error_message=error, completed_at=ended,
            )
            if done:
                self._event(s, run_id, kind, _outcome_detail(exit_code, error), ended)
                if recovered:
                    self._event(s, run_id, EventKind.RECOVERED, recovered)
                if note:
                    self._event(s, run_id, EventKind.RESULTS, note)
            return done

    def apply_report(self, run_id: str, report: SupervisorReport) -> bool:
        """Apply a supervisor's account of its run in one transaction, idempotently.

        Returns True when this call recorded the run's outcome. Events are dated when
        what they record happened (the supervisor's clock), not when the report arrived,
        and a run's start and end times are those of its `started` and ending events: a
        local run's `started_at` moves from its claim to its simulator's start.
        """
        started = naive_utc(report.started) if report.started else None
        with self.session(write=True) as s:
            run = s.scalars(_REPORTED, {"run_id": run_id}).first()
            if run is None:
                return False
            if report.supervisor and (run.supervisor_pid, run.supervisor_started) != \
                    report.supervisor:
                run.supervisor_pid, run.supervisor_started = report.supervisor
            if report.job:
                self._job_start(s, run, report.job, started)
            if report.process and run.status == RunStatus.RUNNING and \
                    (run.pid, run.pid_started) != report.process:
                at = started or utcnow()
                if run.pid is None and report.job is None:
                    run.started_at = at  # a batch job's run started with its job
                run.pid, run.pid_started = report.process
                run.pgid = report.process[0]
                self._event(s, run_id, EventKind.STARTED, f"pid {report.process[0]}", at)
            # A report written while the run was young may arrive after the run was
            # settled (by its executor's watcher from its folder, say): its progress is then
            # stale. Only the outcome's own report still has a say on a finished run.
            if report.progress and (report.outcome is not None or run.status in
                                    (RunStatus.RUNNING, RunStatus.PENDING)):
                for key, value in report.progress.items():
                    setattr(run, key, value)
            if report.signals:  # every report carries all the run's signals so far
                known = set(s.execute(select(RunEvent.at, RunEvent.detail).where(
                    RunEvent.run_id == run_id,
                    RunEvent.kind == EventKind.SIGNALLED.value)).tuples())
                for at, detail in report.signals:
                    if (at, detail) not in known:
                        s.add(RunEvent(run_id=run_id, kind=EventKind.SIGNALLED.value, at=at,
                                       detail=detail))
            outcome = report.outcome
            if outcome is None or run.status not in (RunStatus.RUNNING, RunStatus.PENDING):
                return False
            final = RunStatus(outcome.status)
            ended = naive_utc(outcome.completed_at)
            run.status, run.exit_code = final.value, outcome.exit_code
            run.error_message, run.completed_at = outcome.error, ended
            kind = ending_event(final)
            self._event(s, run_id, kind, _outcome_detail(outcome.exit_code, outcome.error),
                        ended)
            if outcome.recovered:
                self._event(s, run_id, EventKind.RECOVERED, outcome.recovered)
            if outcome.note:
                self._event(s, run_id, EventKind.RESULTS, outcome.note)
            # (only a supervisor in a batch job says where it runs: a local run has no job)
            job = s.get(BatchJob, run_id) if report.job is not None else None
            if job is not None:
                # A batch executor's watcher follows unfinished runs only: a job whose supervisor
                # recorded the outcome itself gets the last word here, as it would from
                # the run folder (the job itself ends a moment later).
                job.state, job.reason, job.checked_at = final.value, None, utcnow()
                if run.started_at is not None:
                    job.elapsed_seconds = max(0, int((ended - run.started_at).total_seconds()))
            return True

    def _job_start(self, s: Session, run: Run, place: ReportedJob,
                   started: datetime | None) -> None:
        """A supervisor in a batch job says it runs: the run is RUNNING on its node, since
        `started` (when its simulator started, else now)."""
        job = s.get(BatchJob, run.id)
        if job is None:
            return
        job.node, job.job_id = place.node, job.job_id or place.job_id
        scheduler = place.scheduler or run.executor
        if place.attempt > job.attempt:
            self._event(s, run.id, EventKind.REQUEUED,
                        f"attempt {place.attempt} of {scheduler} job {place.job_id}")
            job.attempt = place.attempt
        if run.status == RunStatus.PENDING:
            at = started or utcnow()
            run.status, run.started_at = RunStatus.RUNNING.value, at
            job.state = "RUNNING"
            self._event(s, run.id, EventKind.STARTED,
                        f"{scheduler} job {place.job_id} on {place.node}", at)

    def claim_poll(self, executor: str, interval: float, *, now: datetime | None = None) -> bool:
        """True for the one client that may ask `executor`'s scheduler now: once per
        `interval`, shared by every client of the store; an interval of 0 always claims
        (a forced poll). The claim is one conditional update, so of clients racing for
        it one wins; the executor's row is made first if it has none.

        A poll time ahead of `now` by more than an interval means the clock went back:
        that claims too. Not by less: a client racing for the same poll took its `now`
        a moment before the winner took its own, and must not win as well.
        """
        now = now or utcnow()
        every = timedelta(seconds=interval)
        with self.session(write=True) as s:
            s.execute(_insert_missing(s, ExecutorPoll, executor=executor))
            result = s.execute(
                update(ExecutorPoll).where(
                    ExecutorPoll.executor == executor,
                    (ExecutorPoll.polled_at.is_(None))
                    | (ExecutorPoll.polled_at <= now - every)
                    | (ExecutorPoll.polled_at > now + every))
                .values(polled_at=now).execution_options(synchronize_session=False))
            return bool(getattr(result, "rowcount", 0))

    def update_progress(self, run_id: str, **values: Any) -> None:
        with self.session(write=True) as s:
            s.execute(update(Run).where(Run.id == run_id).values(**values)
                      .execution_options(synchronize_session=False))

    def delete_finished(self, run_id: str) -> bool:
        """Delete a finished run's row; False when it is missing or not finished."""
        finished = [s.value for s in FINISHED_STATUSES]
        with self.session(write=True) as s:
            result = s.execute(delete(Run).where(Run.id == run_id, Run.status.in_(finished)))
            if not getattr(result, "rowcount", 0):
                return False
            self._event(s, run_id, EventKind.DELETED)
            return True

    def delete_finished_many(self, run_ids: Sequence[str]) -> list[str]:
        """Delete the finished runs among `run_ids` in one transaction, each with its
        `deleted` event; those deleted (a run missing or not finished is left alone).

        "Not unfinished" rather than "finished": with `status IN (...)` SQLite, which has
        no statistics, read the rows by the status index (every finished run, for each
        500 ids: 7.1 s for the 45,000 runs of `clean` in a store of 125,000); NOT IN
        cannot use an index, so the ids are looked up by the primary key (1.9 s)."""
        unfinished = [s.value for s in RunStatus if s not in FINISHED_STATUSES]
        gone: list[str] = []
        with self.session(write=True) as s:
            for i in range(0, len(run_ids), 500):
                gone += s.scalars(delete(Run).where(Run.id.in_(list(run_ids[i:i + 500])),
                                                    Run.status.not_in(unfinished))
                                  .returning(Run.id)).all()
            now = utcnow()
            if gone:  # one statement for them all (Core: no unit of work for 25,000 objects)
                s.execute(insert(RunEvent), [{"run_id": run_id, "kind": EventKind.DELETED.value,
                                              "at": now, "detail": None} for run_id in gone])
        return gone

    # -- statistics --------------------------------------------------------------------

    def stats(self, owner: str | None = None) -> RunStats:
        """Counts by status, success rate, mean and median duration of completed runs
        (`owner`'s only, when given: a user's own, as the run list shows them); see
        `run_stats.run_stats`."""
        with self.session() as s:
            counts_of, durations_of = stats_statements(owner, s.get_bind().dialect.name)
            counts = status_counts(s.execute(counts_of).all())
            durations = list(s.scalars(durations_of))
        return run_stats(counts, durations)


# For a write path that reads a run's own columns only: its job, tags and needs would be
# three more queries (selectin), and touching one is an error rather than a silent query.
_NO_RELATED = raiseload("*")


# The queue's claim, after every run of a queue: its statements are built once (building
# one costs about a millisecond) and take their values as parameters.
# `owner`'s oldest PENDING runs on `executor` due at `now`, at most `limit` (a run with
# no recorded owner is everyone's, as in the run list):
_DUE = (select(Run)
        .where(Run.status == RunStatus.PENDING, Run.executor == bindparam("executor"),
               or_(Run.owner == bindparam("owner"), Run.owner.is_(None)),
               ready(bindparam("now", type_=DateTime())))
        .order_by(Run.created_at, Run.id).limit(bindparam("limit"))
        .options(_NO_RELATED))
# One of them claimed, if it is still PENDING:
_CLAIM = (update(Run)
          .where(Run.id == bindparam("run_id"), Run.status == RunStatus.PENDING.value)
          .values(status=RunStatus.RUNNING.value, started_at=bindparam("claimed_at"),
                  hostname=bindparam("claimed_on"))
          .execution_options(synchronize_session=False))
# The run a supervisor's report is about, locked (a report ends every run of a queue):
_REPORTED = (select(Run).where(Run.id == bindparam("run_id")).options(_NO_RELATED)
             .with_for_update())


def filtered(stmt: Listing, query: RunQuery, dialect: str) -> Listing:
    """`stmt` narrowed to the runs `query` selects: the one place that says so, for the
    store and for the SQL the quick read path keeps (`store/read_sql.py`)."""
    if query.sweep_id is not None:
        stmt = stmt.where(Run.sweep_id == query.sweep_id)
    if query.statuses:
        stmt = stmt.where(Run.status.in_(sorted(query.statuses)))
    if query.owner is not None:  # a run with no recorded owner is everyone's
        stmt = stmt.where(or_(Run.owner == query.owner, Run.owner.is_(None)))
    if query.filter:
        stmt = stmt.where(*filter_clauses(query.filter, dialect))
    if query.before is not None:  # after that run in the list: (created_at, id) below its
        cursor = aliased(Run)
        created = select(cursor.created_at).where(cursor.id == query.before).scalar_subquery()
        stmt = stmt.where(tuple_(Run.created_at, Run.id) < tuple_(created, query.before))
    return stmt


def page_statement(stmt: Listing, query: RunQuery, dialect: str, *, limit: int,
                   offset: int = 0) -> Listing:
    """One page of the runs `query` selects, in its order (then by id).

    One owner's runs (theirs and those of nobody) are the page's worth of each, read
    down the (owner, created_at) index and merged: with `owner = ? OR owner IS NULL`
    the databases sort every run first (0.13 s of a 100,000-run store on SQLite)."""
    if query.owner is None:
        return filtered(stmt, query, dialect).order_by(*_order(query, Run.id, Run)) \
            .limit(limit).offset(offset)
    anyone = replace(query, owner=None)
    parts = []
    for whose in (Run.owner == query.owner, Run.owner.is_(None)):
        part = filtered(select(Run.id, getattr(Run, query.order_by).label("key")), anyone,
                        dialect).where(whose).order_by(*_order(query, Run.id, Run)) \
            .limit(limit + offset).subquery()
        parts.append(select(part))
    both = union_all(*parts).subquery()
    ids = select(both.c.id).order_by(*_order(query, both.c.id, both.c.key)) \
        .limit(limit).offset(offset)
    return stmt.where(Run.id.in_(ids)).order_by(*_order(query, Run.id, Run))


def _order(query: RunQuery, ident: Any, on: Any) -> list[Any]:
    """The query's order (then by id) over `on`: the runs table, or a column."""
    column = getattr(on, query.order_by) if on is Run else on
    order = [column.desc() if query.descending else column.asc()]
    if query.order_by != "id":
        order.append(ident.desc() if query.descending else ident.asc())
    return order


def prefix_statement(prefix: str) -> Select[Run]:
    """The runs whose id starts with `prefix` (at most 5: enough to say it is ambiguous)."""
    return select(Run).where(Run.id.startswith(prefix, autoescape=True)).limit(5)


def events_statement(run_id: str) -> Select[RunEvent]:
    """A run's audit trail, oldest first."""
    return select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.id)


def stats_statements(owner: str | None, dialect: str) -> tuple[Select[str, int], Select[float]]:
    """What `stats` asks: runs per status, and the durations of completed runs (their
    mean and median are taken from them: sorting them in the database took longer than
    reading them, at 60,000 completed runs). Both read an index alone."""
    whose = () if owner is None else (Run.owner == owner,)
    counts = select(Run.status, func.count()).where(*whose).group_by(Run.status)
    durations = select(_duration_expr(dialect)).where(
        Run.status == RunStatus.COMPLETED, *whose, Run.started_at.is_not(None),
        Run.completed_at.is_not(None))
    return counts, durations


def _duration_expr(dialect: str) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(Run.completed_at) - func.julianday(Run.started_at)) * 86400.0
    return sa_cast(extract("epoch", Run.completed_at - Run.started_at), Float)


def _outcome_detail(exit_code: int | None, error: str | None) -> str | None:
    parts = []
    if exit_code is not None:
        parts.append(f"exit code {exit_code}")
    if error:
        parts.append(error.splitlines()[0][:200])
    return "; ".join(parts) or None


def _insert_missing(s: Session, model: type[Base], **values: Any) -> Executable:
    """INSERT of a row that does nothing when its primary key is taken, even by a client
    inserting it at the same moment (ON CONFLICT DO NOTHING, which SQLite and PostgreSQL
    each have in their own dialect; the engine has loaded that dialect already)."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).values(**values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).values(**values).on_conflict_do_nothing()
