"""What the run list reads beyond a page of runs, on a real database (SQLite, then
PostgreSQL): the list grouped by sweep with each sweep summed up, every run a filter
keeps, statuses, and the cached result of a run, written once."""

from __future__ import annotations

from datetime import timedelta

from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.query import RunFilter, RunQuery, SweepEntry
from fusion_tui.store.result_cache import NONE_FOUND, CachedResult, cached_result
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepStore

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)
SWEEP = "5eeb00000abc"


def _run(n: int, status: RunStatus, *, sweep: bool = False, blocking: float | None = None,
         iteration: int = 0) -> Run:
    return Run(id=f"{n:012x}", name=f"run {n}", status=status.value, config_json="{}",
               template="default", run_dir=f"/nonexistent/{n}",
               created_at=T0 + timedelta(seconds=n),
               started_at=T0 + timedelta(seconds=n, minutes=1),
               completed_at=T0 + timedelta(seconds=n, minutes=5)
               if status.is_finished else None,
               total_erlangs=2, total_iterations=5, current_erlang_index=1,
               current_iteration=iteration, sweep_id=SWEEP if sweep else None,
               point_json='{"routing_settings.k_paths": "1"}' if sweep else None,
               result_load=None if blocking is None else 300.0, result_blocking=blocking)


def _store_with_a_sweep(store: RunStore) -> None:
    """Loose runs 1 and 5 around a sweep of runs 2, 3, 4 (one running half-way)."""
    sweep = Sweep(id=SWEEP, name="fits", template="default", overrides_json="[]",
                  grid_json="[]", executor="local", created_at=T0)
    SweepStore(store).add(sweep, [
        _run(2, RunStatus.COMPLETED, sweep=True, blocking=0.03),
        _run(3, RunStatus.COMPLETED, sweep=True, blocking=0.02),
        _run(4, RunStatus.RUNNING, sweep=True),
    ])
    store.add(_run(1, RunStatus.FAILED))
    store.add(_run(5, RunStatus.PENDING))


def test_grouped_list_has_a_sweep_as_one_entry(store: RunStore) -> None:
    _store_with_a_sweep(store)
    query = RunQuery()
    assert store.count_entries(query) == 3
    page = store.list_grouped(query, limit=10)
    assert [getattr(e, "id", None) or getattr(e, "sweep_id", None) for e in page] == \
        [f"{5:012x}", SWEEP, f"{1:012x}"]  # by newest run, sweeps by their newest
    entry = page[1]
    assert isinstance(entry, SweepEntry)
    assert (entry.name, entry.total, entry.counts) == ("fits", 3, {"COMPLETED": 2,
                                                                  "RUNNING": 1})
    assert abs(entry.fraction - (1 + 1 + 0.5) / 3) < 1e-9  # (1 * 5 + 0) / (2 * 5) = 0.5
    assert entry.best_blocking == 0.02 and entry.completed_at is None
    assert entry.started_at == T0 + timedelta(seconds=2, minutes=1)
    expanded = store.list_grouped(query, limit=10, expanded={SWEEP})
    assert [r.id for r in expanded[2:5]] == [f"{n:012x}" for n in (4, 3, 2)]  # type: ignore[union-attr]
    assert store.list_grouped(query, limit=1, offset=1)[0] == entry
    # Filters apply to the runs, then the grouping: the sweep sums up what is kept.
    done = RunQuery(statuses=frozenset({RunStatus.COMPLETED}), descending=False)
    (only,) = store.list_grouped(done, limit=10)
    assert isinstance(only, SweepEntry) and only.counts == {"COMPLETED": 2}
    assert only.completed_at == T0 + timedelta(seconds=3, minutes=5)
    assert store.count_entries(RunQuery(filter=RunFilter(text="run 1"))) == 1


def test_every_run_a_query_keeps_and_their_statuses(store: RunStore) -> None:
    _store_with_a_sweep(store)
    by_blocking = RunQuery(order_by="result_blocking", descending=False,
                           statuses=frozenset({RunStatus.COMPLETED}))
    assert [r.id for r in store.list_runs(by_blocking)] == [f"{3:012x}", f"{2:012x}"]
    assert sorted(store.run_ids(RunQuery(sweep_id=SWEEP))) == [f"{n:012x}" for n in (2, 3, 4)]
    assert store.run_ids(RunQuery(statuses=frozenset({RunStatus.PENDING}))) == [f"{5:012x}"]
    assert store.statuses([f"{1:012x}", f"{4:012x}", "ffffffffffff"]) == {
        f"{1:012x}": "FAILED", f"{4:012x}": "RUNNING"}


def test_a_result_is_cached_once(store: RunStore) -> None:
    _store_with_a_sweep(store)
    failed, pending = f"{1:012x}", f"{5:012x}"
    assert [r.id for r in store.runs_needing_results([failed, pending], limit=10)] == [failed]
    assert [r.id for r in store.runs_needing_results(sweep_ids=[SWEEP], limit=10)] == []
    store.store_results({failed: None})
    row = store.get(failed)
    assert row is not None and (row.result_load, row.result_blocking) == (NONE_FOUND, None)
    assert cached_result(row.result_load, row.result_blocking, row.result_low,
                         row.result_high) is None
    assert store.runs_needing_results([failed], limit=10) == []
    store.store_results({failed: CachedResult(600.0, 0.1, 0.09, 0.11)})  # already looked
    again = store.get(failed)
    assert again is not None and again.result_load == NONE_FOUND
