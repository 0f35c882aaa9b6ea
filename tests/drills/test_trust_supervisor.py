"""Fault drills: the supervisor dies, a pid is reused, the queue limit is the store's.

Real supervisors, waiters and simulators, real signals, real SQLite files and a real
PostgreSQL; every wait is for a condition with a deadline.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import make_settings
from helpers import Cli, alive, eventually, poll_until, worker_pids

from fusion_tui.base import lock, procs
from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.documents import RecorderReport
from fusion_tui.base.ids import new_run_id
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.base.settings import Settings
from fusion_tui.runs.supervision.reporter import Reporter, progress_sync_seconds
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow


def kinds(services: Services, run_id: str) -> list[str]:
    return [e.kind for e in services.store.events(run_id)]


def _identity(path: Path, pid_key: str, started_key: str) -> tuple[int, float]:
    def read() -> tuple[int, float] | None:
        data = read_json(path) or {}
        pid, started = data.get(pid_key), data.get(started_key)
        if "pid" in data and isinstance(pid, int) and isinstance(started, float):
            return pid, started
        return None

    value = eventually(read)
    assert value is not None
    return value


def _supervisor(run: Run) -> tuple[int, float]:
    return _identity(RunPaths(Path(run.run_dir)).status, "supervisor_pid", "supervisor_started")


def _waiter(run: Run) -> tuple[int, float]:
    return _identity(RunPaths(Path(run.run_dir)).process, "waiter_pid", "waiter_started")


def _kill9(pid: int, started: float) -> None:
    assert procs.is_same_process(pid, started)
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: not procs.is_same_process(pid, started))


def test_supervisor_killed_run_settles_with_its_true_outcome_and_queue_moves_on(
        services: Services) -> None:
    """kill -9 of the supervisor: the waiter adopts, no app and no command needed."""
    run = services.manager.create("fake", overrides=["fake.sleep=0.5"])
    queued = services.manager.create("fake")
    assert queued.status == RunStatus.PENDING
    supervisor = _supervisor(run)
    _kill9(*supervisor)
    done = poll_until(lambda: services.store.get(run.id), lambda r: r is not None and
                      r.status != RunStatus.RUNNING, timeout=30)
    assert done is not None
    assert (done.status, done.exit_code, done.error_message) == (RunStatus.COMPLETED, 0, None)
    log = RunPaths(Path(run.run_dir)).supervisor_log.read_text()
    assert "adopted the run" in log
    nxt = poll_until(lambda: services.store.get(queued.id),
                     lambda r: r is not None and r.status == RunStatus.COMPLETED, timeout=30)
    assert nxt is not None and nxt.exit_code == 0


def test_the_forked_waiter_holds_no_lock_and_says_what_it_is(services: Services) -> None:
    """The waiter is forked from the supervisor: it must not keep the supervisor's lock
    (or a dead supervisor would look alive and nobody would adopt), and `top` shows it
    by its own name."""
    run = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    supervisor = _supervisor(run)
    paths = RunPaths(Path(run.run_dir))
    waiter = _identity(paths.process, "waiter_pid", "waiter_started")
    assert waiter[0] != supervisor[0]
    assert Path(f"/proc/{waiter[0]}/comm").read_text().strip() == "fusion-waiter"
    assert procs.belongs(waiter[0], procs.marker(procs.SUPERVISOR_MARKER, run.id), waiter[1])
    try:
        _kill9(*supervisor)
        # The waiter notices within a second and a new supervisor takes the lock.
        new = eventually(lambda: (s := _supervisor(run)) != supervisor and s)
        assert new and procs.is_same_process(*new) and lock.is_held(paths.lock)
        assert procs.is_same_process(*waiter), "the waiter went with its supervisor"
    finally:
        services.manager.cancel(run.id)
    done = services.manager.wait(run.id, timeout=30)
    assert done is not None and done.status == RunStatus.CANCELLED


def test_an_adopting_supervisor_knows_waiters_of_both_kinds(tmp_path: Path) -> None:
    """After an upgrade a supervisor may adopt a run whose waiter an earlier version
    started as a process of its own (its own marker); a forked one carries the
    supervisor's. A process with the right pid and start time but neither marker is
    not the run's waiter."""
    from fusion_tui.runs.supervision.supervisor import Supervisor

    run_id = new_run_id()  # its own: markers are seen machine-wide, by other workers too
    paths = RunPaths(tmp_path / run_id)
    paths.create()
    supervisor = Supervisor(paths, run_id, adopt=True)
    found = {}
    for name in (procs.SUPERVISOR_MARKER, procs.EXECUTED_WAITER_MARKER, "SOMEONE_ELSE"):
        proc = subprocess.Popen(["sleep", "60"], env={**os.environ, name: run_id})
        try:
            # Popen returns at exec's point of no return, before the kernel has set up the
            # new program's arguments and environment.
            eventually(Path(f"/proc/{proc.pid}/cmdline").read_bytes)
            started = procs.start_time(proc.pid)
            assert started is not None
            supervisor.processes.waiter_identity = (proc.pid, started)
            found[name] = supervisor.processes.waiter_alive()
        finally:
            proc.kill()
            proc.wait()
    assert found == {procs.SUPERVISOR_MARKER: True, procs.EXECUTED_WAITER_MARKER: True,
                     "SOMEONE_ELSE": False}


