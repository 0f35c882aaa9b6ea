"""The report's folder (`report -o DIR`): written as a careful Unix tool writes a path the
user names (`base/output_path.py`). A folder that does not exist is built beside it under
a temporary name and renamed into place whole, so a failure leaves nothing; an existing
folder must be empty unless `force`, and then each file is replaced through a rename
(never written through a link, never replacing one: every name is checked before the
first byte is written). A link at -o itself is refused, even with `force`."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from fusion_tui.base import output_path
from fusion_tui.base.atomic import sync_folder, write_atomic
from fusion_tui.base.output_path import OutputFailed, OutputRefused
from fusion_tui.base.safefile import file_kind

FLAG = "-o"


def check(folder: Path, *, force: bool) -> bool:
    """Refuse now what `write` would refuse (OutputRefused: one line, exit 2); whether
    the folder exists already."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        if not folder.parent.is_dir():
            raise OutputRefused(f"{FLAG} {folder}: the folder {folder.parent} does not exist"
                                ) from None
        return False
    except OSError as exc:
        raise OutputRefused(f"{FLAG} {folder}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        raise OutputRefused(f"{FLAG} {folder}: a symbolic link; fusion-tui neither writes "
                            "through one nor replaces it (name the folder itself)")
    if not stat.S_ISDIR(mode):
        raise OutputRefused(f"{FLAG} {folder}: {file_kind(mode)}, not a folder")
    if not force and any(os.scandir(folder)):
        raise OutputRefused(f"{FLAG} {folder}: not empty (--force replaces the report's "
                            "files in it)")
    return True


def write(folder: Path, files: dict[str, bytes], *, force: bool) -> None:
    """Put `files` (name -> content, flat) in `folder` under the rules above."""
    if check(folder, force=force):
        for name in files:  # every name checked before anything is written
            output_path.check(folder / name, force=True, flag=FLAG)
        for name, data in files.items():
            output_path.write(folder / name, data, force=True, flag=FLAG)
        return
    tmp = folder.parent / f".{folder.name[:64]}.{os.urandom(6).hex()}.part"
    try:
        tmp.mkdir(mode=0o777)  # the umask decides, as for any folder the user makes
        for name, data in files.items():
            write_atomic(tmp / name, data)
        os.rename(tmp, folder)  # an empty folder made meanwhile is replaced; else refused
        sync_folder(folder.parent)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise OutputRefused(f"{FLAG} {folder}: appeared meanwhile; nothing was written"
                                ) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputRefused(f"{FLAG} {folder}: {exc.strerror}") from None
        raise OutputFailed(f"{FLAG} {folder}: {exc.strerror or exc}; nothing was left "
                           "there") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
