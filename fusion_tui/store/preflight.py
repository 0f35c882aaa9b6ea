"""Look at a SQLite store with the standard library before SQLAlchemy opens it.

Opening through the engine switches the file to WAL and migrates it, which must never
happen to a file that is not ours, to a store from a newer fusion-tui, or to an empty
file standing where a store full of runs used to be. Read-only (`mode=ro`) throughout,
so a file we refuse is left byte for byte as it was. Also `check()`, the thorough
`fusion-tui db check` (integrity, revision, tables).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from fusion_tui.base.faults import FaultError
from fusion_tui.base.safefile import open_binary
from fusion_tui.store.revision import HEAD_REVISION, KNOWN_REVISIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
# The tables of a store at every revision (a store behind is told so on its own).
EXPECTED_TABLES = ("alembic_version", "run_events", "runs")


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)


def _run_folders(runs_dir: Path) -> int:
    try:
        return sum(1 for e in os.scandir(runs_dir) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return 0


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _revision(conn: sqlite3.Connection) -> str | None:
    rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def preflight(path: Path, runs_dir: Path) -> None:
    """Raise FaultError (one line naming the file) when `path` must not be opened as a store.

    A missing file, an empty file with no runs beside it, or a file with no tables is a
    new store; a fusion-tui store at a revision this code knows is fine.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FaultError(f"cannot read the database {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise FaultError(f"the database {path} is not a regular file")
    if st.st_size == 0:
        runs = _run_folders(runs_dir)
        if runs:
            raise FaultError(f"the database {path} is empty, but {runs_dir} holds {runs} run "
                             "folder(s): the store was lost or truncated; restore it from a "
                             "backup (nothing was changed)")
        return
    try:
        with open_binary(path) as fh:  # never blocks on a named pipe put in its place
            magic = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise FaultError(f"cannot read the database {path}: {exc.strerror or exc}") from None
    if magic != SQLITE_MAGIC:
        raise FaultError(f"{path} is not a SQLite database, so not a fusion-tui store "
                         "(nothing was changed)")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise FaultError(f"the database {path} is read-only (or its folder is); fusion-tui "
                         "needs to write it")
    try:
        conn = _connect_ro(path)
        try:
            tables = _tables(conn)
            revision = _revision(conn) if "alembic_version" in tables else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if "locked" in message:
            return  # a writer holds it; the engine waits its busy timeout and reports
        raise FaultError(f"the database {path} cannot be read ({message}); "
                         "see `fusion-tui db check`") from None
    if not tables:
        return
    if "runs" not in tables or "alembic_version" not in tables:
        raise FaultError(f"{path} is a SQLite database but not a fusion-tui store "
                         "(nothing was changed)")
    if revision not in KNOWN_REVISIONS:
        raise FaultError(f"the database {path} is at schema revision {revision}, which this "
                         f"fusion-tui does not know (it knows up to {HEAD_REVISION}); "
                         "upgrade fusion-tui")


def check(path: Path) -> list[str]:
    """Problems found in a SQLite store (empty when healthy): integrity, revision, tables."""
    if not path.exists():
        return [f"{path} does not exist"]
    try:
        conn = _connect_ro(path)
        try:
            problems = [f"integrity: {r[0]}" for r in conn.execute("PRAGMA quick_check(20)")
                        if r[0] != "ok"]
            tables = _tables(conn)
            missing = [t for t in EXPECTED_TABLES if t not in tables]
            if missing:
                problems.append(f"missing tables: {', '.join(missing)}")
            if "alembic_version" in tables:
                revision = _revision(conn)
                if revision not in KNOWN_REVISIONS:
                    problems.append(f"unknown schema revision {revision} "
                                    f"(this fusion-tui knows up to {HEAD_REVISION})")
                elif revision != HEAD_REVISION:
                    problems.append(f"schema revision {revision} is behind {HEAD_REVISION}; "
                                    "run `fusion-tui db upgrade`")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"cannot be read: {exc}"]
    return problems
