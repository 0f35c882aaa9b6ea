"""The one way a file is replaced whole: a temporary file in the same folder, written,
fsynced, then renamed over the target, so a reader sees the old file or the new one and
never half of one, and a crash leaves no partial file behind.

New files get mode 0666 less the user's umask, as any file the user makes (a shared runs
folder is shared or closed by the umask, not by us). `durable=False` leaves the fsyncs
to the caller: one `os.sync()` after a whole sweep's folders, or a simulator's result
file rewritten after every iteration, where the next rewrite comes within seconds.
Standard library only: the waiter writes through it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o666


@contextlib.contextmanager
def replacing(path: Path, *, durable: bool = True, mode: int = FILE_MODE) -> Iterator[int]:
    """A descriptor to write `path`'s new content to; on leaving the block the content is
    put in place (after an fsync when `durable`), on an exception nothing changes."""
    tmp = path.parent / f".{path.name[:64]}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 mode)
    try:
        try:
            yield fd
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        sync_folder(path.parent)


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True,
                 mode: int = FILE_MODE) -> None:
    """Replace `path` with `data` (text is written as UTF-8)."""
    with replacing(path, durable=durable, mode=mode) as fd:
        write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` (os.write may take less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def sync_folder(folder: Path) -> None:
    """Make the new name durable too. The data is durable already, so a folder that
    cannot be synced (some network filesystems) is no failed write."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
