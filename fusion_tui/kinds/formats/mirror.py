"""Copying FUSION's result folder into the run's `output/`, bounded, so a simulator's
files never fill the runs filesystem.

FUSION 6.1 ignores `--output_dir`; it writes `<erlang>_erlang.json` into
`<checkout>/data/output/<network>/<MMDD>/<HH_MM_SS_micro>/<thread>/`, rewritten after
each saved iteration, and logs that folder as `Saving to: <folder>`. The supervisor
copies the folder's files into the run's own `output/` while the run goes and once more
when it ends (cancelled runs included), so a run folder holds its results even after the
FUSION checkout is cleaned. The folder named in the log is data: it is used only when it
lies inside the checkout's `data/output/`, and only regular files directly in it are
copied (no links, pipes or subfolders; opened without following links), through
`base/atomic.py`, so a reader never sees half a file.

What a copy may cost is bounded three ways: a per-run limit on what `output/` holds on
disk (the `results_copy_mb` setting), a free-space check before each file (a copy never
leaves less than `RESERVE_FRACTION` of the runs filesystem free), and sparse-aware
copying (only the data of a file is copied; its holes stay holes, so a 250 MB file that
is 0 bytes on disk costs 0 bytes). What does not fit is left in FUSION's folder, and
`note()` says what was copied, what was left and where, for the run's audit trail.
Hard links are not used: a link shares FUSION's inode, so a FUSION that rewrote a file in
place would rewrite the run's copy too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.atomic import replacing
from fusion_tui.base.safefile import open_regular

MAX_RESULT_BYTES = 256 << 20  # one file's logical size; larger ones are left
MAX_FILES = 10_000
# A copy never leaves less than this share of the runs filesystem free: the store, logs
# and status files of every run on it still need room.
RESERVE_FRACTION = 0.05
# Not a hidden file: a writer's temporary file (`.tmp.json`, renamed when complete) would
# be copied half-written and then never seen again.
_NAME = re.compile(r"[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,199}\Z")
_CHUNK = 1 << 20
_NAMES_SHOWN = 10


def allowed_source(logged: str, fusion_cwd: Path | None) -> Path | None:
    """The result folder named by FUSION's log, if it is inside `<cwd>/data/output`."""
    if fusion_cwd is None or not logged or "\x00" in logged:
        return None
    try:
        root = (fusion_cwd / "data" / "output").resolve(strict=True)
        folder = Path(logged).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if folder == root or not folder.is_relative_to(root) or not folder.is_dir():
        return None
    return folder


