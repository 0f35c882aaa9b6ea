"""Daily use (migration 0008): a store at 0007 with runs, a sweep and a batch job keeps
every value; the new columns start empty and the new tables work through the ORM; the
downgrade to 0007 gives the same rows back (the runs' jobs included)."""

from __future__ import annotations

from typing import Any

from helpers import migrate_to
from sqlalchemy import inspect, select, text

from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.models import Run, RunDependency, RunTag, Schedule, Sweep, SweepTag
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import utcnow

RUNS = ("aaaaaaaaaaaa", "bbbbbbbbbbbb")


def _store_at_0007(db_url: str) -> Any:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0007")
        conn.execute(text(
            "INSERT INTO sweeps (id, name, template, overrides_json, grid_json, split_loads, "
            "executor, owner, created_at) VALUES ('swswswswswsw', 'k sweep', 't', '[]', "
            "'[]', false, 'slurm', 'alice', '2026-11-03 08:00:00')"))
        for run_id in RUNS:
            conn.execute(text(
                "INSERT INTO runs (id, name, status, config_json, template, simulator, "
                "executor, run_dir, created_at, owner, sweep_id, current_iteration) VALUES "
                "(:id, 'r', 'COMPLETED', '{}', 't', 'builtin', 'slurm', '/tmp/x', "
                "'2026-11-03 08:00:00', 'alice', 'swswswswswsw', 7)"), {"id": run_id})
        conn.execute(text(
            "INSERT INTO batch_jobs (run_id, executor, job_id, attempt, options_json) "
            "VALUES ('aaaaaaaaaaaa', 'slurm', '4242', 2, '{}')"))
    return engine


def _rows(conn: Any) -> tuple[list[Any], list[Any], list[Any]]:
    runs = conn.execute(text("SELECT id, name, sweep_id, current_iteration FROM runs "
                             "ORDER BY id")).all()
    sweeps = conn.execute(text("SELECT id, name, executor FROM sweeps")).all()
    jobs = conn.execute(text("SELECT run_id, job_id, attempt FROM batch_jobs")).all()
    return runs, sweeps, jobs


def test_migration_0008_from_0007_with_data(db_url: str) -> None:
    engine = _store_at_0007(db_url)
    with engine.connect() as conn:
        before = _rows(conn)
    assert upgrade_database(engine)
    with engine.connect() as conn:
        assert _rows(conn) == before
    assert {"run_tags", "sweep_tags", "run_dependencies", "schedules"} <= \
        set(inspect(engine).get_table_names())

    store = RunStore(make_sessionmaker(engine))
    run = store.get(RUNS[0])
    assert run is not None
    assert (run.result_blocking, run.note, run.start_after, run.tags, run.needs) == \
        (None, None, None, [], [])
    with store.session() as s:
        s.add_all([RunTag(run_id=RUNS[0], tag="baseline"), RunTag(run_id=RUNS[1], tag="x"),
                   SweepTag(sweep_id="swswswswswsw", tag="paper"),
                   RunDependency(run_id=RUNS[1], needs_id=RUNS[0]),
                   Schedule(id="schschschsch", owner="alice", cron="0 2 * * *",
                            spec_json="{}", paused=False, created_at=utcnow())])
        sweep = s.get(Sweep, "swswswswswsw")
        assert sweep is not None
        sweep.note = "for the paper"
    run = store.get(RUNS[1])
    assert run is not None and [t.tag for t in run.tags] == ["x"]
    assert [d.needs_id for d in run.needs] == [RUNS[0]]
    with store.session() as s:  # a run's tags and dependencies go with it
        doomed = s.get(Run, RUNS[1])
        assert doomed is not None
        s.delete(doomed)
    with store.session() as s:
        assert s.scalars(select(RunTag.tag)).all() == ["baseline"]
        assert s.scalars(select(RunDependency)).all() == []

    with engine.begin() as conn:
        migrate_to(conn, "0007", down=True)
        assert not {"run_tags", "sweep_tags", "run_dependencies", "schedules"} & \
            set(inspect(conn).get_table_names())
        runs, sweeps, jobs = _rows(conn)
    assert runs == [before[0][0]] and sweeps == before[1] and jobs == before[2]
