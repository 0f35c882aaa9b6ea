"""Batch jobs of any batch executor (migration 0007): a store at 0006 full of Slurm jobs
and a Slurm poll time keeps every value; the per-executor poll is claimed once per
interval by one of the clients racing for it; a supervisor's job start is recorded in
its scheduler's own words."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from helpers import migrate_to
from sqlalchemy import BindParameter, DateTime, bindparam, inspect, text

from fusion_tui.base.documents import JobPlace, RecorderReport
from fusion_tui.runs.recorder import parse_report
from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.models import BatchJob, ExecutorPoll, Run
from fusion_tui.store.runs_repo import ReportedJob, RunStore, SupervisorReport
from fusion_tui.store.status import RunStatus, utcnow

POLLED = "2026-11-03 10:00:30"
# Every column of slurm_jobs, for two jobs: one seen through its whole life, one whose
# submission is not recorded yet (the nullable columns empty).
JOBS: list[dict[str, Any]] = [
    {"run_id": "aaaaaaaaaaaa", "job_id": "4242", "state": "RUNNING", "reason": "None",
     "node": "node7", "elapsed_seconds": 93, "time_limit": "1:00:00", "attempt": 2,
     "options_json": '{"partition": "debug", "time": "1:00:00"}',
     "submitted_at": "2026-11-03 09:00:00", "checked_at": "2026-11-03 10:00:00",
     "left_queue_at": "2026-11-03 10:00:10"},
    {"run_id": "bbbbbbbbbbbb", "job_id": None, "state": "SUBMITTING", "reason": None,
     "node": None, "elapsed_seconds": None, "time_limit": None, "attempt": 1,
     "options_json": "{}", "submitted_at": None, "checked_at": None, "left_queue_at": None},
]
TIMES = ("submitted_at", "checked_at", "left_queue_at")


def _when(value: object) -> datetime | None:
    """A stored time as a datetime, whether the driver gave text (SQLite) or a datetime."""
    return None if value is None else datetime.fromisoformat(str(value))


def _as_stored(job: dict[str, Any]) -> dict[str, Any]:
    return {k: _when(v) if k in TIMES else v for k, v in job.items()}


def _times(*names: str) -> list[BindParameter[Any]]:
    """Parameters that are times, written as the DateTime columns hold them."""
    return [bindparam(n, type_=DateTime()) for n in names]


def _add_run(conn: Any, run_id: str, executor: str) -> None:
    conn.execute(text(
        "INSERT INTO runs (id, status, config_json, template, simulator, executor, run_dir, "
        "created_at, owner) VALUES (:id, 'RUNNING', '{}', 't', 'builtin', :executor, "
        "'/tmp/x', '2026-11-03 08:00:00', 'alice')"), {"id": run_id, "executor": executor})


def _store_at_0006(db_url: str, *, polled: str | None) -> Any:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0006")
        for job in JOBS:
            _add_run(conn, job["run_id"], "slurm")
            conn.execute(text(
                "INSERT INTO slurm_jobs (" + ", ".join(job) + ") VALUES ("
                + ", ".join(f":{k}" for k in job) + ")").bindparams(*_times(*TIMES)),
                _as_stored(job))
        _add_run(conn, "cccccccccccc", "local")  # no job
        conn.execute(text("UPDATE queue_state SET slurm_polled_at = :t")
                     .bindparams(*_times("t")), {"t": _when(polled)})
    return engine


def test_migration_0007_from_0006_with_data(db_url: str) -> None:
    engine = _store_at_0006(db_url, polled=POLLED)
    assert upgrade_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"batch_jobs", "executor_polls"} <= tables
    assert not {"slurm_jobs", "queue_state"} & tables
    store = RunStore(make_sessionmaker(engine))
    with store.session() as s:
        jobs = {j.run_id: j for j in s.query(BatchJob)}
        polls = [(p.executor, p.polled_at) for p in s.query(ExecutorPoll)]
    assert sorted(jobs) == [j["run_id"] for j in JOBS]  # the local run has none
    for job in JOBS:
        got = jobs[job["run_id"]]
        assert got.executor == "slurm"
        assert {k: getattr(got, k) for k in job} == _as_stored(job)
    assert polls == [("slurm", _when(POLLED))]
    # what the Slurm executor and the screens read: the run's job
    run = store.get("aaaaaaaaaaaa")
    assert run is not None and run.job is not None
    assert (run.job.job_id, run.job.node, run.job.attempt) == ("4242", "node7", 2)
    local = store.get("cccccccccccc")
    assert local is not None and local.job is None
    # the poll time carried over still spaces the polls
    polled = _when(POLLED)
    assert polled is not None
    assert not store.claim_poll("slurm", 60, now=polled + timedelta(seconds=30))
    assert store.claim_poll("slurm", 60, now=polled + timedelta(seconds=61))

    with engine.begin() as conn:
        conn.execute(text("UPDATE executor_polls SET polled_at = :t").bindparams(*_times("t")),
                     {"t": _when(POLLED)})
        migrate_to(conn, "0006", down=True)
        names = set(inspect(conn).get_table_names())
        assert {"slurm_jobs", "queue_state"} <= names
        assert not {"batch_jobs", "executor_polls"} & names
        rows = conn.execute(text("SELECT " + ", ".join(JOBS[0]) + " FROM slurm_jobs "
                                 "ORDER BY run_id")).mappings().all()
        assert [_as_stored(dict(r)) for r in rows] == [_as_stored(j) for j in JOBS]
        back = conn.execute(text("SELECT slurm_polled_at FROM queue_state")).scalar_one()
        assert _when(back) == _when(POLLED)
    assert upgrade_database(engine)  # and up again
    with store.session() as s:
        assert s.query(BatchJob).count() == len(JOBS)
    engine.dispose()


def test_migration_0007_without_a_poll_time(db_url: str) -> None:
    """A store that never asked Slurm has no poll row; the first claim makes it."""
    engine = _store_at_0006(db_url, polled=None)
    assert upgrade_database(engine)
    store = RunStore(make_sessionmaker(engine))
    with store.session() as s:
        assert s.query(ExecutorPoll).count() == 0
    now = utcnow()
    assert store.claim_poll("slurm", 60, now=now)
    assert not store.claim_poll("slurm", 60, now=now + timedelta(seconds=1))
    assert store.claim_poll("slurm", 0, now=now + timedelta(seconds=1))  # a forced poll
    assert store.claim_poll("other", 60, now=now)  # each executor polls on its own
    assert not store.claim_poll("slurm", 60, now=now - timedelta(seconds=30))  # a racer
    assert store.claim_poll("slurm", 60, now=now - timedelta(hours=1))  # the clock went back
    engine.dispose()


def test_one_of_many_racing_clients_claims_a_new_executors_poll(store: RunStore) -> None:
    """Clients racing for the first poll of an executor (no row yet) neither fail on the
    row's creation nor both win."""
    barrier = threading.Barrier(6)
    results: list[bool | BaseException] = []

    def claim() -> None:
        barrier.wait()
        try:
            results.append(store.claim_poll("slurm", 3600))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(repr, results)) == ["False"] * 5 + ["True"]


