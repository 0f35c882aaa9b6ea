"""Hostile drills for the fork server (`runs/fork_server.py`) and the recorder helper
that serves many supervisors (`runs/recorder.py::serve`): real supervisors, waiters,
helpers, fork servers and simulators, real signals, on SQLite and a real PostgreSQL;
every wait is for a condition with a deadline."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from helpers import alive, eventually, poll_until
from test_recorder_handover import (
    _cmdline,
    _fork_servers,
    _go,
    _marked,
    _recorded_pid,
    _recorded_supervisor,
    _recorder_processes,
    _running,
    _wait_handed,
)
from test_trust_supervisor import _recorders_of, _supervisor

from fusion_tui.base import lock, procs
from fusion_tui.base.rundir import RunPaths
from fusion_tui.services import Services
from fusion_tui.store.event_kinds import EventKind
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus

WAIT_GO = ["fake.behaviour=wait_go"]


def _home_mark(services: Services) -> bytes:
    return f"FUSION_TUI_HOME={services.settings.home}".encode()


def _helpers(services: Services) -> list[int]:
    """The recorder helpers of this store's queue (other tests run theirs meanwhile)."""
    home = _home_mark(services)
    return [pid for pid in _recorder_processes() if procs.carries(pid, home)]


def _children(pid: int) -> dict[int, str]:
    """A process's children (every thread's) and the state of each (`Z` a zombie)."""
    found: dict[int, str] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            try:
                stat = Path(f"/proc/{kid}/stat").read_text()
            except OSError:
                continue
            found[int(kid)] = stat.rsplit(")", 1)[1].split()[0]
    return found


def _ours(services: Services, runs: list[Run]) -> set[int]:
    """Every live process of this test: a run's simulator, supervisor or waiter, a
    helper or fork server of this home."""
    found = set(_helpers(services)) | set(_fork_servers(services))
    for run in runs:
        found |= _marked(run)
        found |= {pid for pid, _ in procs.run_processes(run.id)}
    return found


def _ended(services: Services, run: Run, status: RunStatus, code: int | None) -> Run:
    done = services.manager.wait(run.id, timeout=60)
    assert done is not None and (done.status, done.exit_code) == (status, code), \
        (done.status, done.exit_code, done.error_message, _log(run),
         [(e.kind, e.detail) for e in services.store.events(run.id)])
    return done


def _log(run: Run) -> str:
    try:
        return RunPaths(Path(run.run_dir)).supervisor_log.read_text()
    except OSError as exc:
        return str(exc)


def _forked(supervisor: int) -> bool:
    return b"fusion_tui.runs.fork_server" in _cmdline(supervisor)


def test_a_killed_forked_supervisor_is_adopted_and_the_queue_goes_on(
        services: Services) -> None:
    """kill -9 of a supervisor the fork server forked, once its run is RUNNING: its
    waiter adopts, the run ends with the simulator's own status, and the next queued run
    starts."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=WAIT_GO) for _ in range(2))
    third = services.manager.create("fake")
    _running(services, first)
    _go(first, 2)
    second = _running(services, second)
    supervisor = _supervisor(second)
    assert _forked(supervisor[0])
    os.kill(supervisor[0], signal.SIGKILL)
    eventually(lambda: not procs.is_same_process(*supervisor), timeout=60)
    # The waiter starts a new supervisor that takes the lock; only then may it end.
    eventually(lambda: (s := _supervisor(second)) != supervisor and procs.is_same_process(*s),
               timeout=60)
    _go(second, 3)
    _ended(services, second, RunStatus.FAILED, 3)
    assert "adopted the run" in RunPaths(Path(second.run_dir)).supervisor_log.read_text()
    _ended(services, third, RunStatus.COMPLETED, 0)


def test_a_killed_shared_helper_loses_no_supervisor_it_served(services: Services) -> None:
    """kill -9 of the recorder helper while it serves three supervisors it started (one
    run's end starts them): each falls back to a helper of its own, every outcome reaches
    the store, the queue moves on, and no fork server of the queue outlives it."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake", overrides=WAIT_GO) for _ in range(4)]
    last = services.manager.create("fake")
    _running(services, runs[0])
    services.store.set_queue(max_concurrent=3)
    _go(runs[0], 2)
    served = [_running(services, r) for r in runs[1:]]
    helpers = {_wait_handed(_supervisor(r)[0]) for r in served}
    assert len(helpers) == 1
    helper = helpers.pop()
    os.kill(helper, signal.SIGKILL)
    eventually(lambda: helper not in _recorder_processes(), timeout=60)
    for run, code in zip(served, (3, 4, 5), strict=True):
        _go(run, code)
    for run, code in zip(served, (3, 4, 5), strict=True):
        _ended(services, run, RunStatus.FAILED, code)
        assert "cannot hand the report to the recorder" in \
            RunPaths(Path(run.run_dir)).supervisor_log.read_text() or \
            "the recorder helper ended without answering" in \
            RunPaths(Path(run.run_dir)).supervisor_log.read_text()
    _ended(services, last, RunStatus.COMPLETED, 0)
    eventually(lambda: not _ours(services, [*runs, last]), timeout=120)


