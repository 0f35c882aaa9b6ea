"""A run's `output/` folder: listing and safe resolution of user-supplied relative paths.

A resolved path must stay inside the output folder, compared by path components (not by
string prefix, which lets `.../output2/x` pass for root `.../output`), after following
symlinks. Run ids are checked before any path is built from them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from fusion_tui.base.rundir import RunPaths


class UnsafePath(ValueError):
    """A relative artifact path that is refused; the message says why."""


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to output/, with '/' separators
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def list_artifacts(run_dir: Path) -> list[Artifact]:
    """Files under `output/`, hidden entries skipped, symlinks leaving it skipped."""
    output = RunPaths(run_dir).output
    if not output.is_dir():
        return []
    root = output.resolve()
    found: list[Artifact] = []
    for folder, dirs, files in os.walk(output, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = Path(folder) / name
            try:
                if full.is_symlink() and not _inside(full.resolve(strict=True), root):
                    continue
                st = full.stat()
            except (OSError, RuntimeError):
                continue
            if not os.path.isfile(full):
                continue
            rel = full.relative_to(output).as_posix()
            found.append(Artifact(rel, st.st_size, st.st_mtime))
    return found


def resolve_artifact(run_dir: Path, relative: str) -> Path:
    """The file `relative` names under the run's `output/`, or UnsafePath / FileNotFoundError."""
    if not relative or "\x00" in relative:
        raise UnsafePath("artifact path is empty or contains a NUL character")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or relative.startswith("\\"):
        raise UnsafePath(f"artifact path {relative!r}: absolute paths are not allowed")
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafePath(f"artifact path {relative!r}: '..' is not allowed")
    output = RunPaths(run_dir).output
    root = output.resolve()
    try:
        target = (output / posix).resolve(strict=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"artifact {relative!r} does not exist") from None
    except RuntimeError:
        raise UnsafePath(f"artifact path {relative!r}: symlink loop") from None
    if not _inside(target, root):
        raise UnsafePath(f"artifact path {relative!r} leads outside the run's output folder")
    if not target.is_file():
        raise UnsafePath(f"artifact path {relative!r} is not a file")
    return target
