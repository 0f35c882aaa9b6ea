"""Handing a warm recorder helper, and a supervisor started ahead of time, to the runs a
recorder starts.

A supervisor writes to the store through a recorder helper, an interpreter that has
imported SQLAlchemy (about 0.4 s of CPU). A recorder that records one run's end is what
starts the next queued run, and it is warm: rather than let the new supervisor start a
cold helper of its own (a run of 0.1 s would end long before it is ready), the recorder
gives the new supervisor two pipes, and once its transaction is over it forks a helper of
itself that serves them (`runs/recorder.py`). The supervisor falls back to a helper of
its own if those pipes end without an answer.

The new supervisor's own start (an interpreter and its imports, about 0.04 s of CPU) is
the other cost between two short runs. So a served recorder helper has a **standby**
made as soon as it is up: the supervisor of the next queued run that has none, forked
by the **standby parent** (`runs/standby_parent.py`, an interpreter that has imported
the supervisor once and is shared by the helpers forked from one another, through the
socket they inherit). A standby holds the run's standby lock (`standby.lock` in its
folder: one standby a run) and nothing else, and waits on its own socket. When the run
the helper serves ends and its queue (oldest first, as always) claims that run, it takes
the run's supervisor lock as for any start and sends the lock, the warm helper's pipes
and the log to the standby (`Standby.go`), which starts the run at once. A standby that
is not used (its run was claimed elsewhere, cancelled, or is not due) sees its socket
close and ends, having touched nothing; one that cannot be told to go leaves the run to
a supervisor started as usual. Standard library only: the supervisor's spawn and the
supervisor itself use it.
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
_READY = b"ready "  # a standby's first word on its socket, then its pid
READY_SECONDS = 5.0  # how long a start waits for a standby to be forked before its own


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


class Standby:
    """A supervisor forked ahead of its run, and the socket that tells it to go."""

    def __init__(self, run_id: str, control: socket.socket) -> None:
        self.run_id = run_id
        self.control = control

    def go(self, fds: tuple[int, int, int, int]) -> int:
        """Hand it the run's lock, the helper's pipes and the log once it says it is
        ready (waiting for its fork if need be); its pid. OSError when it is gone or not
        ready in time. The socket is closed either way."""
        import socket

        try:
            self.control.settimeout(READY_SECONDS)
            ready = self.control.recv(64)
            pid = ready[len(_READY):]
            if not ready.startswith(_READY) or not pid.isdigit():
                raise OSError(f"the standby of run {self.run_id} is gone")
            socket.send_fds(self.control, [_GO], list(fds))
            return int(pid)
        finally:
            self.control.close()

    def release(self) -> None:
        """Let it end without its run."""
        self.control.close()


def ask_standby(parent: socket.socket, run_dir: str, run_id: str, control: int,
                reservation: int) -> None:
    """Ask the standby parent for a standby of `run_id` that holds `reservation` (its
    standby lock) and waits on `control`; OSError when the parent is gone."""
    import socket

    socket.send_fds(parent, [f"{run_id}\0{run_dir}".encode()], [control, reservation])


def read_request(parent: socket.socket) -> tuple[str, str, int, int] | None:
    """In the standby parent: the next request (run id, run folder, socket, standby
    lock), None once no helper holds its socket any more. A request that is not one
    (which no helper of ours sends) comes back with an empty run id."""
    import socket

    message, fds, _, _ = socket.recv_fds(parent, 8192, 2)
    if not message and not fds:
        return None
    run_id, _, run_dir = message.decode(errors="replace").partition("\0")
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return "", "", -1, -1
    return run_id, run_dir, fds[0], fds[1]


def wait_go(control_fd: int) -> tuple[int, int, int, int] | None:
    """In a standby: block until told to go (the descriptors it was sent), or None when
    its socket closed or said anything else."""
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


def say_ready(control: int) -> None:
    """In a standby: tell whoever will start the run who we are."""
    os.write(control, _READY + str(os.getpid()).encode())


class RecorderHandover:
    """The pipes offered to the supervisors started in this process, until a helper is
    forked for each (`take`), and the standbys it started."""

    def __init__(self) -> None:
        self._pending: list[Handed] = []
        self._standbys: dict[str, Standby] = {}
        # The standby parent's socket; the helpers forked from this process share it.
        self.parent: socket.socket | None = None

    def keep(self, standby: Standby) -> None:
        self._standbys[standby.run_id] = standby

    def standby_for(self, run_id: str) -> Standby | None:
        """The standby of `run_id`, now the caller's to use."""
        return self._standbys.pop(run_id, None)

    def release_standbys(self) -> None:
        """Let every unused standby end (before a fork: no helper inherits them)."""
        for standby in self._standbys.values():
            standby.release()
        self._standbys.clear()

    def offer(self, log_fd: int) -> tuple[int, int]:
        """Pipes for a supervisor about to be started: its ends (answers to read,
        documents to write), for the caller to pass to it and then close. The helper's
        ends are kept (close-on-exec, so no other process started here gets them)."""
        docs_read, docs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        self._pending.append(Handed(docs_read, answers_write, os.dup(log_fd)))
        return answers_read, docs_write

    def withdraw(self) -> None:
        """The last supervisor offered pipes was not started: close the helper's side
        (the caller closes its own)."""
        if self._pending:
            self._pending.pop().close()

    def take(self) -> list[Handed]:
        """The pipes still to be served; from now on the caller's."""
        taken, self._pending = self._pending, []
        return taken


def parse_fds(value: str) -> tuple[int, int] | None:
    """`READ,WRITE` from the supervisor's command line, or None when it is not that."""
    read, _, write = value.partition(",")
    if not (read.isdigit() and write.isdigit()) or read == write:
        return None
    return int(read), int(write)