def mib(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MiB"


def on_disk(st: os.stat_result) -> int:
    """Bytes a file takes on disk (its allocated blocks), not its logical size."""
    return st.st_blocks * 512


class NoRoom(Exception):
    """A file was not copied because it would not fit; the message says why."""


@dataclass
class Left:
    """A result file left in FUSION's folder, and why."""

    size: int  # its logical size
    reason: str


class ResultMirror:
    """Copies new or changed result files from FUSION's folder into the run's output/,
    within `limit` bytes on disk for the whole run."""

    def __init__(self, dest: Path, limit: int) -> None:
        self.dest = dest
        self.limit = limit
        self.source: Path | None = None
        self._copied: dict[str, tuple[int, int]] = {}
        self.left: dict[str, Left] = {}
        self.problem: str | None = None
        self._noted: str | None = None

    def sync(self, source: Path) -> int:
        """Copy what changed since the last call; returns how many files were copied."""
        self.source = source
        try:
            entries = [e for e in os.scandir(source) if _NAME.match(e.name)][:MAX_FILES]
        except OSError as exc:
            self.problem = f"cannot list {source}: {exc.strerror or exc}"
            return 0
        files = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                files.append((entry, st))
        # Oldest first: when not everything fits, the first loads' results are kept.
        files.sort(key=lambda pair: (pair[1].st_mtime_ns, pair[0].name))
        used = self._used()
        copied = 0
        for entry, st in files:
            stamp = (st.st_size, st.st_mtime_ns)
            if self._copied.get(entry.name) == stamp:
                continue
            target = self.dest / entry.name
            previous = self._size_on_disk(target)
            try:
                written = self._copy(Path(entry.path), entry.name, st, used - previous)
            except NoRoom as why:
                # A stale copy would show old numbers as the run's: the current ones are
                # in FUSION's folder, which the note names.
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)
                used -= previous
                self._copied.pop(entry.name, None)
                self.left[entry.name] = Left(st.st_size, str(why))
                continue
            except OSError as exc:
                self.problem = f"cannot copy {entry.name}: {exc.strerror or exc}"
                continue
            used += written - previous
            self._copied[entry.name] = stamp
            self.left.pop(entry.name, None)
            copied += 1
        return copied

    def _used(self) -> int:
        """What the run's output/ takes on disk now (all of it counts against the limit)."""
        try:
            return sum(on_disk(e.stat(follow_symlinks=False)) for e in os.scandir(self.dest)
                       if e.is_file(follow_symlinks=False))
        except OSError:
            return 0

    def _size_on_disk(self, path: Path) -> int:
        try:
            st = path.lstat()
        except OSError:
            return 0
        return on_disk(st) if stat.S_ISREG(st.st_mode) else 0

    def _check_room(self, cost: int, used: int) -> None:
        if used + cost > self.limit:
            raise NoRoom(f"over the per-run limit of {mib(self.limit)} (results_copy_mb)")
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
            fs = os.statvfs(self.dest)
        except OSError as exc:
            raise NoRoom(f"cannot check the free space: {exc.strerror or exc}") from None
        free = fs.f_bavail * fs.f_frsize
        reserve = int(fs.f_blocks * fs.f_frsize * RESERVE_FRACTION)
        if free - cost < reserve:
            raise NoRoom(f"not enough free space on the runs filesystem (a copy leaves at "
                         f"least {RESERVE_FRACTION:.0%} of it free)")

    def _copy(self, path: Path, name: str, seen: os.stat_result, used: int) -> int:
        """Copy one file's data (holes stay holes) if it fits beside `used` bytes; returns
        what the copy takes on disk. The room is checked on the open file, so what is
        copied is what was measured."""
        fd = open_regular(path, follow_links=False)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
                raise OSError(errno.EAGAIN, "replaced while being opened", str(path))
            if st.st_size > MAX_RESULT_BYTES:
                raise NoRoom(f"larger than {mib(MAX_RESULT_BYTES)}")
            self._check_room(on_disk(st), used)
            with replacing(self.dest / name) as out:
                _copy_data(fd, out, min(st.st_size, MAX_RESULT_BYTES))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise NoRoom("no space left on the runs filesystem") from None
            raise
        finally:
            os.close(fd)
        return self._size_on_disk(self.dest / name)

    def note(self) -> str | None:
        """What the bound left in FUSION's folder, for the audit trail; None if nothing."""
        if not self.left:
            return None
        names = sorted(self.left)
        shown = ", ".join(names[:_NAMES_SHOWN]) + (
            f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")
        reasons = sorted({left.reason for left in self.left.values()})
        size = sum(left.size for left in self.left.values())
        return (f"results copy bounded: {len(self._copied)} file(s) copied into output/ "
                f"({mib(self._used())} on disk); {len(names)} file(s) ({mib(size)}) left in "
                f"FUSION's folder {self.source}: {shown} ({'; '.join(reasons)})")

    def new_note(self) -> str | None:
        """The note, once each time it changes (for the supervisor's log)."""
        note = self.note()
        if note == self._noted:
            return None
        self._noted = note
        return note


def _copy_data(src: int, out: int, size: int) -> None:
    """Copy the data segments of `src` (SEEK_DATA/SEEK_HOLE) and give `out` its size."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(src, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # nothing but a hole up to the end
                break
            raise
        end = min(os.lseek(src, start, os.SEEK_HOLE), size)
        while start < end:
            chunk = os.pread(src, min(_CHUNK, end - start), start)
            if not chunk:  # the file shrank under us: keep what was read
                break
            os.pwrite(out, chunk, start)
            start += len(chunk)
        if start < end:
            break
        pos = max(end, pos + 1)
    os.ftruncate(out, size)
