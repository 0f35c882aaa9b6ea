"""Engine, sessions, migrations and the reset guard, on real database files/servers."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from helpers import migrate_to
from sqlalchemy import QueuePool, inspect, select, text

from fusion_tui.store.database import (
    get_db,
    health_check,
    make_engine,
    make_sessionmaker,
    normalise_url,
    session_scope,
)
from fusion_tui.store.migrate import (
    current_revision,
    head_revision,
    upgrade_database,
)
from fusion_tui.store.models import Base, Run
from fusion_tui.store.revision import HEAD_REVISION
from fusion_tui.store.status import RunStatus, utcnow


def _run(run_id: str) -> Run:
    return Run(id=run_id, status=RunStatus.PENDING, config_json="{}", template="t",
               run_dir="/tmp/x", created_at=utcnow())


def test_sqlite_connection_settings(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_postgres_pool_settings() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/db")
    pool = engine.pool
    assert engine.url.drivername == "postgresql+psycopg"
    assert isinstance(pool, QueuePool)
    settings = [getattr(pool, name) for name in ("_max_overflow", "_timeout", "_recycle")]
    assert (pool.size(), *settings) == (30, 30, 30, 3600)
    assert getattr(pool, "_pre_ping", False)
    assert normalise_url("postgres://u@h/d").startswith("postgresql+psycopg://")


def test_migrations_build_the_model_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    assert upgrade_database(engine) is True
    assert current_revision(engine) == head_revision()
    assert upgrade_database(engine) is False
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert {"runs", "run_events", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_known_head_matches_the_migration_scripts() -> None:
    """HEAD_REVISION lets start-up skip Alembic; it must name the newest script."""
    assert head_revision() == HEAD_REVISION


def test_start_with_current_schema_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(make_engine(url))
    code = ("import sys; from fusion_tui.store.database import make_engine; "
            "from fusion_tui.store.migrate import upgrade_database; "
            f"assert upgrade_database(make_engine({url!r})) is False; "
            "print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "False"), out.stderr


def test_migration_keeps_existing_rows(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_database(engine)
    factory = make_sessionmaker(engine)
    with session_scope(factory, write=True) as s:
        s.add(_run("aaaaaaaaaaaa"))
    engine.dispose()
    engine = make_engine(sqlite_url)
    upgrade_database(engine)
    with session_scope(make_sessionmaker(engine)) as s:
        assert s.scalar(select(Run.id)) == "aaaaaaaaaaaa"
    engine.dispose()


def test_two_processes_migrating_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    code = ("import sys; from fusion_tui.store.database import make_engine;"
            "from fusion_tui.store.migrate import upgrade_database;"
            "upgrade_database(make_engine(sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE)
             for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    assert current_revision(make_engine(url)) == head_revision()


def test_session_scope_commits_and_rolls_back(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_database(engine)
    factory = make_sessionmaker(engine)
    with session_scope(factory, write=True) as s:
        s.add(_run("aaaaaaaaaaaa"))
    with pytest.raises(RuntimeError), session_scope(factory, write=True) as s:
        s.add(_run("bbbbbbbbbbbb"))
        s.flush()
        raise RuntimeError("boom")
    with session_scope(factory) as s:
        assert list(s.scalars(select(Run.id))) == ["aaaaaaaaaaaa"]
    gen = get_db(factory)
    session = next(gen)
    assert session.scalar(select(Run.id)) == "aaaaaaaaaaaa"
    gen.close()
    engine.dispose()


def test_health_check_reports_failure(tmp_path: Path, sqlite_url: str) -> None:
    assert health_check(make_engine(sqlite_url)) == (True, "ok")
    ok, message = health_check(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))
    assert not ok and "OperationalError" in message


def test_slow_query_warning(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(sqlite_url, slow_query_seconds=0.0)
    with caplog.at_level(logging.WARNING, logger="fusion_tui.db"), engine.connect() as conn:
        conn.execute(text("SELECT 42"))
    assert any("slow query" in r.message and "SELECT 42" in r.message for r in caplog.records)
    caplog.clear()
    quiet = make_engine(sqlite_url, slow_query_seconds=5.0)
    with caplog.at_level(logging.WARNING, logger="fusion_tui.db"), quiet.connect() as conn:
        conn.execute(text("SELECT 42"))
    assert not caplog.records


def test_unsupported_backend() -> None:
    with pytest.raises(ValueError, match="unsupported database backend"):
        make_engine("mysql://u@h/d")


def test_migration_0003_from_0002_with_data(db_url: str) -> None:
    """Runs made before owners and Slurm jobs keep everything and get an owner; the
    new statuses are accepted and an unknown one is refused by the schema."""
    import getpass

    from sqlalchemy.exc import IntegrityError


    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0002")
        conn.execute(text(
            "INSERT INTO runs (id, status, config_json, template, simulator, executor, "
            "run_dir, created_at, exit_code) VALUES ('bbbbbbbbbbbb', 'COMPLETED', '{}', 't', "
            "'builtin', 'local', '/tmp/b', '2026-11-01 10:00:00', 0)"))
        conn.execute(text("INSERT INTO run_events (run_id, kind, at) VALUES "
                          "('bbbbbbbbbbbb', 'completed', '2026-11-01 10:05:00')"))
        conn.execute(text("UPDATE queue_state SET max_concurrent = 3"))
    assert upgrade_database(engine) is True
    with engine.begin() as conn:
        row = conn.execute(text("SELECT status, exit_code, owner FROM runs")).one()
        assert tuple(row) == ("COMPLETED", 0, getpass.getuser())
        assert conn.execute(text("SELECT count(*) FROM run_events")).scalar() == 1
        # the old limit is now that owner's own (0006)
        assert conn.execute(text("SELECT max_concurrent FROM owner_queues WHERE owner = "
                                 ":o"), {"o": getpass.getuser()}).scalar() == 3
        conn.execute(text("UPDATE runs SET status = 'TIMEOUT'"))
        conn.execute(text("INSERT INTO batch_jobs (run_id, executor, job_id, attempt, "
                          "options_json) VALUES ('bbbbbbbbbbbb', 'slurm', '42', 1, '{}')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE runs SET status = 'BOGUS'"))
    with engine.begin() as conn:
        migrate_to(conn, "0002", down=True)
        assert conn.execute(text("SELECT status FROM runs")).scalar() == "FAILED"
    engine.dispose()
