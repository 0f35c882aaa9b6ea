"""What the supervisor and the waiter share as long-lived background processes: sleeping
until a timeout, a signal or a readable pipe, whole lines from a pipe that must never
block, and a log line that a full disk cannot
turn into a crash. Standard library only."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
from typing import IO

from fusion_tui.store.status import utcnow


def say(role: str, message: str) -> None:
    """One timestamped line on stderr (the run's supervisor.log); lost, never fatal, when
    the disk is full."""
    with contextlib.suppress(OSError):
        print(f"{utcnow().isoformat()} {role}[{os.getpid()}]: {message}", file=sys.stderr,
              flush=True)


class Wakeup:
    """A self-pipe that signals write to, so a sleep ends as soon as one arrives."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)

    def install(self) -> None:
        signal.set_wakeup_fd(self._write)

    def sleep(self, seconds: float, *also: int | IO[bytes]) -> None:
        """Until `seconds` pass, a signal arrives or one of `also` is readable."""
        ready, _, _ = select.select([self._read, *also], [], [], max(0.0, seconds))
        if self._read in ready:
            try:
                while os.read(self._read, 512):
                    pass
            except BlockingIOError:
                pass


class PipeLines:
    """Whole lines from a non-blocking pipe, as they arrive; `ended` once it is closed
    at the other end (or unreadable)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.ended = False
        self._buffer = b""

    def read(self) -> list[bytes]:
        try:
            chunk = os.read(self.stream.fileno(), 65536)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.ended = True
            return []
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return lines
