"""Drills for the warm recorder handed to the supervisors a recorder starts
(`base/recorder_handover.py`): real supervisors, waiters, recorder helpers and
simulators, on SQLite and a real PostgreSQL; every wait is for a condition with a
deadline."""

from __future__ import annotations

import os
import signal
from pathlib import Path

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


def _standby(run: Run) -> int | None:
    """The standby supervisor waiting for `run`, if one is up: a process with the run's
    supervisor marker that holds its standby lock."""
    standby_lock = str(RunPaths(Path(run.run_dir)).standby_lock)
    for pid, _ in procs.processes_with(procs.marker(procs.SUPERVISOR_MARKER, run.id)):
        try:
            if standby_lock in _fds(pid).values():
                return pid
        except OSError:
            continue
    return None


def _wait_standby(run: Run) -> int:
    pid = eventually(lambda: _standby(run), timeout=60)
    assert pid is not None
    return pid


def _recorded_supervisor(services: Services, run: Run) -> int | None:
    found = poll_until(lambda: services.store.get(run.id),
                       lambda r: r is not None and r.supervisor_pid is not None, timeout=60)
    assert found is not None
    return found.supervisor_pid


def test_the_next_queued_run_is_started_by_its_standby(services: Services) -> None:
    """While a run runs, the supervisor of the next queued run is already up, holding
    only that run's standby lock and writing nothing into its folder; the end of the
    running run starts it: that standby becomes the run's supervisor."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    _running(services, first)
    standby = _wait_standby(second)
    paths = RunPaths(Path(second.run_dir))
    assert lock.is_held(paths.standby_lock) and not lock.is_held(paths.lock)
    assert not paths.status.exists() and not paths.supervisor_log.exists()
    assert services.store.get(second.id).status == RunStatus.PENDING  # type: ignore[union-attr]
    _go(first, 2)
    _running(services, second)
    assert _recorded_supervisor(services, second) == standby
    assert _supervisor(second)[0] == standby
    # It is that run's supervisor in every way: a cancel reaches it and it answers.
    services.manager.cancel(second.id)
    ended = services.manager.wait(second.id, timeout=60)
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert "cancel" in RunPaths(Path(second.run_dir)).supervisor_log.read_text()


def test_each_slot_prepares_a_different_queued_run(services: Services) -> None:
    """Two slots, two running runs: their helpers start standbys for two different
    queued runs (the standby lock), never two for one. The queue still starts them
    oldest first, each by its standby or, when the other slot's end claimed it, as
    usual; a standby not used ends."""
    services.store.set_queue(max_concurrent=2)
    running = [services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
               for _ in range(2)]
    queued = [services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
              for _ in range(2)]
    for run in running:
        _running(services, run)
    standbys = {run.id: _wait_standby(run) for run in queued}
    assert len(set(standbys.values())) == 2
    _go(running[1], 2)  # the later one ends first: the oldest queued run is claimed
    first = _running(services, queued[0])
    assert services.store.get(queued[1].id).status == RunStatus.PENDING  # type: ignore[union-attr]
    _go(running[0], 2)
    _running(services, queued[1])
    for run in queued:
        _go(run, 2)
        ended = services.manager.wait(run.id, timeout=60)
        assert ended is not None and ended.status == RunStatus.FAILED
    assert first.id == queued[0].id
    eventually(lambda: not any(alive(pid) for pid in standbys.values()), timeout=60)


def test_a_standby_whose_run_is_not_started_ends_touching_nothing(services: Services) -> None:
    """The run a standby waits for is cancelled meanwhile: the queue starts the next
    one, and the standby ends without writing anything into the cancelled run's folder."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    third = services.manager.create("fake")
    _running(services, first)
    standby = _wait_standby(second)
    services.manager.cancel(second.id)
    _go(first, 2)
    done = services.manager.wait(third.id, timeout=60)
    assert done is not None and done.status == RunStatus.COMPLETED
    eventually(lambda: not alive(standby), timeout=60)
    paths = RunPaths(Path(second.run_dir))
    assert not paths.status.exists() and not paths.supervisor_log.exists()
    assert services.store.get(second.id).status == RunStatus.CANCELLED  # type: ignore[union-attr]


def test_a_killed_standby_leaves_its_run_to_a_usual_start(services: Services) -> None:
    """kill -9 of the standby: the run it waited for is started by a supervisor started
    as usual when its turn comes."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    _running(services, first)
    standby = _wait_standby(second)
    os.kill(standby, signal.SIGKILL)
    eventually(lambda: not lock.is_held(RunPaths(Path(second.run_dir)).standby_lock),
               timeout=60)
    _go(first, 2)
    _running(services, second)
    assert _recorded_supervisor(services, second) not in (None, standby)
    _go(second, 4)
    ended = services.manager.wait(second.id, timeout=60)
    assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, 4)


def test_a_standby_ends_with_the_recorder_that_started_it(services: Services) -> None:
    """The recorder helper holding a standby's socket is killed: the standby ends, and
    the run it waited for still starts when its turn comes."""
    services.store.set_queue(max_concurrent=1)
    first, second = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                     for _ in range(2))
    _running(services, first)
    standby = _wait_standby(second)
    supervisor, _ = _supervisor(first)
    for helper in _recorders_of(supervisor):
        os.kill(helper, signal.SIGKILL)
    eventually(lambda: not alive(standby), timeout=60)
    _go(first, 2)
    _running(services, second)
    _go(second, 4)
    ended = services.manager.wait(second.id, timeout=60)
    assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, 4)


def test_a_link_planted_as_the_standby_lock_gets_no_standby_and_is_left_alone(
        services: Services, tmp_path: Path) -> None:
    """A symbolic link where the standby lock would be (a hostile or mistaken file in
    the run's folder): it is never opened through, no standby is started for that run,
    the file it points at is untouched, and the run starts as usual when its turn comes."""
    services.store.set_queue(max_concurrent=1)
    first, second, third = (services.manager.create("fake", overrides=["fake.behaviour=wait_go"])
                            for _ in range(3))
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    os.symlink(target, RunPaths(Path(second.run_dir)).standby_lock)
    _running(services, first)
    # The helper looks past the run it cannot prepare: the one after it gets the standby.
    _wait_standby(third)
    assert _standby(second) is None
    _go(first, 2)
    _running(services, second)
    _go(second, 3)
    ended = services.manager.wait(second.id, timeout=60)
    assert ended is not None and (ended.status, ended.exit_code) == (RunStatus.FAILED, 3)
    assert target.read_text() == "keep me\n" and oct(target.stat().st_mode)[-3:] != "000"
    services.manager.cancel(third.id)
