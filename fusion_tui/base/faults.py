"""Faults of the world (a full disk, a locked, read-only or corrupt database) as one line
for a person: what is wrong and where. Used by the CLI, the app and the supervisor's
helpers alike, so they say the same thing. Never imports the database layer: database
errors are recognised by their class names and messages.
"""

from __future__ import annotations

import errno

DISK_FULL = "disk full"

_SQLITE_MESSAGES = (
    ("database or disk is full", DISK_FULL + ": the database {db} cannot be written"),
    ("database is locked", "the database {db} is locked by another process "
                           "(gave up after waiting); try again"),
    ("readonly database", "the database {db} is read-only; fusion-tui needs to write it"),
    ("disk image is malformed", "the database {db} is corrupt ({msg}); "
                                "see `fusion-tui db check`"),
    ("file is not a database", "{db} is not a database ({msg})"),
    ("unable to open database file", "cannot open the database {db}"),
    ("disk i/o error", "the database {db} cannot be read or written (disk I/O error)"),
)


class FaultError(Exception):
    """A fault already phrased as one line for the user."""


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0][:300] if lines else ""


def describe_os_error(exc: OSError, what: str | None = None) -> str:
    where = what or (str(exc.filename) if exc.filename is not None else None)
    reason = exc.strerror or _first_line(str(exc)) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{DISK_FULL}: cannot write {where}" if where else f"{DISK_FULL}: {reason}"
    return f"{where}: {reason}" if where else reason


def describe_database_error(exc: BaseException, db: str) -> str:
    """One line for an error raised by the database layer (SQLAlchemy, sqlite3, psycopg)."""
    original = getattr(exc, "orig", None) or exc
    message = _first_line(str(original))
    lowered = message.lower()
    for needle, template in _SQLITE_MESSAGES:
        if needle in lowered:
            return template.format(db=db, msg=message)
    if isinstance(original, OSError):
        return describe_os_error(original)
    return f"database {db}: {message or type(original).__name__}"


def describe(exc: BaseException, db: str | None = None) -> str:
    """One line for any fault; `db` names the database for database errors."""
    if isinstance(exc, FaultError):
        return str(exc)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    module = type(exc).__module__ or ""
    original = getattr(exc, "orig", None)
    if module.startswith(("sqlalchemy", "sqlite3", "psycopg")) or original is not None:
        return describe_database_error(exc, db or "(the store)")
    return f"{type(exc).__name__}: {_first_line(str(exc))}"
