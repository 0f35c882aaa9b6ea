"""The run lifecycle with real subprocesses, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from helpers import alive, eventually, poll_until, worker_pids

from fusion_tui.base import procs
from fusion_tui.base.rundir import RunPaths, write_json_atomic
from fusion_tui.base.settings import Settings
from fusion_tui.runs.errors import InvalidState
from fusion_tui.runs.manager import RunManager
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow


def kinds(services: Services, run_id: str) -> list[str]:
    return [e.kind for e in services.store.events(run_id)]


def test_run_completes_end_to_end(services: Services) -> None:
    run = services.manager.create("fake", name="first")
    assert run.status == RunStatus.RUNNING
    done = services.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.COMPLETED
    assert done.exit_code == 0
    assert done.error_message is None
    assert (done.current_erlang, done.current_erlang_index, done.current_iteration) == (200, 1, 2)
    assert (done.total_erlangs, done.total_iterations) == (2, 2)
    assert done.started_at and done.completed_at and done.completed_at >= done.started_at
    assert kinds(services, run.id) == ["created", "started", "completed"]
    paths = RunPaths(Path(done.run_dir))
    status = json.loads(paths.status.read_text())
    assert (status["state"], status["status"], status["exit_code"]) == ("exited", "COMPLETED", 0)
    assert "Iteration 2 out of 2 completed for Erlang: 200.0" in paths.log.read_text()
    assert paths.config.read_text().startswith("[general_settings]")
    assert "[fusion_tui]" not in paths.config.read_text()
    assert paths.output.is_dir() and paths.progress.is_file()


def test_failed_run_records_exit_code_and_error(services: Services) -> None:
    run = services.manager.create("fake", overrides=["fake.behaviour=fail"])
    done = services.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.FAILED
    assert done.exit_code == 3
    assert done.error_message == "simulator exited with code 3: boom"
    assert kinds(services, run.id)[-1] == "failed"


def test_progress_from_log_lines_when_no_progress_file(services: Services) -> None:
    run = services.manager.create("fake", overrides=["fake.behaviour=no_progress"])
    done = services.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.COMPLETED
    assert not RunPaths(Path(done.run_dir)).progress.exists()
    assert (done.current_erlang, done.current_erlang_index, done.current_iteration) == (200, 1, 2)


def _running_order(svc: Services, runs: list[Run]) -> dict[str, int]:
    """For each run, the round of polling the store in which it was first seen claimed
    (not PENDING), until every run has been. Its supervisor's start time cannot tell the
    claims' order: a standby supervisor is started before its run is claimed."""
    seen: dict[str, int] = {}
    deadline = time.monotonic() + 60
    for round_ in itertools.count():
        for run in runs:
            now = svc.store.get(run.id)
            if run.id not in seen and now is not None and now.status != RunStatus.PENDING:
                seen[run.id] = round_
        if len(seen) == len(runs) or time.monotonic() > deadline:
            return seen
        time.sleep(0.01)
    return seen


def _assert_started_in_order_within_limit(runs: list[Run], seen: dict[str, int],
                                          limit: int) -> None:
    # Claims are seen in creation order; two seen in the same round of polling keep it.
    claims = sorted(runs, key=lambda r: (seen[r.id], r.created_at))
    assert [r.id for r in claims] == [r.id for r in sorted(runs, key=lambda r: r.created_at)]
    for r in runs:
        assert r.started_at is not None and r.completed_at is not None
        overlapping = [o for o in runs if o.started_at is not None and o.completed_at is not None
                       and o.started_at <= r.started_at < o.completed_at]
        assert len(overlapping) <= limit