_LOW_LOCK = """
import os, sys
from pathlib import Path
from fusion_tui.base import lock
os.close(0)
fd = lock.take(Path(sys.argv[1]))
print(fd, flush=True)
os.read(int(sys.argv[2]), 1)  # holds the lock until the test closes the pipe
"""


def test_a_lock_never_takes_a_standard_streams_number(tmp_path: Path) -> None:
    """With its stdin closed (a daemon's habit), a process that takes a run's lock gets
    it on a number above the standard streams: handed to a supervisor as fd 0 it would
    be replaced by that process's stdin, and the run would look unsupervised."""
    path = tmp_path / "supervisor.lock"
    hold_read, hold_write = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", _LOW_LOCK, str(path), str(hold_read)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                            pass_fds=(hold_read,))
    try:
        assert proc.stdout is not None
        assert int(proc.stdout.readline()) >= 3
        assert lock.is_held(path)
    finally:
        os.close(hold_write)
        assert proc.wait(timeout=30) == 0
        os.close(hold_read)
    assert not lock.is_held(path)


_TAKE_MARKER = """
import os, sys
from fusion_tui.base import procs
pid = os.fork()
if pid == 0:
    short = procs.take_marker(procs.SUPERVISOR_MARKER, "abc")
    taken = procs.take_marker(procs.SUPERVISOR_MARKER, sys.argv[1])
    print(os.getpid(), short, taken, os.environ.get(procs.SUPERVISOR_MARKER), flush=True)
    sys.stdin.read()
    os._exit(0)
os.waitpid(pid, 0)
"""


@pytest.mark.parametrize("given", [procs.UNASSIGNED, None])
def test_a_forked_process_takes_a_run_marker_only_over_the_unassigned_one(
        given: str | None) -> None:
    """A process forked by the fork server writes its run's id over the unassigned
    marker: /proc shows it (so every check of ours knows it as that run's) and its
    parent keeps the unassigned one. A value of another length, or a process started
    without the unassigned marker, changes nothing."""
    run_id = new_run_id()
    env = {k: v for k, v in os.environ.items() if k not in procs.MARKERS}
    if given is not None:
        env[procs.SUPERVISOR_MARKER] = given
    parent = subprocess.Popen([sys.executable, "-c", _TAKE_MARKER, run_id], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdin is not None
        child, short, taken, seen = parent.stdout.readline().split()
        assert short == "False" and taken == str(given is not None)
        mine = procs.marker(procs.SUPERVISOR_MARKER, run_id)
        assert procs.belongs(int(child), mine) == (given is not None)
        assert seen == (run_id if given is not None else "None")
        assert not procs.carries(parent.pid, mine)
        if given is not None:
            assert procs.carries(parent.pid, procs.marker(procs.SUPERVISOR_MARKER, given))
        parent.stdin.close()
        assert parent.wait(timeout=30) == 0
    finally:
        parent.kill()
        parent.wait()


def test_the_fork_server_refuses_a_command_line_not_its_own(tmp_path: Path) -> None:
    for argv in ([], ["x"], ["3", "4"]):
        result = subprocess.run([sys.executable, "-m", "fusion_tui.runs.fork_server", *argv],
                                capture_output=True, text=True, cwd=tmp_path, timeout=30)
        assert result.returncode == 2
        assert result.stderr.startswith("usage: ") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [[], ["--adopt", "/x", "id"], ["--lock-fd", "x", "/x", "id"],
                                  ["--job", "--lock-fd", "3", "/x", "id"],
                                  ["--lock-fd", "3", "/x"], ["--bogus", "/x", "id"],
                                  ["--lock-fd", "3", "--recorder-fds", "4", "/x", "id"],
                                  ["--lock-fd", "3", "--recorder-fds", "4,4", "/x", "id"],
                                  ["--lock-fd", "3", "--recorder-fds", "3,4", "/x", "id"],
                                  ["--job", "--recorder-fds", "4,5", "/x", "id"]])
