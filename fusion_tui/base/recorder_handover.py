"""Handing a warm recorder helper to the supervisors a recorder starts.

A supervisor writes to the store through a recorder helper, an interpreter that has
imported SQLAlchemy (about 0.4 s of CPU). A recorder that records one run's end is what
starts the next queued run, and it is warm: rather than let the new supervisor start a
cold helper of its own (a run of 0.1 s would end long before it is ready), the recorder
gives the new supervisor two pipes, and once its transaction is over it forks a helper of
itself that serves them (`runs/recorder.py`). The supervisor falls back to a helper of
its own if those pipes end without an answer. Standard library only: the supervisor's
spawn and the supervisor itself use it.
"""

from __future__ import annotations

import contextlib
import os

FLAG = "--recorder-fds"  # the supervisor's option: READ,WRITE (its ends of the pipes)


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


class RecorderHandover:
    """The pipes offered to the supervisors started in this process, until a helper is
    forked for each (`take`)."""

    def __init__(self) -> None:
        self._pending: list[Handed] = []

    def offer(self, log_fd: int) -> tuple[int, int]:
        """Pipes for a supervisor about to be started: its ends (answers to read,
        documents to write), for the caller to pass to it and then close. The helper's
        ends are kept (close-on-exec, so no other process started here gets them)."""
        docs_read, docs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        self._pending.append(Handed(docs_read, answers_write, os.dup(log_fd)))
        return answers_read, docs_write

    def withdraw(self, ends: tuple[int, int]) -> None:
        """The supervisor was not started: close both sides of its pipes."""
        for fd in ends:
            with contextlib.suppress(OSError):
                os.close(fd)
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