@pytest.mark.parametrize("limit,count", [(1, 3), (2, 5)])
def test_queue_starts_in_creation_order_within_limit(
        tmp_path: Path, db_url: str, limit: int, count: int) -> None:
    from conftest import make_settings

    svc = open_services(make_settings(tmp_path, db_url))
    svc.store.set_queue(max_concurrent=limit)
    try:
        go = tmp_path / "go"  # no run ends before all are created, however slow creation is
        created = [svc.manager.create("fake", name=f"q{i}", overrides=[
            "fake.sleep=0.1", "fake.behaviour=hold", f"fake.go={go}"]) for i in range(count)]
        assert [r.status for r in created[:limit]] == [RunStatus.RUNNING] * limit
        assert all(r.status == RunStatus.PENDING for r in created[limit:])
        assert "queued" in kinds(svc, created[-1].id)
        go.write_text("")
        seen = _running_order(svc, created)
        finished = [svc.manager.wait(r.id, timeout=60) for r in created]
        assert all(r.status == RunStatus.COMPLETED for r in finished)
        _assert_started_in_order_within_limit(finished, seen, limit)
    finally:
        svc.close()


def test_cancel_pending_run_starts_no_process(tmp_path: Path, db_url: str) -> None:
    from conftest import make_settings

    svc = open_services(make_settings(tmp_path, db_url))
    try:
        blocker = svc.manager.create("fake", overrides=["fake.behaviour=hang"])
        queued = svc.manager.create("fake")
        assert queued.status == RunStatus.PENDING
        cancelled = svc.manager.cancel(queued.id)
        assert cancelled.status == RunStatus.CANCELLED
        assert cancelled.pid is None and cancelled.supervisor_pid is None
        svc.manager.cancel(blocker.id)
        assert svc.manager.wait(blocker.id, timeout=30).status == RunStatus.CANCELLED
        assert svc.manager.get(queued.id).pid is None
    finally:
        svc.close()


def test_cancel_kills_whole_process_tree(services: Services) -> None:
    run = services.manager.create("fake", overrides=["fake.behaviour=pool"])
    pids = poll_until(lambda: worker_pids(run.run_dir), lambda p: len(p) == 3)
    assert all(alive(p) for p in pids)
    leader = poll_until(lambda: services.manager.get(run.id), lambda r: r.pgid is not None)
    assert leader.pgid == pids[0]
    services.manager.cancel(run.id)
    done = services.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.CANCELLED
    assert not any(alive(p) for p in pids)
    assert procs.run_processes(run.id) == []
    assert kinds(services, run.id)[-1] == "cancelled"


def test_a_worker_left_behind_by_a_completed_run_is_stopped_and_said(
        services: Services) -> None:
    """A simulator that completes but leaves a worker detached (a new session, its
    parent gone): the worker is the supervisor's (the subreaper's), which stops it at the
    run's end and says so in the run's trail."""
    run = services.manager.create("fake", overrides=["fake.behaviour=leave_worker"])
    done = services.manager.wait(run.id, timeout=60)
    assert done.status == RunStatus.COMPLETED
    _leader, worker = worker_pids(run.run_dir)
    eventually(lambda: not alive(worker), timeout=30)
    assert procs.run_processes(run.id) == []
    details = [e.detail or "" for e in services.store.events(run.id)]
    assert any(d.startswith("SIGTERM to 1 process of the run (left behind when the "
                            "simulator ended)") for d in details), details


def test_cancel_escalates_to_sigkill_without_blocking_caller(
        tmp_path: Path, db_url: str) -> None:
    from conftest import make_settings

    svc = open_services(make_settings(tmp_path, db_url, cancel_grace=3.0))
    try:
        run = svc.manager.create("fake", overrides=["fake.behaviour=ignore_term"])
        pid = eventually(lambda: worker_pids(run.run_dir))[0]
        began = time.monotonic()
        svc.manager.cancel(run.id)
        returned_after = time.monotonic() - began
        assert returned_after < 3.0 / 2, "cancel must not wait for the grace period"
        assert alive(pid), "a process that ignores SIGTERM lives until the grace ends"
        done = svc.manager.wait(run.id, timeout=30)
        assert done.status == RunStatus.CANCELLED
        assert done.exit_code == -signal.SIGKILL
        assert not alive(pid)
        # each signal sent is in the audit trail once (every report carries them all)
        sent = [e.detail or "" for e in svc.store.events(run.id) if e.kind == "signalled"]
        assert [d.split(" ", 1)[0] for d in sent] == ["SIGTERM", "SIGKILL"], sent
    finally:
        svc.close()


