"""The fork server: `python -m fusion_tui.runs.fork_server FD`, which forks the
supervisors of the queued runs recorder helpers start (`base/recorder_handover.py`).

In a queue of short runs every run used to pay for an interpreter and the supervisor's
imports (about 40 ms of CPU on a core the simulators need). This process pays for them
once: it imports the supervisor and every kind of run, then forks a supervisor for each
request that arrives on its socket (FD, a Unix datagram socket that recorder helpers
inherit from one another). It ends when no helper holds that socket any more, so it
lives as long as a queue keeps a slot busy (each slot's helper starts its own), and holds
nothing of any run.

A supervisor is forked once (the kernel reaps it for us: SIGCHLD is ignored here, and
restored in the supervisor) and leaves this process's session. It writes
its run's id over the unassigned supervisor marker in its environment
(`procs.take_marker`): from then on it is that run's supervisor to every check of ours,
like one started with the marker. Then it says it is ready and waits for the run's lock,
helper pipes and log; if the recorder's socket closes first (it gave up waiting, and
started a supervisor of its own), it ends having touched nothing. Standard library only,
like the supervisor.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
from pathlib import Path
from typing import NoReturn

from fusion_tui.base import ids, procs, recorder_handover
from fusion_tui.base.rundir import RunPaths
from fusion_tui.runs.supervisor import supervise

USAGE = "usage: python -m fusion_tui.runs.fork_server FD"


def serve(server: socket.socket) -> int:
    """Fork a supervisor per request until every helper has closed its end."""
    # Loaded here once, so that no supervisor forked from us loads them.
    import fusion_tui.runs.supervision.supervisor  # noqa: F401
    from fusion_tui.kinds.registry import load_all

    load_all()
    with contextlib.suppress(OSError):
        procs.libc()  # ctypes, for each supervisor's marker and subreaper
    # Our children are reaped by the kernel (the supervisors undo this), and the heap
    # loaded so far stays out of the collector's way: a supervisor forked from it then
    # shares these pages rather than copying each one a collection touches.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    gc.freeze()
    while True:
        try:
            request = recorder_handover.read_request(server)
        except OSError:
            return 0
        if request is None:
            return 0
        run_id, run_dir, control = request
        try:
            if ids.is_run_id(run_id) and os.path.isabs(run_dir):
                _fork(server, RunPaths(Path(run_dir)), run_id, control)
        finally:
            with contextlib.suppress(OSError):
                os.close(control)


def _fork(server: socket.socket, paths: RunPaths, run_id: str, control: int) -> None:
    """Fork the supervisor. A failed fork only costs the recorder its wait: its socket
    then closes unanswered."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        if os.fork() == 0:
            _become_supervisor(server, paths, run_id, control)
    except OSError:
        return


def _become_supervisor(server: socket.socket, paths: RunPaths, run_id: str,
                       control: int) -> NoReturn:
    """In the forked child: take the run's identity, say so, wait for the run's lock,
    helper and log, and supervise the run with them."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # it waits for its waiter
        server.close()  # the helpers' socket is not a supervisor's
        os.setsid()
        os.chdir(paths.root)
        if procs.take_marker(procs.SUPERVISOR_MARKER, run_id):
            subreaper = procs.become_subreaper()
            recorder_handover.say_ready(control)
            told = recorder_handover.wait_go(control)
            if told is None:
                code = 0
            else:
                lock_fd, answers, documents, log = told
                for stream in (1, 2):
                    os.dup2(log, stream)
                os.close(log)
                code = supervise(paths, run_id, lock_fd, (answers, documents), adopt=False,
                                 subreaper=subreaper)
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if len(words) != 1 or not words[0].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    try:
        server = socket.socket(fileno=int(words[0]))
    except OSError as exc:
        print(f"fork server: descriptor {words[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with server:
        return serve(server)


if __name__ == "__main__":
    sys.exit(main())