def _slurm_run(store: RunStore, run_id: str) -> None:
    store.add(Run(id=run_id, status=RunStatus.PENDING, config_json="{}", template="t",
                  run_dir=f"/tmp/{run_id}", created_at=utcnow(), executor="slurm",
                  owner="alice"))
    with store.session(write=True) as s:
        s.add(BatchJob(run_id=run_id, executor="slurm", attempt=1, options_json="{}",
                       state="PENDING", job_id="123"))


def _details(store: RunStore, run_id: str, kind: str) -> list[str | None]:
    return [e.detail for e in store.events(run_id) if e.kind == kind]


def test_a_job_start_is_told_in_its_schedulers_words(store: RunStore) -> None:
    _slurm_run(store, "aaaaaaaaaaaa")
    store.apply_report("aaaaaaaaaaaa", SupervisorReport(
        job=ReportedJob("123", "node1", 1, "Slurm")))
    run = store.get("aaaaaaaaaaaa")
    assert run is not None and run.status == RunStatus.RUNNING and run.job is not None
    assert (run.job.node, run.job.state) == ("node1", "RUNNING")
    assert _details(store, run.id, "started") == ["Slurm job 123 on node1"]
    store.apply_report("aaaaaaaaaaaa", SupervisorReport(
        job=ReportedJob("123", "node2", 2, "Slurm")))
    assert _details(store, run.id, "requeued") == ["attempt 2 of Slurm job 123"]
    # an older supervisor does not say its scheduler: the executor's name stands for it
    _slurm_run(store, "bbbbbbbbbbbb")
    store.apply_report("bbbbbbbbbbbb", SupervisorReport(job=ReportedJob("7", "node3", 1)))
    assert _details(store, "bbbbbbbbbbbb", "started") == ["slurm job 7 on node3"]


def test_the_job_place_reads_both_ways_across_versions() -> None:
    """The scheduler's name is new in the report: an older recorder ignores it (it reads
    only the keys it knows), and a report without it reads as no name."""
    place = JobPlace("123", "node1", 2, "Slurm")
    doc = RecorderReport("aaaaaaaaaaaa", job=place).to_json()
    assert doc["slurm"] == {"job_id": "123", "node": "node1", "attempt": 2,
                            "scheduler": "Slurm"}
    assert RecorderReport.from_json(doc) == RecorderReport("aaaaaaaaaaaa", job=place)
    place_before: dict[str, Any] = {"job_id": "123", "node": "node1", "attempt": 2}
    older = {"run_id": "aaaaaaaaaaaa", "slurm": place_before}
    report = RecorderReport.from_json(older)
    assert report is not None and report.job == JobPlace("123", "node1", 2, None)
    assert parse_report(report).job == ReportedJob("123", "node1", 2, None)
    newer = {**older, "slurm": {**place_before, "scheduler": "Slurm", "queue": "debug"}}
    report = RecorderReport.from_json(newer)
    assert report is not None and parse_report(report).job == \
        ReportedJob("123", "node1", 2, "Slurm")