def test_delete_finished_run_removes_row_and_directory(services: Services) -> None:
    run = services.manager.create("fake")
    services.manager.wait(run.id, timeout=30)
    services.manager.delete(run.id)
    assert services.store.get(run.id) is None
    assert not Path(run.run_dir).exists()
    assert kinds(services, run.id)[-1] == "deleted"


def test_delete_refuses_running_run_and_signals_nothing(services: Services) -> None:
    run = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    pid = eventually(lambda: worker_pids(run.run_dir))[0]
    with pytest.raises(InvalidState, match="cancel it before deleting"):
        services.manager.delete(run.id)
    assert alive(pid)
    assert Path(run.run_dir).is_dir()
    services.manager.cancel(run.id)
    services.manager.wait(run.id, timeout=30)


_APP = textwrap.dedent("""
    import sys, time
    from fusion_tui.services import open_services
    from fusion_tui.base.settings import Settings
    settings = Settings.load()
    svc = open_services(settings)
    first = svc.manager.create("fake", overrides=[
        "fake.sleep=0.4", "fake.behaviour=hold", f"fake.go={settings.home / 'go'}"])
    second = svc.manager.create("fake")
    print(first.id, second.id, flush=True)
    time.sleep(600)
""")


def _start_app(settings: Settings) -> tuple[subprocess.Popen[str], str, str]:
    env = {**os.environ, **settings.to_env()}
    # Default signal dispositions, as a terminal gives them, even when the suite itself
    # runs with SIGHUP ignored (under nohup).
    app = subprocess.Popen([sys.executable, "-c", _APP], env=env, stdout=subprocess.PIPE,
                           text=True, start_new_session=True,
                           preexec_fn=procs.reset_signal_dispositions)
    assert app.stdout is not None
    first, second = app.stdout.readline().split()
    return app, first, second


@pytest.mark.parametrize("how", ["kill -9", "SIGHUP to its process group"])
def test_runs_survive_the_app_and_the_queue_moves_on(settings: Settings, how: str) -> None:
    app, first, second = _start_app(settings)
    svc = open_services(settings)
    try:
        eventually(lambda: svc.store.get(first).pid is not None)  # type: ignore[union-attr]
        assert svc.store.get(second).status == RunStatus.PENDING  # type: ignore[union-attr]
        if how == "kill -9":
            app.kill()
        else:
            os.killpg(app.pid, signal.SIGHUP)
        app.wait(timeout=10)
        assert svc.store.get(first).status == RunStatus.RUNNING  # type: ignore[union-attr]
        (settings.home / "go").write_text("")  # the first run may end only now
        done = poll_until(lambda: svc.manager.get(first), lambda r: r.status != "RUNNING",
                          timeout=30)
        assert (done.status, done.exit_code) == (RunStatus.COMPLETED, 0)
        nxt = poll_until(lambda: svc.manager.get(second), lambda r: r.status == "COMPLETED",
                         timeout=30)
        assert nxt.exit_code == 0
    finally:
        if app.poll() is None:
            app.kill()
        svc.close()


def _running_row(services: Services, tmp_path: Path, pid: int, started: float,
                 age: timedelta = timedelta(minutes=5)) -> Run:
    run_id = "abcdef012345"
    run_dir = tmp_path / "home" / "runs" / run_id
    RunPaths(run_dir).create()
    run = Run(id=run_id, status=RunStatus.RUNNING, config_json="{}", template="fake",
              simulator="builtin", executor="local", hostname=services.manager.hostname,
              run_dir=str(run_dir), created_at=utcnow() - age, started_at=utcnow() - age,
              pid=pid, pgid=pid, pid_started=started, supervisor_pid=pid,
              supervisor_started=started)
    return services.store.add(run)


