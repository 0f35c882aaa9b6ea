"""Drills for the warm recorder handed to the supervisors a recorder starts
(`base/recorder_handover.py`): real supervisors, waiters, recorder helpers and
simulators, on SQLite and a real PostgreSQL; every wait is for a condition with a
deadline."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
from helpers import alive, eventually, poll_until
from test_trust_supervisor import _recorders_of, _supervisor

from fusion_tui.base import lock, procs
from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.rundir import RunPaths
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus


def _fds(pid: int) -> dict[int, str]:
    """A process's open descriptors and what each points at."""
    found = {}
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found[int(entry.name)] = os.readlink(entry)
        except OSError:
            continue  # closed meanwhile
    return found


def _recorder_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and \
                    b"fusion_tui.runs.recorder" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _handed_helper(supervisor_pid: int) -> int | None:
    """The recorder helper whose pipes the supervisor holds (not a child of it)."""
    pipes = {t for t in _fds(supervisor_pid).values() if t.startswith("pipe:")}
    for pid in _recorder_processes():
        try:
            mine = set(_fds(pid).values())
        except OSError:
            continue
        if len(mine & pipes) >= 2:  # the documents it reads, the answers it writes
            return pid
    return None


def _wait_handed(supervisor_pid: int) -> int:
    helper = eventually(lambda: _handed_helper(supervisor_pid), timeout=60)
    assert helper is not None
    return helper


def _go(run: Run, code: int = 0) -> None:
    write_atomic(RunPaths(Path(run.run_dir)).output / "go", f"{code}\n")


def _recorded_pid(services: Services, run: Run) -> None:
    """Wait until a report has reached the store: the simulator's pid is there."""
    poll_until(lambda: services.store.get(run.id),
               lambda r: r is not None and r.pid is not None, timeout=60)


def _running(services: Services, run: Run) -> Run:
    found = poll_until(lambda: services.store.get(run.id),
                       lambda r: r is not None and r.status == RunStatus.RUNNING, timeout=60)
    assert found is not None
    return found


def test_the_runs_a_recorder_starts_are_served_by_it(services: Services) -> None:
    """The end of the first run starts two (the limit was raised meanwhile): the helper
    that recorded that end serves both new supervisors, out of the first supervisor's
    session, each through pipes of its own; each outcome reaches the store, and the
    helper leaves once nobody is left to serve."""
    services.store.set_queue(max_concurrent=1)
    first, second, third = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                            for _ in range(3))
    _running(services, first)
    services.store.set_queue(max_concurrent=3)
    _go(first)
    second, third = _running(services, second), _running(services, third)
    helpers = {}
    for run in (second, third):
        supervisor, _ = _supervisor(run)
        helpers[run.id] = _wait_handed(supervisor)
        # Once a report has gone through (the simulator's pid is in the store), the
        # supervisor has started no helper of its own: it used the one handed over.
        _recorded_pid(services, run)
        assert _recorders_of(supervisor) == []
    helper = helpers[second.id]
    assert helpers[third.id] == helper and os.getsid(helper) == helper
    sup2, sup3 = _supervisor(second)[0], _supervisor(third)[0]
    assert not {t for t in _fds(sup2).values() if t.startswith("pipe:")} & \
        {t for t in _fds(sup3).values() if t.startswith("pipe:")}
    _go(second, 3)
    _go(third, 5)
    for run, code in ((second, 3), (third, 5)):
        ended = services.manager.wait(run.id, timeout=60)
        assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, code)
    eventually(lambda: helper not in _recorder_processes(), timeout=90)


