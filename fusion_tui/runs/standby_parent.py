"""The standby parent: `python -m fusion_tui.runs.standby_parent FD`, which forks the
standby supervisors of queued runs (`base/recorder_handover.py`).

In a queue of short runs every run used to pay for an interpreter and the supervisor's
imports (about 40 ms of CPU on a core the simulators need). This process pays for them
once: it imports the supervisor and every kind of run, then forks a standby for each
request that arrives on its socket (FD, a Unix datagram socket that recorder helpers
inherit from one another). It ends when no helper holds that socket any more, so it
lives exactly as long as a queue keeps going.

A standby is forked twice over (its parent is then whoever reaps orphans, never this
process, which must not collect zombies) and leaves this process's session. It writes
its run's id over the unassigned supervisor marker in its environment (`procs.take_marker`):
from then on it is that run's supervisor to every check of ours, like one started
with the marker. It holds only the run's standby lock until told to go. Standard library
only, like the supervisor.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from fusion_tui.base import ids, procs, recorder_handover
from fusion_tui.base.rundir import RunPaths
from fusion_tui.runs.supervisor import supervise

USAGE = "usage: python -m fusion_tui.runs.standby_parent FD"


def serve(parent: socket.socket) -> int:
    """Fork a standby per request until every helper has closed its end."""
    # Loaded here once, so that no standby loads them.
    import fusion_tui.runs.supervision.supervisor  # noqa: F401
    from fusion_tui.kinds.registry import load_all

    load_all()
    while True:
        try:
            request = recorder_handover.read_request(parent)
        except OSError:
            return 0
        if request is None:
            return 0
        run_id, run_dir, control, reservation = request
        try:
            if ids.is_run_id(run_id) and os.path.isabs(run_dir):
                _fork_standby(parent, RunPaths(Path(run_dir)), run_id, control, reservation)
        finally:
            for fd in (control, reservation):
                with contextlib.suppress(OSError):
                    os.close(fd)


def _fork_standby(parent: socket.socket, paths: RunPaths, run_id: str, control: int,
                  reservation: int) -> None:
    """Fork, and fork again; the grandchild becomes the standby. Failing to fork only
    loses the head start: the helper's socket to it then closes unanswered."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        child = os.fork()
    except OSError:
        return
    if child == 0:
        code = 0
        try:
            if os.fork() == 0:
                _become_standby(parent, paths, run_id, control, reservation)
        except OSError:
            code = 1
        os._exit(code)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(child, 0)


def _become_standby(parent: socket.socket, paths: RunPaths, run_id: str, control: int,
                    reservation: int) -> NoReturn:
    """In the grandchild: take the run's identity, say we are ready, wait for the word,
    then supervise the run with the lock, helper and log sent along; end, touching
    nothing, when the socket closes first."""
    code = 1
    try:
        parent.close()  # the helpers' socket is not a supervisor's
        os.setsid()
        os.chdir(paths.root)
        if procs.take_marker(procs.SUPERVISOR_MARKER, run_id):
            subreaper = procs.become_subreaper()
            recorder_handover.say_ready(control)
            code = _standby(paths, run_id, control, reservation, subreaper)
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(code)


def _standby(paths: RunPaths, run_id: str, control: int, reservation: int,
             subreaper: bool) -> int:
    told = recorder_handover.wait_go(control)
    if told is None:
        return 0
    lock_fd, answers, documents, log = told
    os.close(reservation)
    for stream in (1, 2):
        os.dup2(log, stream)
    os.close(log)
    return supervise(paths, run_id, lock_fd, (answers, documents), adopt=False,
                     subreaper=subreaper)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if len(words) != 1 or not words[0].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    try:
        parent = socket.socket(fileno=int(words[0]))
    except OSError as exc:
        print(f"standby parent: descriptor {words[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with parent:
        return serve(parent)


if __name__ == "__main__":
    sys.exit(main())