def test_a_run_cancelled_while_the_fork_server_is_stopped_has_one_supervisor(
        services: Services) -> None:
    """The fork server is stopped when the next run is claimed; the run is cancelled
    while the recorder waits for the server. The run ends CANCELLED; the late fork, when
    the server goes on, never becomes a second supervisor of it; nothing of the test is
    left running at the end."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake", overrides=WAIT_GO) for _ in range(3)]
    tail = services.manager.create("fake")
    _running(services, runs[0])
    _go(runs[0], 2)
    _running(services, runs[1])
    # Its supervisor forked (the server is idle), the server is stopped.
    assert _forked(_recorded_supervisor(services, runs[1]))
    server = eventually(lambda: _fork_servers(services), timeout=60)[0]
    os.kill(server, signal.SIGSTOP)
    try:
        _go(runs[1], 3)
        # Claimed (RUNNING), its supervisor not yet started: the recorder is waiting.
        _running(services, runs[2])
        services.manager.cancel(runs[2].id)
        _ended(services, runs[2], RunStatus.CANCELLED, None)
    finally:
        os.kill(server, signal.SIGCONT)
    _ended(services, tail, RunStatus.COMPLETED, 0)
    paths = RunPaths(Path(runs[2].run_dir))
    eventually(lambda: not _marked(runs[2]), timeout=60)
    assert lock.is_held(paths.lock) is False
    events = [e.kind for e in services.store.events(runs[2].id)]
    assert events.count(EventKind.CANCELLED) == 1, events
    assert paths.supervisor_log.read_text().count("run ended:") <= 1
    eventually(lambda: not _ours(services, [*runs, tail]), timeout=120)


def test_no_fork_server_or_zombie_outlives_a_queue_of_short_runs(services: Services) -> None:
    """Twenty short runs, one at a time: no child of a helper or fork server of the
    queue stays a zombie (each one seen is gone two seconds later), and once the queue
    is over no helper, fork server or supervisor of it is left."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake") for _ in range(20)]
    lingering: dict[int, float] = {}  # a zombie child, and when it was first seen
    kept: list[int] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now = time.monotonic()
        zombies = {kid for parent in (*_helpers(services), *_fork_servers(services))
                   for kid, state in _children(parent).items() if state == "Z"}
        for kid in list(lingering):
            if kid not in zombies:
                del lingering[kid]
        for kid in zombies:
            since = lingering.setdefault(kid, now)
            if now - since > 2.0:
                kept.append(kid)
        assert not kept, f"zombies kept by a helper or fork server of the queue: {kept}"
        last = services.store.get(runs[-1].id)
        if last is not None and last.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            break
        time.sleep(0.1)
    for run in runs:
        _ended(services, run, RunStatus.COMPLETED, 0)
    eventually(lambda: not _ours(services, runs), timeout=120)