def test_the_supervisor_refuses_a_command_line_not_its_own(tmp_path: Path,
                                                           argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "fusion_tui.runs.supervisor", *argv],
                            capture_output=True, text=True, cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_supervisor_and_waiter_killed_next_command_settles_from_the_evidence(
        cli: Cli, services: Services) -> None:
    """Nothing of ours survives; the simulator finishes alone. The next command (a
    listing) adopts the run and settles it from its progress file, starting nothing."""
    run = services.manager.create("fake", overrides=["fake.sleep=0.4"])
    queued = services.manager.create("fake")
    waiter = _waiter(run)
    supervisor = _supervisor(run)
    _kill9(*waiter)
    _kill9(*supervisor)
    eventually(lambda: not procs.run_processes(run.id), timeout=30)
    assert services.store.get(run.id).status == RunStatus.RUNNING  # type: ignore[union-attr]
    listing = cli(services.settings, "runs")
    assert listing.returncode == 0, listing.stderr
    done = poll_until(lambda: services.store.get(run.id),
                      lambda r: r is not None and r.status != RunStatus.RUNNING, timeout=30)
    assert done is not None
    assert (done.status, done.exit_code) == (RunStatus.COMPLETED, 0)
    assert kinds(services, run.id)[-2:] == ["completed", "recovered"]
    # The adopting supervisor (not the listing) moved the queue on.
    nxt = poll_until(lambda: services.store.get(queued.id),
                     lambda r: r is not None and r.status == RunStatus.COMPLETED, timeout=30)
    assert nxt is not None


def test_run_with_no_evidence_is_failed_saying_what_is_known(services: Services) -> None:
    # The simulator lives 5 s, time enough to kill its supervisor and waiter on a busy
    # machine (with 1 s a loaded CI found the supervisor already done), then ends alone.
    run = services.manager.create("fake", overrides=["fake.behaviour=silent", "fake.sleep=5"])
    waiter = _waiter(run)
    _kill9(*_supervisor(run))
    _kill9(*waiter)
    eventually(lambda: not procs.run_processes(run.id), timeout=30)
    services.manager.reconcile(schedule=False)
    done = poll_until(lambda: services.store.get(run.id),
                      lambda r: r is not None and r.status != RunStatus.RUNNING, timeout=30)
    assert done is not None and done.status == RunStatus.FAILED and done.exit_code is None
    assert "no exit status and no final progress event" in (done.error_message or "")


def test_another_live_supervisor_adopts_a_run_whose_supervisor_died(
        services: Services) -> None:
    """Two runs; the first loses supervisor and waiter while its simulator lives on. The
    second run's supervisor notices within seconds and re-attaches; cancel then works."""
    services.store.set_queue(max_concurrent=2)
    orphan = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    services.manager.create("fake", overrides=["fake.behaviour=hang"])
    sim_pid = eventually(lambda: worker_pids(orphan.run_dir))[0]
    waiter = _waiter(orphan)
    _kill9(*_supervisor(orphan))
    _kill9(*waiter)
    paths = RunPaths(Path(orphan.run_dir))
    eventually(lambda: "adopted the run (simulator" in paths.supervisor_log.read_text(),
               timeout=20)
    assert lock.is_held(paths.lock)
    assert alive(sim_pid)
    services.manager.cancel(orphan.id)
    done = poll_until(lambda: services.store.get(orphan.id),
                      lambda r: r is not None and r.status == RunStatus.CANCELLED, timeout=30)
    assert done is not None and not alive(sim_pid)
    assert "signalled" in kinds(services, orphan.id)


