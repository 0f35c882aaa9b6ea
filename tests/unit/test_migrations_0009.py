"""Sweeps that grow (migration 0009): a store at 0008 with sweeps, runs, tags and a batch
job keeps every value; the new columns start empty; a sweep's reused runs
(`sweep_members`) work through the ORM and go with their sweep or their run; the
downgrade to 0008 gives the same rows back."""

from __future__ import annotations

from typing import Any

from helpers import migrate_to
from sqlalchemy import inspect, select, text

from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.models import Run, Sweep, SweepMember
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import utcnow

RUNS = ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc")
SWEEPS = ("swswswswswsw", "twtwtwtwtwtw")


def _store_at_0008(db_url: str) -> Any:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0008")
        for sweep_id in SWEEPS:
            conn.execute(text(
                "INSERT INTO sweeps (id, name, template, overrides_json, grid_json, "
                "seeds_json, split_loads, executor, owner, created_at, note) VALUES (:id, "
                "'k sweep', 't', '[]', '[[\"routing_settings.k_paths\", [\"1\", \"2\"]]]', "
                "'[1, 2]', false, 'local', 'alice', '2026-12-01 08:00:00', 'n')"),
                {"id": sweep_id})
        for run_id in RUNS:
            conn.execute(text(
                "INSERT INTO runs (id, name, status, config_json, template, simulator, "
                "executor, run_dir, created_at, owner, sweep_id, point_json, config_hash, "
                "result_blocking) VALUES (:id, 'r', 'COMPLETED', '{}', 't', 'builtin', "
                "'slurm', '/tmp/x', '2026-12-01 08:00:00', 'alice', 'swswswswswsw', "
                "'{\"routing_settings.k_paths\": \"1\"}', 'h', 0.25)"), {"id": run_id})
        conn.execute(text("INSERT INTO run_tags (run_id, tag) VALUES ('aaaaaaaaaaaa', 'x')"))
        conn.execute(text(
            "INSERT INTO batch_jobs (run_id, executor, job_id, attempt, options_json) "
            "VALUES ('aaaaaaaaaaaa', 'slurm', '4242', 2, '{}')"))
    return engine


def _rows(conn: Any) -> tuple[list[Any], ...]:
    return (conn.execute(text("SELECT id, sweep_id, point_json, config_hash, result_blocking "
                              "FROM runs ORDER BY id")).all(),
            conn.execute(text("SELECT id, grid_json, seeds_json, note FROM sweeps "
                              "ORDER BY id")).all(),
            conn.execute(text("SELECT run_id, tag FROM run_tags")).all(),
            conn.execute(text("SELECT run_id, job_id, attempt FROM batch_jobs")).all())


def test_migration_0009_from_0008_with_data(db_url: str) -> None:
    engine = _store_at_0008(db_url)
    with engine.connect() as conn:
        before = _rows(conn)
    assert upgrade_database(engine)
    with engine.connect() as conn:
        assert _rows(conn) == before
    assert "sweep_members" in inspect(engine).get_table_names()

    store = RunStore(make_sessionmaker(engine))
    with store.session() as s:
        sweep = s.get(Sweep, SWEEPS[0])
        assert sweep is not None and (sweep.zip_json, sweep.loads_json) == (None, None)
        s.add_all([SweepMember(sweep_id=SWEEPS[1], run_id=run_id, added_at=utcnow(),
                               point_json='{"routing_settings.k_paths": "2"}')
                   for run_id in RUNS[:2]])
    with store.session() as s:  # a member goes with its run, and with its sweep
        doomed = s.get(Run, RUNS[1])
        assert doomed is not None
        s.delete(doomed)
    with store.session() as s:
        assert s.scalars(select(SweepMember.run_id)).all() == [RUNS[0]]
        s.execute(text("DELETE FROM sweeps WHERE id = :id"), {"id": SWEEPS[1]})
    with store.session() as s:
        assert s.scalars(select(SweepMember)).all() == []
        assert s.get(Run, RUNS[0]) is not None  # the run stays its owner's

    with engine.begin() as conn:
        migrate_to(conn, "0008", down=True)
        assert "sweep_members" not in inspect(conn).get_table_names()
        runs, sweeps, tags, jobs = _rows(conn)
    assert runs == [before[0][0], before[0][2]] and sweeps == before[1][:1]
    assert tags == before[2] and jobs == before[3]
    engine.dispose()
