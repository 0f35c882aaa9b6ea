"""Run queries, transitions and statistics on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm.exc import DetachedInstanceError

from fusion_tui.store.models import BatchJob, Run
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.runs_repo import ReportedOutcome, RunStore, SupervisorReport
from fusion_tui.store.status import RunStatus, utcnow

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


def _add(store: RunStore, n: int, status: RunStatus, *, name: str | None = None,
         template: str = "default", duration: float | None = None) -> Run:
    created = T0 + timedelta(seconds=n)
    started = created if duration is not None else None
    run = Run(id=f"{n:012x}", name=name, status=status, config_json="{}", template=template,
              run_dir=f"/tmp/{n}", created_at=created, started_at=started,
              completed_at=created + timedelta(seconds=duration) if duration is not None
              else None)
    return store.add(run)


def test_list_filter_sort_and_page(store: RunStore) -> None:
    for n in range(10):
        status = RunStatus.COMPLETED if n % 2 else RunStatus.FAILED
        _add(store, n, status, name=f"sweep {n}", template="minimal" if n < 5 else "default")
    newest = store.list_runs(limit=3)
    assert [r.id for r in newest] == [f"{n:012x}" for n in (9, 8, 7)]
    page2 = store.list_runs(limit=3, offset=3)
    assert [r.id for r in page2] == [f"{n:012x}" for n in (6, 5, 4)]
    done = RunQuery(statuses=frozenset({RunStatus.COMPLETED}), descending=False)
    assert [r.id for r in store.list_runs(done)] == [f"{n:012x}" for n in (1, 3, 5, 7, 9)]
    assert store.count_runs(done) == 5
    assert store.count_runs(RunQuery(filter=RunFilter(text="MINIMAL"))) == 5
    seventh = store.list_runs(RunQuery(filter=RunFilter(text="sweep 7")))
    assert [r.name for r in seventh] == ["sweep 7"]
    by_name = store.list_runs(RunQuery(order_by="name", descending=False), limit=2)
    assert [r.name for r in by_name] == ["sweep 0", "sweep 1"]


def test_text_filter_treats_wildcards_literally(store: RunStore) -> None:
    _add(store, 1, RunStatus.COMPLETED, name="100% load")
    _add(store, 2, RunStatus.COMPLETED, name="1000 load")
    literal = store.list_runs(RunQuery(filter=RunFilter(text="100%")))
    assert [r.name for r in literal] == ["100% load"]
    assert store.count_runs(RunQuery(filter=RunFilter(text="_"))) == 0


def test_unknown_sort_column_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot sort by"):
        RunQuery(order_by="config_json; drop table runs")


def test_stats(store: RunStore) -> None:
    for n, d in enumerate((10.0, 20.0, 60.0, 30.0)):
        _add(store, n, RunStatus.COMPLETED, duration=d)
    _add(store, 10, RunStatus.FAILED, duration=5.0)
    _add(store, 11, RunStatus.CANCELLED)
    _add(store, 12, RunStatus.PENDING)
    _add(store, 14, RunStatus.TIMEOUT)
    _add(store, 15, RunStatus.PREEMPTED)
    stats = store.stats()
    assert stats.counts == {"PENDING": 1, "RUNNING": 0, "COMPLETED": 4, "FAILED": 1,
                            "CANCELLED": 1, "TIMEOUT": 1, "OUT_OF_MEMORY": 0,
                            "NODE_FAIL": 0, "PREEMPTED": 1}
    assert stats.total == 9
    assert stats.success_rate == pytest.approx(4 / 6)
    assert stats.mean_duration == pytest.approx(30.0, abs=1e-3)
    assert stats.median_duration == pytest.approx(25.0, abs=1e-3)
    _add(store, 13, RunStatus.COMPLETED, duration=100.0)
    assert store.stats().median_duration == pytest.approx(30.0, abs=1e-3)


def test_stats_of_empty_store(store: RunStore) -> None:
    stats = store.stats()
    assert stats.total == 0 and stats.success_rate is None and stats.median_duration is None


def test_claim_respects_limit_and_order(store: RunStore) -> None:
    for n in (3, 1, 2):
        _add(store, n, RunStatus.PENDING)
    assert store.queue().max_concurrent == 1
    store.set_queue(max_concurrent=2)
    first = store.claim_pending()
    assert [r.id for r in first] == [f"{n:012x}" for n in (1, 2)]
    assert store.claim_pending() == []
    store.finish(first[0].id, RunStatus.COMPLETED, exit_code=0)
    store.set_queue(paused=True)
    assert store.claim_pending() == []
    store.set_queue(paused=False)
    assert [r.id for r in store.claim_pending()] == [f"{3:012x}"]


def test_finish_happens_once(store: RunStore) -> None:
    run = _add(store, 1, RunStatus.RUNNING)
    assert store.finish(run.id, RunStatus.COMPLETED, exit_code=0)
    assert not store.finish(run.id, RunStatus.FAILED, exit_code=1)
    assert store.get(run.id).status == RunStatus.COMPLETED  # type: ignore[union-attr]
    assert [e.kind for e in store.events(run.id)] == ["created", "completed"]


def test_a_late_report_does_not_turn_a_finished_runs_progress_back(store: RunStore) -> None:
    """A supervisor's report from the run's start may be applied after the run was settled
    (the Slurm watcher settles from the folder): its old progress must not win; the
    outcome's report, with the final progress, still does."""
    run = _add(store, 1, RunStatus.RUNNING)
    store.update_progress(run.id, current_erlang_index=1, current_iteration=2)
    assert store.finish(run.id, RunStatus.COMPLETED, exit_code=0, error=None,
                        completed_at=utcnow())
    early = {"current_erlang_index": 0, "current_iteration": None}
    assert not store.apply_report(run.id, SupervisorReport(supervisor=(1, 1.0),
                                                           progress=early))
    done = store.get(run.id)
    assert done is not None and (done.current_erlang_index, done.current_iteration) == (1, 2)
    final = {"current_erlang_index": 1, "current_iteration": 3}
    outcome = ReportedOutcome("COMPLETED", 0, None, utcnow())
    assert not store.apply_report(run.id, SupervisorReport(progress=final, outcome=outcome))
    done = store.get(run.id)
    assert done is not None and (done.status, done.current_iteration) == ("COMPLETED", 3)
    running = _add(store, 2, RunStatus.RUNNING)
    store.apply_report(running.id, SupervisorReport(progress=early))
    live = store.get(running.id)
    assert live is not None and (live.current_erlang_index, live.current_iteration) == (0, None)


