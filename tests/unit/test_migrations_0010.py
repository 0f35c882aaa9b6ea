"""Scale indexes (migration 0010): a store at 0009 with runs of several owners and
statuses keeps every row and answers `runs --status` and `stats` as before, now from
the new indexes; the downgrade drops them and keeps the rows."""

from __future__ import annotations

from typing import Any

from helpers import migrate_to
from sqlalchemy import inspect, text

from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus

NEW = {"ix_runs_owner_status_created_at", "ix_runs_status_owner_started_completed"}
OWNERS = ("alice", "bob", None)
ROWS = [(f"{i:012x}", ("COMPLETED", "FAILED", "CANCELLED")[i % 3], OWNERS[i % 2 + (i % 5 == 0)],
         f"2026-11-03 08:{i:02d}:00", f"2026-11-03 09:{i:02d}:00",
         f"2026-11-03 09:{i:02d}:{i % 50:02d}") for i in range(40)]


def _store_at_0009(db_url: str) -> Any:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0009")
        for run_id, status, owner, created, started, completed in ROWS:
            conn.execute(text(
                "INSERT INTO runs (id, status, config_json, template, simulator, executor, "
                "run_dir, created_at, started_at, completed_at, owner) VALUES (:id, :status, "
                "'{}', 't', 'builtin', 'local', '/tmp/x', :created, :started, :completed, "
                ":owner)"), {"id": run_id, "status": status, "owner": owner,
                             "created": created, "started": started, "completed": completed})
    return engine


def _indexes(engine: Any) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes("runs")}


def test_migration_0010_from_0009_with_data(db_url: str) -> None:
    engine = _store_at_0009(db_url)
    store = RunStore(make_sessionmaker(engine))
    query = RunQuery(filter=RunFilter(statuses=frozenset({RunStatus.FAILED})), owner="alice")
    before = ([r.id for r in store.list_runs(query)], store.stats("alice"), store.stats())
    assert not NEW & _indexes(engine)
    assert upgrade_database(engine)
    assert _indexes(engine) >= NEW
    after = ([r.id for r in store.list_runs(query)], store.stats("alice"), store.stats())
    assert after == before
    assert len(after[0]) > 0 and after[2].total == len(ROWS)
    with engine.begin() as conn:
        migrate_to(conn, "0009", down=True)
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar() == len(ROWS)
    assert not NEW & _indexes(engine)
    engine.dispose()
