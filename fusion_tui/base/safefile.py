"""Open and read files that a simulator or a user can create (progress, logs, outputs,
templates, topology and modulation files, the run folder's JSON), safely.

A named pipe would block an open or a read for good; a link to `/dev/zero` or a device
would be read without end. So every such file is opened without blocking, checked to be
a regular file, and read in bounded amounts. Errors are `OSError`s with a one-line reason.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """The path is a named pipe, a device, a folder or a socket: not something we read."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a message (`a named pipe`, `a device`, ...)."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: Path | str, *, follow_links: bool = True) -> int:
    """A read-only descriptor of `path`, which must be a regular file (links followed
    unless `follow_links` is False: then a link is refused, ELOOP).

    Opened with O_NONBLOCK, so a named pipe cannot block us; the check is on the open
    descriptor, so nothing can be swapped in between.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    fd = os.open(path, flags if follow_links else flags | os.O_NOFOLLOW)
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, f"{file_kind(mode)}, not a regular file", str(path))
    return fd


def read_bytes(path: Path | str, limit: int) -> bytes:
    """The whole of a regular file of at most `limit` bytes."""
    fd = open_regular(path)
    try:
        if os.fstat(fd).st_size > limit:  # refused before reading (a sparse file is cheap)
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path | str, limit: int) -> str:
    """UTF-8 text of a regular file of at most `limit` bytes (UnicodeDecodeError if not)."""
    return read_bytes(path, limit).decode("utf-8")


def open_binary(path: Path | str) -> io.BufferedReader:
    """`open(path, "rb")` for a regular file only (see `open_regular`)."""
    return os.fdopen(open_regular(path), "rb")