def test_delete_only_finished(store: RunStore) -> None:
    running = _add(store, 1, RunStatus.RUNNING)
    done = _add(store, 2, RunStatus.FAILED)
    assert not store.delete_finished(running.id)
    assert store.delete_finished(done.id)
    assert store.get(done.id) is None and store.get(running.id) is not None
    assert [e.kind for e in store.events(done.id)] == ["created", "deleted"]


def test_delete_finished_many_takes_the_finished_ones_by_id(store: RunStore) -> None:
    """More ids than one statement takes (500), most finished: those go, each with its
    `deleted` event; unfinished, missing and unnamed runs stay."""
    finished = [_add(store, n, (RunStatus.FAILED, RunStatus.COMPLETED,
                                RunStatus.CANCELLED)[n % 3]).id for n in range(1, 1201)]
    pending = _add(store, 2001, RunStatus.PENDING).id
    running = _add(store, 2002, RunStatus.RUNNING).id
    other = _add(store, 2003, RunStatus.FAILED).id
    asked = [*finished, pending, running, "0123456789ab"]
    assert sorted(store.delete_finished_many(asked)) == sorted(finished)
    assert store.existing_ids([*asked, other]) == {pending, running, other}
    assert [e.kind for e in store.events(finished[700])] == ["created", "deleted"]
    assert [e.kind for e in store.events(running)] == ["created"]


def test_runs_to_delete_reads_what_deleting_needs_and_nothing_else(store: RunStore) -> None:
    old = _add(store, 1, RunStatus.FAILED, name="old", duration=5)
    _add(store, 2, RunStatus.COMPLETED, name="done")
    with store.session(write=True) as s:
        s.add(BatchJob(run_id=old.id, executor="slurm", job_id="4242", options_json="{}"))
    failed = store.runs_to_delete(RunQuery(statuses=frozenset({RunStatus.FAILED})))
    assert [r.id for r in failed] == [old.id]
    (run,) = failed
    assert (run.status, run.executor, run.run_dir) == ("FAILED", "local", "/tmp/1")
    assert run.created_at == old.created_at and run.completed_at == old.completed_at
    assert run.owner is None and run.job is not None and run.job.job_id == "4242"
    with pytest.raises(InvalidRequestError):
        _ = run.tags  # not read: an attribute deleting does not need fails loudly
    with pytest.raises((InvalidRequestError, DetachedInstanceError)):
        _ = run.name


def test_find_by_prefix(store: RunStore) -> None:
    _add(store, 0xABC1, RunStatus.PENDING)
    _add(store, 0xABC2, RunStatus.PENDING)
    assert len(store.find_by_prefix("00000000abc")) == 2
    assert [r.id for r in store.find_by_prefix("00000000abc1")] == ["00000000abc1"]
    assert store.find_by_prefix("%") == []
