"""The sweeps schema (migration 0005) and store: upgrading keeps older runs, and a
sweep's current runs are those no retry replaced."""

from __future__ import annotations

import json

import pytest
from helpers import migrate_to

from fusion_tui.services import Services
from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepStore


@pytest.mark.parametrize("revision", ["0004"])
def test_migration_0005_keeps_older_runs(db_url: str, revision: str) -> None:
    from sqlalchemy import text

    from fusion_tui.store.database import make_engine
    from fusion_tui.store.migrate import upgrade_database

    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, revision)
        conn.execute(text(
            "INSERT INTO runs (id, status, config_json, template, simulator, executor, "
            "run_dir, created_at, owner, config_hash, seed) VALUES ('dddddddddddd', "
            "'COMPLETED', '{}', 't', 'builtin', 'local', '/tmp/d', '2026-11-01 10:00:00', "
            "'alice', 'abc', 4)"))
    assert upgrade_database(engine)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT status, owner, seed, sweep_id, point_json "
                                "FROM runs")).one()
        assert tuple(row) == ("COMPLETED", "alice", 4, None, None)
        conn.execute(text(
            "INSERT INTO sweeps (id, template, overrides_json, grid_json, split_loads, "
            "executor, created_at) VALUES ('eeeeeeeeeeee', 't', '[]', '[]', false, 'local', "
            "'2026-11-02 10:00:00')"))
        conn.execute(text("UPDATE runs SET sweep_id = 'eeeeeeeeeeee'"))
    with engine.begin() as conn:  # a run cannot name a sweep that does not exist
        with pytest.raises(Exception, match=r"(?i)foreign key"), conn.begin_nested():
            conn.execute(text("UPDATE runs SET sweep_id = 'ffffffffffff'"))
        conn.execute(text("UPDATE runs SET sweep_id = NULL"))
        migrate_to(conn, revision, down=True)
        assert conn.execute(text("SELECT id FROM runs")).scalar_one() == "dddddddddddd"
    engine.dispose()


def _run(run_id: str, sweep_id: str, status: RunStatus, origin: str | None = None) -> Run:
    return Run(id=run_id, status=status, config_json="{}", template="t", run_dir=f"/x/{run_id}",
               created_at=utcnow(), sweep_id=sweep_id, origin_id=origin,
               point_json=json.dumps({"a.k": run_id[0]}))


def test_current_runs_skip_replaced_ones(services: Services) -> None:
    store = SweepStore(services.store)
    sweep = Sweep(id="aaaaaaaaaaaa", template="t", overrides_json="[]", grid_json="[]",
                  split_loads=False, executor="local", created_at=utcnow(), owner="me")
    store.add(sweep, [_run("100000000000", sweep.id, RunStatus.COMPLETED),
                      _run("200000000000", sweep.id, RunStatus.FAILED)])
    store.add(None, [_run("300000000000", sweep.id, RunStatus.PENDING, "200000000000")])
    assert [r.id for r in store.runs(sweep.id)] == ["100000000000", "300000000000"]
    assert len(store.runs(sweep.id, current=False)) == 3
    (row,) = store.listing("me")
    assert row.counts == {"COMPLETED": 1, "PENDING": 1} and row.total == 2
    assert store.listing("someone else") == []
    assert not store.delete(sweep.id)  # it still has runs


def _sweep(sweep_id: str) -> Sweep:
    return Sweep(id=sweep_id, template="t", overrides_json="[]", grid_json="[]",
                 split_loads=False, executor="local", created_at=utcnow(), owner="me")


