"""Drills for the warm recorder handed to the supervisors a recorder starts
(`base/recorder_handover.py`): real supervisors, waiters, recorder helpers and
simulators, on SQLite and a real PostgreSQL; every wait is for a condition with a
deadline."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from helpers import eventually, poll_until
from test_trust_supervisor import _recorders_of, _supervisor

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
            mine = _fds(pid)
        except OSError:
            continue
        if mine.get(0) in pipes and mine.get(1) in pipes:
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


def test_the_runs_a_recorder_starts_get_a_helper_forked_for_each(services: Services) -> None:
    """The end of the first run starts two (the limit was raised meanwhile): each new
    supervisor is served by a helper forked from the recorder, in a session of its own,
    holding its own pipes and the run's log and nothing of the other run's; it records
    the run's outcome and leaves with its supervisor."""
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
        helper = _wait_handed(supervisor)
        # Once a report has gone through (the simulator's pid is in the store), the
        # supervisor has started no helper of its own: it used the one handed over.
        _recorded_pid(services, run)
        assert _recorders_of(supervisor) == []
        assert os.getsid(helper) == helper and helper != supervisor
        fds = _fds(helper)
        assert fds[2] == str(RunPaths(Path(run.run_dir)).supervisor_log)
        helpers[run.id] = (supervisor, helper, fds)
    (sup2, _, fds2), (sup3, _, fds3) = helpers[second.id], helpers[third.id]
    assert not {t for t in fds2.values() if t.startswith("pipe:")} & \
        {t for t in _fds(sup3).values() if t.startswith("pipe:")}
    assert not {t for t in fds3.values() if t.startswith("pipe:")} & \
        {t for t in _fds(sup2).values() if t.startswith("pipe:")}
    _go(second, 3)
    _go(third, 5)
    for run, code in ((second, 3), (third, 5)):
        ended = services.manager.wait(run.id, timeout=60)
        assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, code)
    handed = {helper for _, helper, _ in helpers.values()}
    eventually(lambda: not handed & set(_recorder_processes()), timeout=60)


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
