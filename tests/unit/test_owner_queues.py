"""Each user's own queue (migration 0006): the old global limit and pause become every
known user's, and one user's pause, limit or free slot never reaches another's runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import migrate_to
from sqlalchemy import inspect, text

from fusion_tui.base.owner import current_user
from fusion_tui.store.database import make_engine
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow


def test_migration_0006_from_0005_with_data(db_url: str) -> None:

    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, "0005")
        for run_id, owner in (("aaaaaaaaaaaa", "alice"), ("bbbbbbbbbbbb", "bob"),
                              ("cccccccccccc", None)):
            conn.execute(text(
                "INSERT INTO runs (id, status, config_json, template, simulator, executor, "
                "run_dir, created_at, owner) VALUES (:id, 'PENDING', '{}', 't', 'builtin', "
                "'local', '/tmp/x', '2026-11-01 10:00:00', :owner)"),
                {"id": run_id, "owner": owner})
        conn.execute(text(
            "INSERT INTO sweeps (id, template, overrides_json, grid_json, split_loads, "
            "executor, created_at, owner) VALUES ('eeeeeeeeeeee', 't', '[]', '[]', false, "
            "'local', '2026-11-02 10:00:00', 'carol')"))
        conn.execute(text("UPDATE queue_state SET max_concurrent = 4, paused = :p, "
                          "slurm_polled_at = '2026-11-03 10:00:00'"), {"p": True})
        migrate_to(conn, "0006")  # 0007 replaces queue_state (test_migrations_0007)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT owner, max_concurrent, paused FROM owner_queues "
                                 "ORDER BY owner")).all()
        owners = sorted({"alice", "bob", "carol", current_user()})
        assert [tuple(r) for r in rows] == [(o, 4, True) for o in owners]
        assert {c["name"] for c in inspect(conn).get_columns("queue_state")} == \
            {"id", "updated_at", "slurm_polled_at"}
        polled = conn.execute(text("SELECT slurm_polled_at FROM queue_state")).scalar_one()
        assert str(polled).startswith("2026-11-03 10:00:00")
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 3
        conn.execute(text("UPDATE owner_queues SET max_concurrent = 7, paused = :p "
                          "WHERE owner = :o"), {"p": False, "o": current_user()})
        migrate_to(conn, "0005", down=True)  # the downgrading user's queue becomes everyone's
        row = conn.execute(text("SELECT max_concurrent, paused FROM queue_state")).one()
        assert (row[0], bool(row[1])) == (7, False)
        assert "owner_queues" not in inspect(conn).get_table_names()
    engine.dispose()


def _pending(store: RunStore, owner: str, n: int) -> str:
    run_id = f"{owner[0] * 8}{n:04x}"
    store.add(Run(id=run_id, status=RunStatus.PENDING, config_json="{}", template="t",
                  run_dir=f"/tmp/{run_id}", created_at=utcnow() + timedelta(seconds=n),
                  owner=owner))
    return run_id


def test_each_user_pauses_limits_and_fills_only_their_own_queue(store: RunStore) -> None:
    alice = [_pending(store, "alice", n) for n in range(3)]
    bob = [_pending(store, "bob", n) for n in range(10, 13)]
    # a place in the queue counts the owner's runs only (alice's are older than bob's)
    assert [store.count_pending_before(r) for r in (*alice, *bob)] == [0, 1, 2, 0, 1, 2]
    store.set_queue(owner="alice", paused=True)
    store.set_queue(owner="bob", max_concurrent=5)
    assert store.queue("alice").paused and store.queue("alice").max_concurrent == 1
    assert store.queue("bob").max_concurrent == 5 and not store.queue("bob").paused
    # bob's five slots take his three runs, none of alice's; alice's pause holds hers
    assert sorted(r.id for r in store.claim_pending(owner="bob")) == bob
    assert store.claim_pending(owner="alice") == []
    store.set_queue(owner="alice", paused=False)
    # bob's three running runs do not use alice's one slot
    assert [r.id for r in store.claim_pending(owner="alice")] == alice[:1]
    assert store.claim_pending(owner="alice") == []
    assert store.queue("carol").max_concurrent == 1  # a user without a row: the default
    with pytest.raises(ValueError, match="between 1 and"):
        store.set_queue(owner="bob", max_concurrent=0)
