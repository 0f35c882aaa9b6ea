"""The quick way through a command that only looks (`runs`, `show`, `wait` on ended runs,
`logs --lines`, `sweep list`, `stats`): the store read without SQLAlchemy, Alembic or the
run manager, which take longer to import than such a command takes to answer.

It is taken only when opening the store the usual way would change nothing: the store
exists at the current schema (an older one is migrated, a foreign or newer one refused,
by the usual way), nothing is left in the staging folder, and the reconcile step at the
start of every command would do nothing (no run on a batch executor still unfinished,
every running local run of ours on this host with its supervisor alive, and, for a
command that also starts queued runs, none queued). Otherwise, and on any error of the
database, the command goes the usual way, so what it prints and exits with is the same.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Sequence
from pathlib import Path

from fusion_tui.base import procs
from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.faults import FaultError
from fusion_tui.base.owner import current_user
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.cli.command import OnStore, Quick
from fusion_tui.runs.finding import find_run
from fusion_tui.store.preflight import preflight
from fusion_tui.store.query import RunFilter
from fusion_tui.store.quick_read import QuickStore, Unfinished, open_quick
from fusion_tui.store.run_row import RunRow
from fusion_tui.store.sqlite_file import sqlite_path
from fusion_tui.store.status import RunStatus

STAGING_DIR = ".staging"  # `runs/staging.py`'s folder: what is in it is settled on open
_LOCAL = "local"


def answer_quickly(handler: OnStore, args: argparse.Namespace, settings: Settings) -> int | None:
    """The command's exit status when it was answered the quick way; None when it must
    go the usual way (nothing was printed then)."""
    if handler.quick is None:
        return None
    store = _open(settings, schedule=handler.schedule)
    if store is None:
        return None
    try:
        return handler.quick(args, Quick(store, current_user()))
    except Exception as exc:
        if _is_database_error(exc):
            return None
        raise
    finally:
        store.close()


def find_quickly(q: Quick, ref: str) -> RunRow:
    """The run `ref` names, found as `RunManager.resolve` finds it (`runs/finding.py`)."""
    return find_run(ref, newest=lambda: q.store.page(RunFilter(), q.user, 1) or [],
                    get=q.store.get, by_prefix=q.store.find_by_prefix)


def _is_database_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("sqlite3", "psycopg"))


def _open(settings: Settings, *, schedule: bool) -> QuickStore | None:
    if not settings.home.is_dir() or not settings.runs_dir.is_dir():
        return None  # made by the usual way
    staging = settings.runs_dir / STAGING_DIR
    if staging.is_dir() and any(staging.iterdir()):
        return None
    sqlite_file = sqlite_path(settings.database_url)
    if sqlite_file is not None:
        try:
            preflight(sqlite_file, settings.runs_dir)
        except FaultError:
            return None  # the usual way says why
    try:
        store = open_quick(settings.database_url, settings.db_busy_seconds)
    except ImportError:
        return None
    except Exception as exc:
        if _is_database_error(exc):
            return None
        raise
    if store is None:
        return None
    try:
        busy = needs_reconcile(store.unfinished(), user=current_user(),
                               hostname=socket.gethostname(), schedule=schedule)
    except Exception as exc:
        store.close()
        if _is_database_error(exc):
            return None
        raise
    if busy:
        store.close()
        return None
    return store


def needs_reconcile(runs: Sequence[Unfinished], *, user: str, hostname: str,
                    schedule: bool) -> bool:
    """Whether the reconcile step at a command's start could change something of `runs`
    (the unfinished runs): settle or adopt a run (`LocalExecutor.adopt`), poll a batch
    scheduler, or (`schedule`) start a queued run."""
    for run in runs:
        if run.executor != _LOCAL:
            return True
        if run.status == RunStatus.PENDING:
            if schedule:
                return True
            continue
        if run.owner not in (None, user) or run.hostname not in (None, hostname):
            continue  # not ours to adopt
        if not _supervised(RunPaths(Path(run.run_dir))):
            return True
    return False


def _supervised(paths: RunPaths) -> bool:
    """Whether the run's supervisor, as its status.json names it, is alive."""
    if not paths.root.is_dir():
        return False
    try:
        pid, started = StatusRecord.read(paths.status).supervisor or (None, None)
    except (OSError, ValueError):
        return False
    return procs.is_same_process(pid, started)
