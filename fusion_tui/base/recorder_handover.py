"""Handing a warm recorder helper, and a supervisor forked from a warm parent, to the
runs a recorder starts.

A supervisor writes to the store through a recorder helper, an interpreter that has
imported SQLAlchemy (about 0.4 s of CPU). A recorder that records one run's end is what
starts the next queued run, and it is warm: rather than let the new supervisor start a
cold helper of its own (a run of 0.1 s would end long before it is ready), the recorder
gives the new supervisor two pipes and, once its transaction is over, serves them itself
(`runs/recorder.py`): one helper then serves a slot of a queue, run after run. The
supervisor falls back to a helper of its own if those pipes end without an answer.

The new supervisor's own start (an interpreter and its imports, about 40 ms of CPU on a
core the simulators need) is the other cost between two short runs. So a recorder
starts it through the **fork server** (`runs/fork_server.py`): an interpreter that has
imported the supervisor once and forks one for each request, shared by the helpers
forked from one another through the socket they inherit. The request names the run;
the forked supervisor takes the run's identity and says it is ready, with its pid; only
then does the recorder send it the run's lock, the helper's pipes and the log
(`start_forked`). A fork server that is gone, or does not answer in time, costs nothing
but that time: the socket closes, a supervisor forked later sees that and ends touching
nothing (it never had the lock), and the supervisor is started as usual. Standard library
only: the supervisor's spawn and the supervisor itself use it.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `socket` costs a supervisor's start 7 ms: imported where used
    import socket

FLAG = "--recorder-fds"  # the supervisor's option: READ,WRITE (its ends of the pipes)
_GO = b"go"
GO_FDS = 4  # the run's lock, the helper's pipes (answers, documents), the log
_READY = b"ready "  # a forked supervisor's first word on its socket, then its pid
READY_SECONDS = 5.0  # how long a start waits for the fork server before starting its own


class Handed:
    """The helper's ends of one supervisor's pipes, and the supervisor's log. (No
    dataclass: the supervisor imports this module, and `dataclasses` costs it 6 ms.)"""

    def __init__(self, documents: int, answers: int, log: int) -> None:
        self.documents = documents  # the supervisor writes one document a line here
        self.answers = answers  # and reads `ok` or `retry ...` here
        self.log = log

    def close(self) -> None:
        for fd in (self.documents, self.answers, self.log):
            with contextlib.suppress(OSError):
                os.close(fd)


def start_forked(server: socket.socket, run_dir: str, run_id: str,
                 fds: tuple[int, int, int, int]) -> int:
    """Have the fork server fork the supervisor of `run_id` and hand it `fds` (the run's
    lock, the helper's pipes, the log) once it is ready; its pid. OSError when the
    server is gone or the supervisor is not ready in time: then it was sent nothing."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours:
        try:
            socket.send_fds(server, [f"{run_id}\0{run_dir}".encode()], [theirs.fileno()])
        finally:
            theirs.close()
        ours.settimeout(READY_SECONDS)
        ready = ours.recv(64)
        pid = ready[len(_READY):]
        if not ready.startswith(_READY) or not pid.isdigit():
            raise OSError(f"the fork server did not start a supervisor for run {run_id}")
        socket.send_fds(ours, [_GO], list(fds))
    return int(pid)


def read_request(server: socket.socket) -> tuple[str, str, int] | None:
    """In the fork server: the next request (run id, run folder, the socket to the
    recorder), None once no helper holds the server's socket any more. A request that
    is not one (no helper of ours sends it) comes back with an empty run id."""
    import socket

    message, fds, _, _ = socket.recv_fds(server, 8192, 1)
    if not message and not fds:
        return None
    run_id, _, run_dir = message.decode(errors="replace").partition("\0")
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return "", "", -1
    return run_id, run_dir, fds[0]


def say_ready(control: int) -> None:
    """In a forked supervisor that has taken its run's identity: tell the recorder."""
    os.write(control, _READY + str(os.getpid()).encode())


def wait_go(control_fd: int) -> tuple[int, int, int, int] | None:
    """In a forked supervisor: block until told to go (the descriptors it was sent), or
    None when the recorder closed the socket first or said anything else."""
    import socket

    with socket.socket(fileno=control_fd) as control:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, GO_FDS)
        except OSError:
            return None
    if message == _GO and len(fds) == GO_FDS:
        return fds[0], fds[1], fds[2], fds[3]
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    return None


class RecorderHandover:
    """The pipes offered to the supervisors started in this process, until the recorder
    serves them (`take`), and the socket of the fork server, if one was started."""

    def __init__(self) -> None:
        self._pending: list[Handed] = []
        # A helper forked from this process (`Recorder.fork_helper`) inherits it.
        self.fork_server: socket.socket | None = None
        # A fork server did not answer in time: the rest of the runs started with that
        # one are started as usual (until `take`, once their starts are over).
        self.fork_server_stuck = False

    def offer(self, log_fd: int) -> tuple[int, int]:
        """Pipes for a supervisor about to be started: its ends (answers to read,
        documents to write), for the caller to pass to it and then close. The helper's
        ends are kept (close-on-exec, so no other process started here gets them)."""
        made: list[int] = []
        try:
            made += os.pipe()  # documents: read, write
            made += os.pipe()  # answers: read, write
            made.append(os.dup(log_fd))
        except OSError:  # short of descriptors: none of them is kept
            for fd in made:
                os.close(fd)
            raise
        docs_read, docs_write, answers_read, answers_write, log = made
        self._pending.append(Handed(docs_read, answers_write, log))
        return answers_read, docs_write

    def withdraw(self) -> None:
        """The last supervisor offered pipes was not started: close the helper's side
        (the caller closes its own)."""
        if self._pending:
            self._pending.pop().close()

    def take(self) -> list[Handed]:
        """The pipes still to be served; from now on the caller's. The starts they came
        from are over: the next runs may try a fork server again."""
        taken, self._pending = self._pending, []
        self.fork_server_stuck = False
        return taken


def parse_fds(value: str) -> tuple[int, int] | None:
    """`READ,WRITE` from the supervisor's command line, or None when it is not that."""
    read, _, write = value.partition(",")
    if not (read.isdigit() and write.isdigit()) or read == write:
        return None
    return int(read), int(write)
