"""Do the caller's run folders and the store's rows agree? (`fusion-tui db check`)

Only the caller's own runs folder is looked at, only folders the caller owns are ever
removed, and only rows the caller owns are ever changed: on a shared server another
user's runs are theirs to check. Folders that a live command is making right now
(`runs/staging.py`) are not orphans yet.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fusion_tui.base.ids import is_run_id
from fusion_tui.runs.staging import SWEEPS_DIR, in_progress
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus
from fusion_tui.store.sweeps_repo import SweepStore

MISSING = "its run folder is missing"
DELETING = ".deleting"


@dataclass
class Findings:
    """What disagrees. `aside`: folders a killed delete renamed aside whose row stayed."""

    runs_dir: Path
    orphan_folders: list[Path] = field(default_factory=list)
    aside: list[Path] = field(default_factory=list)
    missing_folders: list[Run] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not (self.orphan_folders or self.aside or self.missing_folders)

    def problems(self) -> list[str]:
        """One line per kind of disagreement, with a count and a few examples."""
        lines = []
        if self.orphan_folders:
            names = _few(p.name for p in self.orphan_folders)
            lines.append(f"runs folder {self.runs_dir}: {len(self.orphan_folders)} folder(s) "
                         f"without a row in the store (e.g. {names}); "
                         "`fusion-tui db check --repair` removes them")
        if self.aside:
            lines.append(f"runs folder {self.runs_dir}: {len(self.aside)} run folder(s) left "
                         f"renamed aside by an interrupted delete whose row stayed (e.g. "
                         f"{_few(p.name for p in self.aside)}); `--repair` puts them back")
        if self.missing_folders:
            kinds = {"finished (`fusion-tui rm ID` deletes the row)": FINISHED_STATUSES,
                     "queued (`--repair` marks them FAILED)": {RunStatus.PENDING},
                     "running (their supervisor or their executor's watcher settles them)":
                         {RunStatus.RUNNING}}
            parts = [f"{n} {kind}" for kind, statuses in kinds.items()
                     if (n := sum(r.run_status in statuses for r in self.missing_folders))]
            lines.append(f"runs folder {self.runs_dir}: {len(self.missing_folders)} run(s) "
                         f"whose folder is gone (e.g. "
                         f"{_few(r.id for r in self.missing_folders)}): {', '.join(parts)}")
        return lines


def _few(names: Iterable[str]) -> str:
    items = sorted(names)
    return ", ".join(items[:3]) + (", ..." if len(items) > 3 else "")


def _own_folder(path: Path) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return path.is_dir() and not path.is_symlink() and st.st_uid == os.geteuid()


def check(runs_dir: Path, store: RunStore, user: str) -> Findings:
    """Compare the caller's runs folder with the rows (theirs, for rows without folders)."""
    found = Findings(runs_dir)
    folders: dict[str, Path] = {}
    aside: dict[str, Path] = {}
    if runs_dir.is_dir():
        for entry in runs_dir.iterdir():
            name = entry.name
            if is_run_id(name) and _own_folder(entry):
                folders[name] = entry
            elif (name.startswith(".") and name.endswith(DELETING)
                  and is_run_id(name[1:-len(DELETING)]) and _own_folder(entry)):
                aside[name[1:-len(DELETING)]] = entry
    # In this order: a folder listed above is either its live maker's (named by a
    # manifest now) or its rows were stored before the manifest went (found below).
    making, making_folders = in_progress(runs_dir)
    folders = {rid: p for rid, p in folders.items() if rid not in making}
    rows = store.existing_ids([*folders, *aside])
    found.orphan_folders = sorted(p for rid, p in folders.items() if rid not in rows)
    found.orphan_folders += sorted(p for rid, p in aside.items() if rid not in rows)
    found.aside = sorted(p for rid, p in aside.items() if rid in rows and rid not in folders)
    sweeps = runs_dir / SWEEPS_DIR
    if sweeps.is_dir():
        mine = {p.name: p for p in sweeps.iterdir() if is_run_id(p.name) and _own_folder(p)}
        making, making_folders = in_progress(runs_dir)
        known = SweepStore(store).existing_ids(list(mine))
        found.orphan_folders += sorted(
            p for sid, p in mine.items() if sid not in known
            and not any(f.is_relative_to(p) for f in making_folders))
    found.missing_folders = [
        r for r in store.runs_in(runs_dir, user)
        if r.id not in making and r.id not in aside and not Path(r.run_dir).is_dir()]
    return found


def repair(found: Findings, store: RunStore) -> list[str]:
    """Make the folders and rows agree where that loses nothing; one line per action."""
    said: list[str] = []
    for path in found.orphan_folders:
        said.append(f"removing {path} (no row in the store)")
        shutil.rmtree(path, ignore_errors=True)
    for path in found.aside:
        home = path.with_name(path.name[1:-len(DELETING)])
        if not home.exists():
            os.rename(path, home)
            said.append(f"put {path} back as {home} (its run was never deleted)")
    failed = False
    for run in found.missing_folders:
        if run.status == RunStatus.PENDING and run.executor == "local" and store.finish(
                run.id, RunStatus.FAILED, exit_code=None, expected=(RunStatus.PENDING,),
                error=f"{MISSING} ({run.run_dir})", recovered="db check --repair"):
            said.append(f"marked queued run {run.id} FAILED: {MISSING}")
            failed = True
    if failed:  # the queued runs that were to start after those can never start now
        said += [f"ended queued run {b.run_id}: {b.reason}"
                 for b in store.cancel_blocked(["local"])]
    return said
