"""Write a file at a path the user named (`export -o`, `plot -o`, the app's exports) the
way a careful Unix tool does, because fusion-tui is often run as root or on shared folders:

- a path that does not exist is created through a temporary file in its folder (mode
  0666 less the user's umask), written, fsynced and then linked into place, so a failed
  write leaves nothing at the path and a file that appears meanwhile is not replaced;
- an existing regular file is refused unless `force`; with it, it is replaced the same
  way (a rename), never truncated and written in place;
- a symbolic link is refused, even with `force`: never written through, never replaced;
- a character device (`/dev/null`, a terminal) or a named pipe is written into, as the
  shell's `>` would, and never replaced; a pipe must get a reader within `PIPE_WAIT` s;
- a folder, a socket or a block device is refused.

`OutputRefused` is bad input (exit 2, nothing created); `OutputFailed` is a write that
failed (exit 1; a file is left as it was: nothing new at the path, an old file unchanged).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from enum import Enum
from pathlib import Path

from fusion_tui.base.atomic import sync_folder, write_all
from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.base.safefile import file_kind

PIPE_WAIT = 10.0
_PIPE_POLL = 0.05
# Errors that say the path cannot be used at all (bad input), not that writing it failed.
_REFUSING = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR,
                       errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP})
# A filesystem that cannot make hard links (vfat, some network shares): `link` says so.
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})


class OutputRefused(FaultError):
    """The path cannot or must not be written: one line, exit 2, nothing created."""


class OutputFailed(FaultError):
    """Writing failed (disk full, I/O error, a pipe without reader): one line, exit 1."""


class _Way(Enum):
    NEW = "new"          # nothing there yet: create
    REPLACE = "replace"  # a regular file, with force: rename over it
    DEVICE = "device"    # a character device: write into it
    PIPE = "pipe"        # a named pipe: write into it once it has a reader


def _way(path: Path, force: bool, flag: str) -> _Way:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise OutputRefused(f"{flag} {path}: the folder {path.parent} does not exist"
                                ) from None
        return _Way.NEW
    except OSError as exc:
        raise OutputRefused(f"{flag} {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        raise OutputRefused(f"{flag} {path}: a symbolic link; fusion-tui neither writes "
                            "through one nor replaces it (name the file itself)")
    if stat.S_ISCHR(mode):
        return _Way.DEVICE
    if stat.S_ISFIFO(mode):
        return _Way.PIPE
    if not stat.S_ISREG(mode):
        raise OutputRefused(f"{flag} {path}: {file_kind(mode)}, not a file to write")
    if not force:
        raise _exists(path, flag)
    return _Way.REPLACE


def _exists(path: Path, flag: str) -> OutputRefused:
    hint = " (--force replaces it)" if flag.startswith("-") else ""
    return OutputRefused(f"{flag} {path}: already exists{hint}")


def check(path: Path, *, force: bool, flag: str = "-o") -> None:
    """Refuse now what `write` would refuse, before the work of making the data."""
    _way(path, force, flag)


def write(path: Path, data: bytes, *, force: bool, flag: str = "-o") -> None:
    """Put `data` at `path` under the rules above."""
    way = _way(path, force, flag)
    if way in (_Way.DEVICE, _Way.PIPE):
        _write_stream(path, data, way, flag)
    else:
        _write_file(path, data, way, flag)


def _problem(path: Path, exc: OSError, flag: str, after: str) -> Exception:
    """The one-line error for an OSError met while writing `path`."""
    if exc.errno in _REFUSING:
        return OutputRefused(f"{flag} {path}: {exc.strerror or exc}")
    return OutputFailed(f"{flag} {describe_os_error(exc, str(path))}{after}")


def _write_file(path: Path, data: bytes, way: _Way, flag: str) -> None:
    after = ("; the file there is unchanged" if way is _Way.REPLACE
             else "; nothing was left there")
    tmp = path.parent / f".{path.name[:64]}.{os.urandom(6).hex()}.part"
    try:
        # 0o666: the kernel takes the umask off, as for any file the user makes.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise _problem(path, exc, flag, after) from None
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if way is _Way.REPLACE:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path, flag)
        sync_folder(path.parent)
    except OSError as exc:
        raise _problem(path, exc, flag, after) from None
    finally:
        tmp.unlink(missing_ok=True)


def _link_new(tmp: Path, path: Path, flag: str) -> None:
    """Put `tmp` at `path` only if nothing is there (a rename would replace what another
    process made since we looked)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists(path, flag) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(path):
            raise _exists(path, flag) from None
        os.rename(tmp, path)


def _open_stream(path: Path, way: _Way, flag: str) -> int:
    """A descriptor for writing into a device or a pipe; never blocks for good: a pipe
    without a reader is given `PIPE_WAIT` seconds to get one."""
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    deadline = time.monotonic() + PIPE_WAIT
    while True:
        try:
            return os.open(path, flags)
        except OSError as exc:
            if way is _Way.PIPE and exc.errno == errno.ENXIO:
                if time.monotonic() < deadline:
                    time.sleep(_PIPE_POLL)
                    continue
                raise OutputFailed(f"{flag} {path}: a named pipe that nobody opened for "
                                   f"reading within {PIPE_WAIT:g} s; nothing was written"
                                   ) from None
            raise _problem(path, exc, flag, "") from None


def _write_stream(path: Path, data: bytes, way: _Way, flag: str) -> None:
    fd = _open_stream(path, way, flag)
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):  # swapped since we looked
            raise OutputRefused(f"{flag} {path}: changed while being opened; try again")
        # Blocking from here on, as `>` would: a slow reader slows us down.
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        write_all(fd, data)
    except OSError as exc:
        raise _problem(path, exc, flag, "") from None
    finally:
        os.close(fd)
