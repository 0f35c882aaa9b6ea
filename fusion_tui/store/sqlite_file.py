"""The file a SQLite database URL names, read without SQLAlchemy or sqlite3 (a run's
supervisor asks, and it starts for every run of a queue)."""

from __future__ import annotations

from pathlib import Path

_SCHEMES = ("sqlite", "sqlite+pysqlite")


def sqlite_path(database_url: str) -> Path | None:
    """The file a `sqlite:///...` URL names (relative to the working directory, as
    SQLAlchemy reads it); None for other databases and in-memory SQLite."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in _SCHEMES or not rest.startswith("/"):
        return None
    path = rest[1:].split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path)