def test_a_killed_handed_helper_loses_nothing(services: Services) -> None:
    """SIGKILL of the helper handed to a supervisor: the supervisor starts one of its
    own, the outcome reaches the store and the queue moves on."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    third = services.manager.create("fake")
    _running(services, first)
    _go(first)
    second = _running(services, second)
    supervisor = _supervisor(second)
    helper = _wait_handed(supervisor[0])
    os.kill(helper, signal.SIGKILL)
    eventually(lambda: helper not in _recorder_processes(), timeout=60)
    _go(second, 4)
    done = services.manager.wait(second.id, timeout=60)
    assert done is not None and (done.status, done.exit_code) == (RunStatus.FAILED, 4)
    last = services.manager.wait(third.id, timeout=60)
    assert last is not None and last.status == RunStatus.COMPLETED
    assert "cannot hand the report to the recorder" in \
        RunPaths(Path(second.run_dir)).supervisor_log.read_text()


def _fork_servers(services: Services) -> list[int]:
    """The fork servers of this store's queue (other tests run theirs meanwhile); the
    supervisors they forked carry their command line, but a run's id in their marker."""
    unassigned = procs.marker(procs.SUPERVISOR_MARKER, procs.UNASSIGNED)
    home = f"FUSION_TUI_HOME={services.settings.home}".encode()
    return [pid for pid, _ in procs.processes_with(unassigned)
            if b"fusion_tui.runs.fork_server" in _cmdline(pid) and procs.carries(pid, home)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _recorded_supervisor(services: Services, run: Run) -> int:
    found = poll_until(lambda: services.store.get(run.id),
                       lambda r: r is not None and r.supervisor_pid is not None, timeout=60)
    assert found is not None and found.supervisor_pid is not None
    return found.supervisor_pid


def _marked(run: Run) -> set[int]:
    """The processes carrying the run's supervisor marker (its supervisor, its waiter)."""
    return {pid for pid, _ in procs.processes_with(procs.marker(procs.SUPERVISOR_MARKER,
                                                                run.id))}


def test_a_queued_run_gets_a_supervisor_forked_by_the_fork_server(services: Services) -> None:
    """The end of a run starts the next queued one with a supervisor forked by the fork
    server: in a session of its own, with that run's marker (so a cancel reaches it),
    its lock, its log; the server holds no run's file, and ends with the queue."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    _running(services, first)
    _go(first, 2)
    _running(services, second)
    supervisor = _recorded_supervisor(services, second)
    paths = RunPaths(Path(second.run_dir))
    assert b"fusion_tui.runs.fork_server" in _cmdline(supervisor)
    assert procs.belongs(supervisor, procs.marker(procs.SUPERVISOR_MARKER, second.id))
    assert not procs.carries(supervisor, procs.marker(procs.SUPERVISOR_MARKER,
                                                      procs.UNASSIGNED))
    assert os.getsid(supervisor) == supervisor
    fds = eventually(lambda: _fds(supervisor) if str(paths.supervisor_log)
                     in _fds(supervisor).values() else None, timeout=60)
    assert fds is not None and str(paths.lock) in fds.values()
    # Neither the fork server's socket nor the one it was told to go on stays open.
    assert not [t for t in fds.values() if t.startswith("socket:")]
    servers = _fork_servers(services)
    assert len(servers) == 1
    runs_folder = str(Path(second.run_dir).parent)
    assert not [t for t in _fds(servers[0]).values() if t.startswith(runs_folder)]
    services.manager.cancel(second.id)
    ended = services.manager.wait(second.id, timeout=60)
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert "cancel" in paths.supervisor_log.read_text()
    eventually(lambda: not alive(servers[0]), timeout=60)


def _second_run_forked(services: Services) -> tuple[list[Run], int]:
    """Three waiting runs, one slot: the first has ended (code 2) and the second runs,
    forked by the fork server; the runs and that server's pid."""
    services.store.set_queue(max_concurrent=1)
    runs = [services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
            for _ in range(3)]
    _running(services, runs[0])
    _go(runs[0], 2)
    _running(services, runs[1])
    return runs, eventually(lambda: _fork_servers(services), timeout=60)[0]


def test_a_killed_fork_server_costs_only_its_head_start(services: Services) -> None:
    """kill -9 of the fork server: the next queued run is started all the same (by a new
    server, or as usual), and the queue goes on."""
    runs, server = _second_run_forked(services)
    os.kill(server, signal.SIGKILL)
    eventually(lambda: not alive(server), timeout=60)
    _go(runs[1], 3)
    _running(services, runs[2])
    supervisor = _recorded_supervisor(services, runs[2])
    assert procs.belongs(supervisor, procs.marker(procs.SUPERVISOR_MARKER, runs[2].id))
    _go(runs[2], 4)
    for run, code in zip(runs, (2, 3, 4), strict=True):
        ended = services.manager.wait(run.id, timeout=60)
        assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, code)


def test_a_stopped_fork_server_is_waited_for_a_few_seconds_only(services: Services) -> None:
    """A fork server that does not answer (stopped): the recorder stops waiting and
    starts the supervisor otherwise; when the stopped one goes on, the supervisor it
    forks then finds nobody waiting and ends, never the run's second supervisor."""
    runs, server = _second_run_forked(services)
    os.kill(server, signal.SIGSTOP)
    try:
        _go(runs[1], 3)
        _running(services, runs[2])
        supervisor = _recorded_supervisor(services, runs[2])
        assert psutil.Process(supervisor).ppid() != server  # not the stopped server's fork
    finally:
        os.kill(server, signal.SIGCONT)
    # The late fork ends: only the supervisor and the waiter it forked carry the marker.
    marked = eventually(lambda: (lambda now: now if len(now) == 2 and supervisor in now
                                 else None)(_marked(runs[2])), timeout=60)
    assert marked is not None
    _go(runs[2], 4)
    ended = services.manager.wait(runs[2].id, timeout=60)
    assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, 4)
    eventually(lambda: not lock.is_held(RunPaths(Path(runs[2].run_dir)).lock), timeout=60)
