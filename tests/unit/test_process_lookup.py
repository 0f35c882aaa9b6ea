"""Finding a run's processes: among every process, or among one process's descendants
(what a supervisor, the subreaper of its run, looks through at the run's end)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from helpers import eventually

from fusion_tui.base import procs
from fusion_tui.base.ids import new_run_id

# A child that stays ours, with a grandchild in a session of its own (both sleep).
_TREE = """
import os, sys, time
child = os.fork()
if child == 0:
    os.setsid()
    time.sleep(600)
    os._exit(0)
print(child, flush=True)
time.sleep(600)
"""
# A process that leaves our tree as a daemon does: its parent exits at once.
_DETACHED = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        print(os.getpid(), flush=True)
        sys.stdout.close()
        time.sleep(600)
    os._exit(0)
"""


@pytest.fixture
def run_id() -> Iterator[str]:
    run_id = new_run_id()
    yield run_id
    for pid, _ in procs.run_processes(run_id):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _start(script: str, run_id: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, procs.RUN_MARKER: run_id}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def test_a_look_below_a_process_finds_its_descendants_only(run_id: str) -> None:
    tree, grandchild = _start(_TREE, run_id)
    detached_parent, detached = _start(_DETACHED, run_id)
    detached_parent.wait(timeout=30)
    mark, me = procs.marker(procs.RUN_MARKER, run_id), os.getpid()
    everywhere = {tree.pid, grandchild, detached}
    eventually(lambda: {pid for pid, _ in procs.processes_with(mark)} == everywhere,
               timeout=30)
    below = procs.descendants(me)
    assert below is not None and {tree.pid, grandchild} <= below and detached not in below
    assert {pid for pid, _ in procs.processes_with(mark, below=me)} == {tree.pid, grandchild}
    assert {pid for pid, _ in procs.run_processes(run_id, below=tree.pid)} == {grandchild}
    tree.kill()
    tree.wait(timeout=30)
    # the grandchild is not ours to find below us any more (its parent is gone)...
    eventually(lambda: grandchild not in (procs.descendants(me) or set()), timeout=30)
    # ...but it is still the run's, and a stop from every process ends it
    procs.stop_run(run_id, 5.0, below=me)
    assert {pid for pid, _ in procs.run_processes(run_id)} == {grandchild, detached}
    procs.stop_run(run_id, 5.0)
    assert procs.run_processes(run_id) == []


def test_signals_ignored_by_whoever_started_us_are_restored_to_their_defaults() -> None:
    script = ("from fusion_tui.base import procs; import signal\n"
              "procs.reset_signal_dispositions()\n"
              "print(signal.getsignal(signal.SIGHUP) == signal.SIG_DFL,"
              " signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL,"
              " signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)")
    ignored = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        preexec_fn=lambda: [signal.signal(s, signal.SIG_IGN)
                            for s in (signal.SIGHUP, signal.SIGUSR2)])  # as nohup would
    assert ignored.stdout.split() == ["True", "True", "True"]


# A subreaper whose child M starts L and exits at once, while the subreaper looks for its
# descendants: L is never missed (a walk may run while L moves from M to the subreaper).
_RACE = """
import os, signal, sys, time
from fusion_tui.base import procs
assert procs.become_subreaper()
missed = unsure = 0
for trial in range(int(sys.argv[1])):
    read_end, write_end = os.pipe()
    m = os.fork()
    if m == 0:
        l = os.fork()
        if l == 0:
            time.sleep(60)
            os._exit(0)
        os.write(write_end, str(l).encode())
        os._exit(0)
    os.close(write_end)
    l = int(os.read(read_end, 32))
    os.close(read_end)
    for _ in range(20):  # some of these walks run while M exits
        found = procs.descendants(os.getpid())
        if found is None:
            unsure += 1
        elif l not in found:
            missed += 1
    os.kill(l, signal.SIGKILL)
    for child in (m, l):
        os.waitpid(child, 0)
print(missed, unsure)
"""


def test_a_process_moving_to_the_subreaper_during_a_walk_is_not_missed() -> None:
    done = subprocess.run([sys.executable, "-c", _RACE, "200"], capture_output=True,
                          text=True, timeout=300, check=True)
    missed, unsure = map(int, done.stdout.split())
    assert missed == 0
    assert unsure < 200 * 20  # and mostly it can tell
