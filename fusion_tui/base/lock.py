"""The supervisor lock: a run's live supervisor holds an exclusive flock on
`supervisor.lock`, so "is its supervisor alive?" never depends on a pid that may have
been reused. The kernel drops the lock when the holder dies, however it dies.

Whoever starts a supervisor takes the lock first and hands the descriptor over, so
there is no moment in which a starting supervisor looks dead.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def take(path: Path, *, create: bool = True) -> int | None:
    """The locked descriptor of `path`, or None when someone else holds it.

    Raises OSError when the lock file cannot be opened (the run folder is gone, or
    `create=False` and the file does not exist).
    """
    flags = os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW | (os.O_CREAT if create else 0)
    fd = os.open(path, flags, 0o600)
    if fd < 3:
        # A standard stream's number (one of ours was closed): handed to a supervisor it
        # would be replaced by that process's own stream. The flock goes with the copy.
        try:
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
        finally:
            os.close(fd)
        fd = high
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_held(path: Path) -> bool:
    """True while some process holds the lock (a live supervisor)."""
    fd = take(path)
    if fd is None:
        return True
    os.close(fd)
    return False