def test_listing_starts_nothing_and_the_limit_is_the_stores(cli: Cli, services: Services) -> None:
    first = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    second = services.manager.create("fake")
    services.store.set_queue(max_concurrent=2)  # raised behind everyone's back
    for args in (["runs"], ["show", second.id], ["stats"], ["logs", second.id]):
        result = cli(services.settings, *args)
        assert result.returncode == 0, result.stderr
        assert services.store.get(second.id).status == RunStatus.PENDING  # type: ignore[union-attr]
    result = cli(services.settings, "parallel", "1")
    assert "up to 1 at once" in result.stdout
    assert services.store.get(second.id).status == RunStatus.PENDING  # type: ignore[union-attr]
    assert "queue paused" in cli(services.settings, "pause").stdout
    assert "up to 2 at once" in cli(services.settings, "parallel", "2").stdout
    assert services.store.get(second.id).status == RunStatus.PENDING  # type: ignore[union-attr]
    result = cli(services.settings, "start")
    assert result.returncode == 0 and "queue running" in result.stdout
    poll_until(lambda: services.store.get(second.id),
               lambda r: r is not None and r.status == RunStatus.COMPLETED, timeout=30)
    services.manager.cancel(first.id)
    services.manager.wait(first.id, timeout=30)


@pytest.mark.parametrize("value", ["0", "-1", "1001", "many", "99999999999999999999"])
def test_parallel_refuses_bad_limits(cli: Cli, tmp_path: Path, sqlite_url: str, value: str) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    result = cli(settings, "parallel", value)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "N" in result.stderr


def test_a_supervisor_schedules_with_the_limit_in_the_store_not_its_environment(
        services: Services) -> None:
    """Runs finish one by one; each supervisor starts the next under the stored limit,
    which is lowered while they run."""
    services.store.set_queue(max_concurrent=2)
    runs = [services.manager.create("fake", overrides=["fake.sleep=0.3"]) for _ in range(5)]
    services.store.set_queue(max_concurrent=1)
    finished = [services.manager.wait(r.id, timeout=60) for r in runs]
    assert all(r.status == RunStatus.COMPLETED for r in finished)
    later = sorted(finished[2:], key=lambda r: r.started_at)  # type: ignore[arg-type,return-value]
    for a, b in itertools.pairwise(later):
        assert a.completed_at is not None and b.started_at is not None
        assert b.started_at >= a.completed_at, "two runs overlapped under a limit of 1"


def _take_pid(target: int, argv: list[str]) -> subprocess.Popen[bytes] | None:
    """Start `argv` with pid `target` (root only, through ns_last_pid); None if raced."""
    for _ in range(50):
        Path("/proc/sys/kernel/ns_last_pid").write_text(str(target - 1))
        proc = subprocess.Popen(argv, start_new_session=True)
        if proc.pid == target:
            return proc
        proc.kill()
        proc.wait()
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="forcing a pid needs root (ns_last_pid)")
def test_reused_pid_and_group_within_the_grace_are_never_signalled(
        tmp_path: Path, db_url: str) -> None:
    """The leader ignores SIGTERM; a worker, leader of a group of its own, ends on it. A
    stranger takes the worker's pid, and so its group id, within the grace period: the
    SIGKILL at the end of the grace reaches the leader only."""
    svc = open_services(make_settings(tmp_path, db_url, cancel_grace=3.0))
    try:
        run = svc.manager.create("fake", overrides=["fake.behaviour=split_worker"])
        leader, worker = eventually(lambda: worker_pids(run.run_dir))
        svc.manager.cancel(run.id)
        eventually(lambda: str(worker) not in os.listdir("/proc"))
        stranger = _take_pid(worker, ["sleep", "60"])
        assert stranger is not None, "could not force the pid"
        try:
            assert os.getpgid(stranger.pid) == worker
            assert alive(leader), "the grace period ended before the stranger started"
            done = poll_until(lambda: svc.manager.get(run.id),
                              lambda r: r.status == RunStatus.CANCELLED, timeout=30)
            assert not alive(leader)
            assert stranger.poll() is None, "the stranger with the reused pid was signalled"
            details = [e.detail or "" for e in svc.store.events(run.id) if e.kind == "signalled"]
            assert any(d.startswith("SIGKILL to 1 process ") for d in details), details
            assert done.status == RunStatus.CANCELLED
        finally:
            stranger.kill()
            stranger.wait()
    finally:
        svc.close()