def test_reused_pid_is_not_the_run_and_is_never_signalled(
        services: Services, tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        real_start = psutil.Process(stranger.pid).create_time()
        run = _running_row(services, tmp_path, stranger.pid, real_start - 1000.0)
        assert not procs.is_same_process(stranger.pid, real_start - 1000.0)
        services.manager.cancel(run.id)
        cancelled = poll_until(lambda: services.manager.get(run.id),
                               lambda r: r.status != RunStatus.RUNNING)
        assert cancelled.status == RunStatus.CANCELLED
        assert stranger.poll() is None, "the unrelated process was signalled"
        assert "signalled" not in kinds(services, run.id)

        other = _running_row_again(services, tmp_path, stranger.pid, real_start - 1000.0)
        assert [r.outcome for r in services.manager.reconcile()] == ["adopted"]
        settled = poll_until(lambda: services.manager.get(other.id),
                             lambda r: r.status != RunStatus.RUNNING)
        assert settled.status == RunStatus.FAILED
        assert "nothing shows that the simulator ever started" in (settled.error_message or "")
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def _running_row_again(services: Services, tmp_path: Path, pid: int, started: float) -> Run:
    services.manager.delete("abcdef012345")
    return _running_row(services, tmp_path, pid, started)


def test_reconcile_takes_outcome_recorded_while_no_app_was_open(
        services: Services, tmp_path: Path) -> None:
    run = _running_row(services, tmp_path, 999_999, 1.0)
    write_json_atomic(RunPaths(Path(run.run_dir)).status, {
        "state": "exited", "status": "COMPLETED", "exit_code": 0, "error": None,
        "completed_at": "2026-11-22T10:00:00",
    })
    settled = services.manager.reconcile()
    assert [(s.run_id, s.outcome) for s in settled] == [(run.id, "COMPLETED")]
    done = services.manager.get(run.id)
    assert (done.status, done.exit_code) == (RunStatus.COMPLETED, 0)
    assert kinds(services, run.id)[-2:] == ["completed", "recovered"]


def test_reconcile_leaves_live_run_running(settings: Settings) -> None:
    first = open_services(settings)
    run = first.manager.create("fake", overrides=["fake.behaviour=hang"])
    eventually(lambda: first.store.get(run.id).pid is not None)  # type: ignore[union-attr]
    first.close()
    again = open_services(settings)
    try:
        assert again.manager.reconcile() == []
        assert again.manager.get(run.id).status == RunStatus.RUNNING
        again.manager.cancel(run.id)
        assert again.manager.wait(run.id, timeout=30).status == RunStatus.CANCELLED
    finally:
        again.close()


def test_process_start_identity(tmp_path: Path) -> None:
    me = os.getpid()
    assert procs.is_same_process(me, procs.start_time(me))
    assert not procs.is_same_process(me, (procs.start_time(me) or 0) + 10)
    assert not procs.signal_verified(me, signal.SIGTERM, b"X=1", 1.0)


def test_manager_is_usable_without_services(settings: Settings) -> None:
    svc = open_services(settings)
    try:
        assert isinstance(svc.manager, RunManager)
    finally:
        svc.close()


BUILTIN_WITHOUT_PROGRESS = (
    "{python} -m fusion_tui.sim --config_path {config_path} --run_id {run_id}"
    " --output_dir {output_dir} --workers 1"
)


@pytest.mark.parametrize("command", ["default", "log lines only"])
def test_builtin_simulator_end_to_end(tmp_path: Path, db_url: str, command: str) -> None:
    from conftest import make_settings

    from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND

    chosen = DEFAULT_BUILTIN_COMMAND if command == "default" else BUILTIN_WITHOUT_PROGRESS
    svc = open_services(make_settings(tmp_path, db_url, simulator_command=chosen))
    try:
        run = svc.manager.create("minimal", overrides=["general_settings.num_requests=500"])
        done = svc.manager.wait(run.id, timeout=60)
        assert (done.status, done.exit_code) == (RunStatus.COMPLETED, 0), done.error_message
        assert (done.current_erlang, done.current_erlang_index, done.current_iteration) == (
            600.0, 1, 2)
        paths = RunPaths(Path(done.run_dir))
        assert paths.progress.exists() == (command == "default")
        names = sorted(p.name for p in paths.output.iterdir())
        assert names == ["300.0_erlang.json", "600.0_erlang.json", "summary.csv"]
        assert "Iteration 2 out of 2 completed for Erlang: 600.0" in paths.log.read_text()
    finally:
        svc.close()