def test_a_queued_run_whose_folder_went_fails_and_the_next_one_is_forked(
        services: Services) -> None:
    """A queued run whose folder was removed before its turn: it FAILS, saying it could
    not start its supervisor, and the run after it starts, forked by the fork server;
    the fork server survives."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake", overrides=WAIT_GO) for _ in range(4)]
    _running(services, runs[0])
    _go(runs[0], 2)
    _running(services, runs[1])
    assert _forked(_recorded_supervisor(services, runs[1]))
    server = eventually(lambda: _fork_servers(services), timeout=60)[0]
    shutil.rmtree(runs[2].run_dir)
    _go(runs[1], 3)
    gone = services.manager.wait(runs[2].id, timeout=60)
    assert gone is not None and gone.status == RunStatus.FAILED
    assert "cannot start supervisor" in (gone.error_message or "")
    _running(services, runs[3])
    supervisor = _recorded_supervisor(services, runs[3])
    assert _forked(supervisor) and alive(server)
    _go(runs[3], 4)
    _ended(services, runs[3], RunStatus.FAILED, 4)
    eventually(lambda: not _ours(services, runs), timeout=120)


def test_a_run_that_cannot_start_ends_the_runs_after_it_at_once(
        services: Services) -> None:
    """The queue's next run cannot start (its folder went) after a run that COMPLETED:
    it FAILS, and the run that was to start after it ends at once, saying why (the
    recorder looks for such runs only after a run that did not complete, or a start that
    failed)."""
    services.store.set_queue(max_concurrent=1)
    go = services.settings.home / "go"
    first = services.manager.create("fake", overrides=["fake.behaviour=hold",
                                                       f"fake.go={go}"])
    second = services.manager.create("fake")
    third = services.manager.create("fake", after=[second])
    _running(services, first)
    shutil.rmtree(second.run_dir)
    go.write_text("")
    _ended(services, first, RunStatus.COMPLETED, 0)
    assert services.manager.wait(second.id, timeout=60).status == RunStatus.FAILED
    ended = poll_until(lambda: services.store.get(third.id),
                       lambda r: r is not None and r.status != RunStatus.PENDING, timeout=60)
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert ended.error_message == (f"not started: run {second.id}, which it was to run "
                                   "after, ended FAILED")
    eventually(lambda: not _ours(services, [first, second, third]), timeout=120)


def test_runs_ending_together_on_three_slots_each_start_once_oldest_first(
        services: Services) -> None:
    """Twelve short runs on three slots, ending at about the same moments: never more
    than three run, a run is claimed only once every older one was (the runs still
    queued are always the youngest), and every run is started exactly once (one STARTED
    event, one supervisor's end in its log)."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake") for _ in range(12)]
    services.store.set_queue(max_concurrent=3)
    services.manager.schedule()
    while True:
        running = services.store.runs_with_status(RunStatus.RUNNING)
        assert len([r for r in running if r.id in {x.id for x in runs}]) <= 3
        # Newest first: a claim seen in a younger run means every older one was claimed.
        statuses = [(got.status if (got := services.store.get(r.id)) else None)
                    for r in reversed(runs)][::-1]
        queued = [s == RunStatus.PENDING for s in statuses]
        assert queued == sorted(queued), statuses
        if not any(s in (RunStatus.PENDING, RunStatus.RUNNING) for s in statuses):
            break
        time.sleep(0.02)
    for run in runs:
        _ended(services, run, RunStatus.COMPLETED, 0)
        kinds = [e.kind for e in services.store.events(run.id)]
        assert kinds.count(EventKind.STARTED) == 1, (run.id, kinds)
        assert _log(run).count("run ended:") == 1, _log(run)
    eventually(lambda: not _ours(services, runs), timeout=120)


def test_a_forked_supervisor_keeps_the_umask_and_leaves_nothing_outside_its_folder(
        services: Services, tmp_path: Path) -> None:
    """Under umask 077, the files a forked supervisor and its simulator make are no
    more open than those of the run whose supervisor was spawned; the fork server (its
    working folder is /) leaves nothing in / or the runs folder."""
    services.store.set_queue(max_concurrent=1)
    before_root = set(os.listdir("/"))
    old = os.umask(0o077)
    try:
        first, second = (services.manager.create("fake", overrides=WAIT_GO) for _ in range(2))
    finally:
        os.umask(old)
    _running(services, first)
    _go(first, 2)
    second = _running(services, second)
    assert _forked(_recorded_supervisor(services, second))
    _go(second, 2)
    for run in (first, second):
        _ended(services, run, RunStatus.FAILED, 2)

    def modes(run: Run) -> dict[str, int]:
        root = Path(run.run_dir)
        return {str(p.relative_to(root)): p.stat().st_mode & 0o777
                for p in root.rglob("*") if not p.is_symlink() and p.name != "go"}

    spawned, forked = modes(first), modes(second)
    loose = {name: oct(mode) for name, mode in forked.items() if mode & 0o077}
    assert not loose, loose
    assert {k: v for k, v in spawned.items() if k in forked} == \
        {k: v for k, v in forked.items() if k in spawned}
    runs_folder = Path(first.run_dir).parent
    assert {p.name for p in runs_folder.iterdir() if not p.name.startswith(".")} == \
        {first.id, second.id}
    assert set(os.listdir("/")) <= before_root
    eventually(lambda: not _ours(services, [first, second]), timeout=120)


def test_a_helper_short_of_descriptors_still_starts_every_run(services: Services) -> None:
    """The helper that records a run's end keeps three descriptors for each supervisor it
    starts and serves. One with few descriptors left (as a soft limit of 1024 leaves a
    queue limit of some hundreds) must still start every run its document frees a slot
    for: a supervisor it cannot serve can be started to use a helper of its own."""
    import resource

    services.store.set_queue(max_concurrent=1)
    first = services.manager.create("fake", overrides=WAIT_GO)
    runs = [services.manager.create("fake") for _ in range(16)]
    _running(services, first)
    supervisor = _supervisor(first)[0]
    helper = eventually(lambda: _recorders_of(supervisor), timeout=60)[0]
    _recorded_pid(services, first)  # the helper has the store open
    opened = len(list(Path(f"/proc/{helper}/fd").iterdir()))
    hard = resource.prlimit(helper, resource.RLIMIT_NOFILE)[1]
    resource.prlimit(helper, resource.RLIMIT_NOFILE, (opened + 24, hard))
    services.store.set_queue(max_concurrent=17)
    _go(first, 2)
    _ended(services, first, RunStatus.FAILED, 2)
    for run in runs:
        _ended(services, run, RunStatus.COMPLETED, 0)
    eventually(lambda: not _ours(services, [first, *runs]), timeout=120)


def test_runs_claimed_together_behind_a_stuck_fork_server_each_run_once(
        services: Services) -> None:
    """One run's end claims three runs while every fork server of the queue is stuck (a
    loaded machine: each is stopped as soon as it appears). The helper then waits
    for each start in turn; meanwhile a watcher (the app's, here `reconcile`) sees the
    later runs claimed with no supervisor. Each run must still be started exactly once
    and end with its own simulator's status, never FAILED for having a supervisor."""
    import threading

    services.store.set_queue(max_concurrent=1)
    first = services.manager.create("fake", overrides=WAIT_GO)
    runs = [services.manager.create("fake", overrides=WAIT_GO) for _ in range(3)]
    _running(services, first)
    stopped: set[int] = set()
    done = threading.Event()

    def stop_servers() -> None:
        while not done.is_set():
            for pid in _fork_servers(services):
                if pid not in stopped:
                    os.kill(pid, signal.SIGSTOP)
                    stopped.add(pid)
            time.sleep(0.01)

    stopper = threading.Thread(target=stop_servers, daemon=True)
    stopper.start()
    try:
        services.store.set_queue(max_concurrent=4)
        _go(first, 2)
        _ended(services, first, RunStatus.FAILED, 2)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            services.manager.reconcile()
            got = [services.store.get(r.id) for r in runs]
            if all(g is not None and (g.pid is not None or g.status != RunStatus.RUNNING)
                   for g in got):
                break
            time.sleep(0.25)
    finally:
        done.set()
        stopper.join()
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    for run, code in zip(runs, (3, 4, 5), strict=True):
        _go(run, code)
    for run, code in zip(runs, (3, 4, 5), strict=True):
        _ended(services, run, RunStatus.FAILED, code)
        kinds = [e.kind for e in services.store.events(run.id)]
        assert kinds.count(EventKind.STARTED) == 1, (run.id, kinds)
    eventually(lambda: not _ours(services, [first, *runs]), timeout=120)