def test_a_reused_supervisor_pid_is_not_signalled_by_cancel(
        services: Services, tmp_path: Path) -> None:
    """status.json names a live process with the right start time but without the
    supervisor's marker (its pid was reused): cancel does not signal it, and the run's
    new supervisor settles the cancel."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                start_new_session=True)
    try:
        started = eventually(lambda: procs.start_time(stranger.pid))
        run_id = new_run_id()  # its own: markers are seen machine-wide, by other workers too
        paths = RunPaths(services.settings.runs_dir / run_id)
        paths.create()
        paths.status.write_text(json.dumps({"state": "running", "supervisor_pid": stranger.pid,
                                            "supervisor_started": started}))
        services.store.add(Run(
            id=run_id, status=RunStatus.RUNNING, config_json="{}", template="fake",
            simulator="builtin", executor="local", hostname=services.manager.hostname,
            run_dir=str(paths.root), created_at=utcnow(), started_at=utcnow()))
        services.manager.cancel(run_id)
        done = poll_until(lambda: services.store.get(run_id),
                          lambda r: r is not None and r.status != RunStatus.RUNNING)
        assert done is not None and done.status == RunStatus.CANCELLED
        assert stranger.poll() is None, "the process with the reused pid was signalled"
    finally:
        stranger.kill()
        stranger.wait()


def test_supervisor_stays_small(services: Services) -> None:
    """The resident supervisor never loads the database layer."""
    run = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    pid, _ = _supervisor(run)
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "sqlalchemy" not in maps and "psycopg" not in maps
    modules = subprocess.run(
        [sys.executable, "-c", "import sys, fusion_tui.runs.supervisor, "
         "fusion_tui.runs.supervision, fusion_tui.runs.waiter;"
         "print(sorted(m for m in sys.modules if m.split('.')[0] in "
         "('sqlalchemy', 'psutil', 'psycopg', 'alembic', 'textual')))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert modules == "[]"
    services.manager.cancel(run.id)
    services.manager.wait(run.id, timeout=30)


def test_progress_reports_slow_down_once_the_helper_leaves() -> None:
    """A long run spawns a recorder (half a CPU-second) at most once a minute, but never
    so seldom that a run making progress looks stalled in the list."""
    assert progress_sync_seconds(helper_warm=True, stall_seconds=300) == 10
    assert progress_sync_seconds(helper_warm=False, stall_seconds=300) == 60
    assert progress_sync_seconds(helper_warm=False, stall_seconds=90) == 30
    assert progress_sync_seconds(helper_warm=False, stall_seconds=5) == 10


def _recorders_of(supervisor_pid: int) -> list[int]:
    """The served recorder helpers a supervisor started (its children running one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == supervisor_pid and b"fusion_tui.runs.recorder" in cmdline \
                and b"--serve" in cmdline:
            found.append(int(entry.name))
    return found


def test_a_killed_recorder_helper_loses_nothing(services: Services) -> None:
    """The supervisor keeps its recorder helper up while the run is young; killed with
    SIGKILL, the next report starts a new one and the outcome still reaches the store,
    and the queue moves on."""
    services.store.set_queue(max_concurrent=1)
    first = services.manager.create("fake", overrides=["fake.sleep=0.5",
                                                       "general_settings.max_iters=8"])
    second = services.manager.create("fake")
    pid, _ = _supervisor(first)
    helpers = poll_until(lambda: _recorders_of(pid), bool, timeout=30)
    for helper in helpers:
        os.kill(helper, signal.SIGKILL)
    assert services.manager.wait(first.id, timeout=60).status == RunStatus.COMPLETED
    assert services.manager.wait(second.id, timeout=60).status == RunStatus.COMPLETED
    settled = services.store.get(first.id)
    assert settled is not None and settled.exit_code == 0


def _serve(settings_env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fusion_tui.runs.recorder", "--serve"],
                            env={**os.environ, **settings_env}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _queued_run(tmp_path: Path, sqlite_url: str) -> tuple[Settings, Run]:
    """Settings on a fresh store holding one run that waits (the queue is paused)."""
    settings = make_settings(tmp_path, sqlite_url)
    svc = open_services(settings)
    try:
        svc.store.set_queue(paused=True)
        return settings, svc.manager.create("fake")
    finally:
        svc.close()


def _progress_report(run_id: str) -> RecorderReport:
    """A supervisor's progress report for `run_id`."""
    return RecorderReport(run_id, (os.getpid(), 1.0), None, (),
                          {"current_erlang": 100.0, "total_erlangs": 2})


def test_the_reporter_lets_its_idle_helper_go_once_the_run_is_no_longer_young(
        tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper stays up between documents while the run is young; after that it is
    sent away at once (on EOF), not left to race its own idle exit with the next report."""
    settings, run = _queued_run(tmp_path, sqlite_url)
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    reporter = Reporter(warm_until=time.monotonic() + 3600)
    reporter.send(_progress_report(run.id))
    assert eventually(reporter.poll, timeout=30) is True
    helper = reporter.proc
    assert isinstance(helper, subprocess.Popen)
    assert reporter.poll() is None and helper.poll() is None
    reporter.warm_until = time.monotonic()
    assert reporter.poll() is None and reporter.proc is None
    assert helper.wait(timeout=30) == 0  # its own idle exit would take a minute


def test_the_served_recorder_answers_each_document_and_never_creates_a_store(
        tmp_path: Path, sqlite_url: str) -> None:
    """One answer line per document: applied (`ok`), or `retry` with the reason when the
    store is gone (no empty store is made in its place) or the line is not a document;
    a store put back is used again; it leaves when its input closes."""
    settings, run = _queued_run(tmp_path, sqlite_url)
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    helper = _serve(settings.to_env())
    assert helper.stdin is not None and helper.stdout is not None

    def ask(line: str) -> str:
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(line + "\n")
        helper.stdin.flush()
        return helper.stdout.readline().strip()

    progress = _progress_report(run.id).to_json()
    assert ask(json.dumps(progress)) == "ok"
    svc = open_services(settings)
    try:
        stored = svc.store.get(run.id)
        assert stored is not None
        assert (stored.supervisor_pid, stored.current_erlang) == (os.getpid(), 100.0)
    finally:
        svc.close()
    db.rename(db.with_name("moved.db"))
    answer = ask(json.dumps(progress))
    assert answer.startswith("retry ") and "does not exist" in answer and str(db) in answer
    assert not db.exists()
    assert ask("{not json").startswith("retry not a document")
    db.with_name("moved.db").rename(db)
    assert ask(json.dumps(progress)) == "ok"
    helper.stdin.close()
    assert helper.wait(timeout=30) == 0


def _sim_pid(run: Run) -> int:
    pids: list[int] = eventually(lambda: worker_pids(run.run_dir))
    return pids[0]


@pytest.mark.parametrize("ends", ["at_once", "later"])
def test_a_killed_waiter_loses_neither_the_exit_status_nor_the_truth(
        services: Services, ends: str) -> None:
    """kill -9 of the waiter while the simulator runs: the simulator runs on (the
    supervisor, alive throughout, is its subreaper), ends with status 3 either a moment
    after the kill or once the supervisor has noticed, and the run is FAILED with exit
    code 3, recorded in exit.json too; no message blames a process that was alive."""
    run = services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
    paths = RunPaths(Path(run.run_dir))
    sim = _sim_pid(run)
    supervisor = _supervisor(run)
    _kill9(*_waiter(run))
    if ends == "later":
        eventually(lambda: "the waiter ended without recording the simulator's exit status; "
                           "collecting it here" in paths.supervisor_log.read_text())
        assert alive(sim)
        assert services.store.get(run.id).status == RunStatus.RUNNING  # type: ignore[union-attr]
    write_atomic(paths.output / "go", "3\n")
    done = poll_until(lambda: services.store.get(run.id),
                      lambda r: r is not None and r.status != RunStatus.RUNNING, timeout=30)
    assert done is not None
    assert (done.status, done.exit_code, done.error_message) == (
        RunStatus.FAILED, 3, "simulator exited with code 3")
    assert (read_json(paths.exit) or {}).get("exit_code") == 3
    assert "recovered" not in kinds(services, run.id)
    # The same supervisor settled it: no adoption, nobody else was needed.
    assert (read_json(paths.status) or {}).get("supervisor_pid") == supervisor[0]
    log = paths.supervisor_log.read_text()
    assert "adopted" not in log and "lost" not in log
    eventually(lambda: not procs.is_same_process(*supervisor), timeout=30)


@pytest.mark.parametrize("how", ["cancel", "exit 3"])
def test_a_stopped_waiter_holds_up_neither_the_end_nor_a_cancel(
        services: Services, how: str) -> None:
    """SIGSTOP the waiter, then the simulator ends (cancelled, or on its own with 3): its
    exit status is a zombie only the stopped waiter could reap. The supervisor ends the
    waiter and collects the status itself, so the run settles with the simulator's
    real status, not whenever someone sends SIGCONT."""
    run = services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
    paths = RunPaths(Path(run.run_dir))
    sim = _sim_pid(run)
    waiter = _waiter(run)
    os.kill(waiter[0], signal.SIGSTOP)
    eventually(lambda: procs.is_stopped(*waiter))
    if how == "cancel":
        services.manager.cancel(run.id)
        expected = (RunStatus.CANCELLED, -signal.SIGTERM)
    else:
        write_atomic(paths.output / "go", "3\n")
        expected = (RunStatus.FAILED, 3)
    done = poll_until(lambda: services.store.get(run.id),
                      lambda r: r is not None and r.status != RunStatus.RUNNING, timeout=30)
    assert done is not None
    assert (done.status, done.exit_code) == expected, done.error_message
    assert not alive(sim)
    assert "ending the waiter to collect the exit status here" in \
        paths.supervisor_log.read_text()


def _stopped(pid: int) -> bool:
    return bool(psutil.Process(pid).status() == psutil.STATUS_STOPPED)


def test_a_stopped_supervisor_does_not_delay_cancel(cli: Cli, services: Services) -> None:
    """SIGSTOP the supervisor, then `fusion-tui cancel`: the canceller stops the
    simulator itself within the grace period (it ignores SIGTERM, so this takes the
    SIGKILL) and records the run CANCELLED. Once continued, the supervisor settles to
    the same outcome, changes nothing recorded and exits."""
    run = services.manager.create("fake", overrides=["fake.behaviour=ignore_term"])
    sim = _sim_pid(run)
    supervisor = _supervisor(run)
    paths = RunPaths(Path(run.run_dir))
    grace = services.settings.cancel_grace
    os.kill(supervisor[0], signal.SIGSTOP)
    try:
        eventually(lambda: _stopped(supervisor[0]))
        asked = time.monotonic()
        result = cli(services.settings, "cancel", run.id)
        assert result.returncode == 0, result.stderr
        eventually(lambda: not alive(sim), timeout=grace + 5)
        assert time.monotonic() - asked < grace + 5
        assert result.stdout.strip() == f"{run.id} CANCELLED"
        done = services.store.get(run.id)
        assert done is not None and done.status == RunStatus.CANCELLED
        assert done.exit_code == -signal.SIGKILL
        assert _stopped(supervisor[0]), "the supervisor ran before it was continued"
    finally:
        os.kill(supervisor[0], signal.SIGCONT)
    eventually(lambda: not procs.is_same_process(*supervisor), timeout=30)
    after = services.store.get(run.id)
    assert after is not None
    assert (after.status, after.exit_code, after.error_message, after.completed_at) == (
        done.status, done.exit_code, done.error_message, done.completed_at)
    status = read_json(paths.status) or {}
    assert (status.get("state"), status.get("status"), status.get("exit_code")) == (
        "exited", "CANCELLED", -signal.SIGKILL)
    events = kinds(services, run.id)
    assert events.count("cancelled") == 1 and "signalled" in events