def test_a_reused_run_counts_in_both_sweeps_and_is_handed_over_not_deleted(
        services: Services) -> None:
    """The run stays its owner's (`runs.sweep_id`); the sweep reusing it reads it with its
    own point and counts it; before the owner's sweep goes, the run moves to the sweep
    that reuses it, so that sweep keeps it."""
    from fusion_tui.store.models import SweepMember

    store = SweepStore(services.store)
    owner, reuser = _sweep("aaaaaaaaaaaa"), _sweep("bbbbbbbbbbbb")
    store.add(owner, [_run("100000000000", owner.id, RunStatus.COMPLETED),
                      _run("200000000000", owner.id, RunStatus.COMPLETED)])
    here = json.dumps({"a.k": "1", "b.m": "x"})
    store.add(reuser, [_run("300000000000", reuser.id, RunStatus.PENDING)],
              members=[SweepMember(sweep_id=reuser.id, run_id="100000000000",
                                   point_json=here, added_at=utcnow())])
    runs = store.runs(reuser.id)
    assert [r.id for r in runs] == ["100000000000", "300000000000"]
    assert runs[0].point_json == here and runs[0].sweep_id == owner.id
    assert json.loads(store.runs(owner.id)[0].point_json or "") == {"a.k": "1"}  # unchanged
    assert store.reused_ids(reuser.id) == {"100000000000"}
    counts = {row.sweep.id: row.counts for row in store.listing("me")}
    assert counts == {owner.id: {"COMPLETED": 2},
                      reuser.id: {"COMPLETED": 1, "PENDING": 1}}

    assert store.hand_over(owner.id) == ["100000000000"]
    assert store.reused_ids(reuser.id) == set()
    moved = [r for r in store.runs(reuser.id) if r.id == "100000000000"]
    assert moved and moved[0].sweep_id == reuser.id and moved[0].point_json == here
    assert [r.id for r in store.runs(owner.id)] == ["200000000000"]


def test_reuse_candidates_are_completed_runs_of_the_same_hash(services: Services) -> None:
    store = SweepStore(services.store)
    sweep = _sweep("aaaaaaaaaaaa")
    runs = [_run(f"{i}00000000000", sweep.id, status)
            for i, status in enumerate([RunStatus.COMPLETED, RunStatus.FAILED,
                                        RunStatus.CANCELLED, RunStatus.COMPLETED], 1)]
    for run, digest in zip(runs, ["h1", "h1", "h1", "h2"], strict=True):
        run.config_hash = digest
    store.add(sweep, runs)
    assert [r.id for r in store.completed_with(["h1"])] == ["100000000000"]
    assert {r.id for r in store.completed_with(["h1", "h2", "h3"])} == \
        {"100000000000", "400000000000"}


def test_an_extension_is_stored_whole_and_undone_whole(services: Services) -> None:
    """`extend` stores the new grid with its runs and reused runs in one transaction; a
    refused batch (`forget`) puts the grid back and lets the reused runs go."""
    from datetime import timedelta

    from fusion_tui.store.models import SweepMember

    store = SweepStore(services.store)
    owner, sweep = _sweep("aaaaaaaaaaaa"), _sweep("bbbbbbbbbbbb")
    sweep.seeds_json = "[1]"
    done = _run("100000000000", owner.id, RunStatus.COMPLETED)
    start = utcnow()
    done.template, done.started_at, done.total_erlangs = "t", start, 2
    done.completed_at = start + timedelta(seconds=42)
    store.add(owner, [done])
    store.add(sweep, [_run("200000000000", sweep.id, RunStatus.COMPLETED)])
    wider = Sweep(id=sweep.id, grid_json="[]", seeds_json="[1, 2, 3]", zip_json=None,
                  loads_json=None)
    store.add(None, [_run("300000000000", sweep.id, RunStatus.PENDING)],
              members=[SweepMember(sweep_id=sweep.id, run_id=done.id, added_at=utcnow(),
                                   point_json='{"builtin_settings.seed": "2"}')],
              grown=wider)
    stored = store.get(sweep.id)
    assert stored is not None and stored.seeds_json == "[1, 2, 3]"
    assert {r.id for r in store.runs(sweep.id)} == {"100000000000", "200000000000",
                                                    "300000000000"}
    store.forget(sweep.id, [done.id], sweep)
    stored = store.get(sweep.id)
    assert stored is not None and stored.seeds_json == "[1]"
    assert store.reused_ids(sweep.id) == set()
    assert store.durations("t", 2) == [42.0] and store.durations("t", 3) == []
