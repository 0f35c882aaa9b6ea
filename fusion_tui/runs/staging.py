"""Making run folders so that a kill at any moment leaves nothing that nobody removes.

A command that makes runs (`new`, `restart`, `sweep new`, `sweep retry`) first takes
`<runs>/.staging/<token>.lock` and writes a manifest of every folder it will make into
`<runs>/.staging/<token>/`; it builds each run folder there (unseen, so never half-made
in place), renames them into place (same file system: atomic) and only then stores the
rows, and removes the manifest once the rows are committed (or once it has removed what
it made, on a failure). A manifest whose maker is gone (its lock is free: the kernel
drops a flock however the holder dies) is settled by the next command: what has a row
stays, what has none is removed. So folders without rows exist only while their maker
is alive, and rows never point at a folder that is not there yet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from fusion_tui.base import lock
from fusion_tui.base.ids import is_run_id, new_run_id
from fusion_tui.base.rundir import RunPaths, read_json, write_json_atomic

STAGING_DIR = ".staging"
MANIFEST = "manifest.json"
SWEEPS_DIR = ".sweeps"

# Given run ids, the subset that has a row in the store.
RowsOf = Callable[[Sequence[str]], set[str]]


class Batch:
    """One command's new folders, from the manifest until the rows are stored."""

    def __init__(self, runs_dir: Path, run_ids: Sequence[str],
                 extra: Sequence[Path] = ()) -> None:
        """Take the lock, then write the manifest (durable) before any folder exists."""
        self.runs_dir = runs_dir
        self.run_ids = list(run_ids)
        self.extra = list(extra)
        self.token = new_run_id()
        staging = runs_dir / STAGING_DIR
        staging.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = _new_lock(staging / f"{self.token}.lock")
        self.folder = staging / self.token
        try:
            self.folder.mkdir()
            write_json_atomic(self.folder / MANIFEST, {
                "runs": self.run_ids,
                "folders": [str(p.relative_to(runs_dir)) for p in self.extra]})
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._release()
            raise

    def staged(self, run_id: str) -> RunPaths:
        """Where the run's folder is built, unseen."""
        return RunPaths(self.folder / run_id)

    def place(self, run_ids: Iterable[str]) -> None:
        """Move built folders into place (rename(2): each appears whole or not at all),
        and make the new names durable before any row can point at them."""
        for run_id in run_ids:
            os.rename(self.folder / run_id, self.runs_dir / run_id)
        fd = os.open(self.runs_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def done(self) -> None:
        """The rows are stored (or everything was removed): forget the manifest."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._release()

    def abandon(self) -> None:
        """A failure before the rows were stored: remove every folder of the manifest."""
        _remove(self.runs_dir, self.folder, self.run_ids, self.extra)
        self.done()

    def _release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            (self.runs_dir / STAGING_DIR / f"{self.token}.lock").unlink()
        os.close(self._fd)
        self._fd = None


def _new_lock(path: Path) -> int:
    """A lock file that is held from the moment it has its name: made and locked under a
    temporary name, then renamed, so nobody can take it between creation and flock."""
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = lock.take(tmp)
    assert fd is not None  # a new name nobody else knows
    try:
        os.rename(tmp, path)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return fd


def _take_if_dead(path: Path) -> int | None:
    """The lock of a maker that is gone, or None while it lives. A lock file is only
    ever given its name already locked, so opening it never races its maker; a folder
    whose lock file is missing altogether has no maker left."""
    try:
        return lock.take(path, create=False)
    except FileNotFoundError:
        return _new_lock(path)


def _remove(runs_dir: Path, folder: Path, run_ids: Iterable[str],
            extra: Iterable[Path]) -> None:
    for run_id in run_ids:
        shutil.rmtree(folder / run_id, ignore_errors=True)
        shutil.rmtree(runs_dir / run_id, ignore_errors=True)
    for path in extra:
        shutil.rmtree(path, ignore_errors=True)
        if path.parent.parent == runs_dir / SWEEPS_DIR:
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # a new sweep's own folder, once empty


def _manifest(runs_dir: Path, folder: Path) -> tuple[list[str], list[Path]]:
    """The run ids and other folders a manifest names (only ones inside `runs_dir`)."""
    data = read_json(folder / MANIFEST) or {}
    runs = [r for r in data.get("runs", []) if isinstance(r, str) and is_run_id(r)]
    extra = []
    for rel in data.get("folders", []):
        path = Path(str(rel))
        if not path.is_absolute() and path.parts[:1] == (SWEEPS_DIR,) and ".." not in path.parts:
            extra.append(runs_dir / path)
    return runs, extra


def in_progress(runs_dir: Path) -> tuple[set[str], set[Path]]:
    """The run ids and other folders that live commands are making right now (their
    rows may not exist yet)."""
    staging = runs_dir / STAGING_DIR
    ids: set[str] = set()
    folders: set[Path] = set()
    if not staging.is_dir():
        return ids, folders
    for folder in staging.iterdir():
        if not folder.is_dir() or folder.is_symlink() or not is_run_id(folder.name):
            continue
        try:
            fd = lock.take(staging / f"{folder.name}.lock", create=False)
        except OSError:
            fd = None  # cannot tell: count it as live
        if fd is None:
            runs, extra = _manifest(runs_dir, folder)
            ids.update(runs)
            folders.update(extra)
        else:
            os.close(fd)
    return ids, folders


def recover(runs_dir: Path, rows_of: RowsOf) -> list[str]:
    """Settle what dead makers left in `<runs>/.staging`: keep the folders that have rows,
    remove the rest. What it removed, one line each. Never waits for a live maker."""
    staging = runs_dir / STAGING_DIR
    said: list[str] = []
    if not staging.is_dir():
        return said
    for entry in staging.iterdir():  # temporary lock names of makers killed in a rename
        with contextlib.suppress(OSError):
            if entry.name.endswith(".tmp") and time.time() - entry.stat().st_mtime > 60:
                entry.unlink()  # (a live maker renames its own within microseconds)
    tokens = {p.name.removesuffix(".lock") for p in staging.iterdir()}
    for token in sorted(t for t in tokens if is_run_id(t)):
        lock_path, folder = staging / f"{token}.lock", staging / token
        try:
            fd = _take_if_dead(lock_path)
        except OSError:
            continue
        if fd is None:
            continue  # its maker is alive
        try:
            if folder.is_dir() and not folder.is_symlink():
                runs, extra = _manifest(runs_dir, folder)
                kept = rows_of(runs) if runs else set()
                gone = [r for r in runs if r not in kept]
                _remove(runs_dir, folder, gone, extra if not kept else ())
                if gone:
                    said.append(f"removed {len(gone)} run folder(s) of a creation that was "
                                "interrupted before its rows were stored")
                shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                lock_path.unlink()
        finally:
            os.close(fd)
    return said
