"""Removing a folder tree whole or not at all, quickly: list it once, refusing a tree that
could not be fully removed (a mount point in it, a folder we may not empty), then remove
it by that list, later, through folder descriptors. Listed once, it is not listed again
to remove it (`shutil.rmtree` would): at 25,000 run folders that halves the system calls.

Links are never followed: a link in the tree is listed as an entry and unlinked, and each
folder is opened with O_NOFOLLOW relative to the one above, so a folder swapped for a
link after the listing is refused, never entered.
"""

from __future__ import annotations

import os
import shutil
import stat
from contextlib import suppress
from typing import NamedTuple

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Unremovable(Exception):
    """A tree that could not be fully removed: `path` and why (a phrase after it)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


class Listing(NamedTuple):
    """A folder's entries as listed: the rest (files, links and anything else that is
    not a folder) and its folders, each listed, by name. Tuples: at 25,000 run folders
    the garbage collector would walk lists and dicts again and again."""

    others: tuple[str, ...]
    folders: tuple[tuple[str, Listing], ...]


def list_removable(root: str) -> Listing | None:
    """The tree at `root`, listed; None when `root` is not a folder (nothing there, or a
    link or a file: not a tree to remove). Unremovable when some of it could not be
    removed: a folder on another device than `root` (a mount point) or one we may not
    write. OSError when it cannot be read."""
    try:
        st = os.lstat(root)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return _list(root, st.st_dev) if stat.S_ISDIR(st.st_mode) else None


def _list(folder: str, device: int) -> Listing:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Unremovable(folder, "is not writable")
    others: list[str] = []
    folders: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                others.append(entry.name)
            elif entry.stat(follow_symlinks=False).st_dev != device:
                raise Unremovable(entry.path, "is a mount point")
            else:
                folders.append(entry.name)
    return Listing(tuple(others),
                   tuple((name, _list(os.path.join(folder, name), device)) for name in folders))


def remove_listed(root: str, listing: Listing) -> list[str]:
    """Remove the tree at `root` as `listing` says; what could not be removed, one
    "path: reason" each (empty when all went). What the list did not remove (entries
    made since it was listed, or ones that would not go) is left to `shutil.rmtree`,
    which also works through descriptors and names what stays."""
    try:
        fd = os.open(root, _FOLDER)
        try:
            _empty(fd, listing)
        finally:
            os.close(fd)
        os.rmdir(root)
        return []
    except OSError:
        failures: list[str] = []
        shutil.rmtree(root, onerror=lambda _f, path, info: failures.append(
            f"{path}: {getattr(info[1], 'strerror', None) or info[1]}"))
        return failures


def _empty(fd: int, listing: Listing) -> None:
    """Remove what `listing` names in the open folder `fd`, as far as it goes: an entry
    that would not go is left for `remove_listed` to try again and name."""
    for name in listing.others:
        with suppress(OSError):
            os.unlink(name, dir_fd=fd)
    for name, inner in listing.folders:
        try:
            child = os.open(name, _FOLDER, dir_fd=fd)
        except OSError:
            continue
        try:
            _empty(child, inner)
        finally:
            os.close(child)
        with suppress(OSError):
            os.rmdir(name, dir_fd=fd)
