"""Engine and session factory (seed 002's factory pattern), tuned per backend.

SQLite gets WAL, a busy timeout, foreign keys and the parameter filters' value rule as a
function, and we issue `BEGIN` ourselves so a transaction really starts at its first
statement. Writers ask for `BEGIN IMMEDIATE`
(`session_scope(..., write=True)`), which takes the write lock up front: two processes
doing read-modify-write never hit SQLITE_BUSY_SNAPSHOT ("database is locked") and never
lose an update. PostgreSQL gets the pool settings of seed 001 and psycopg 3.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from fusion_tui.store.params import same_value

log = logging.getLogger("fusion_tui.db")
# The parameter filters' value rule in SQL on SQLite (PostgreSQL does it in its own SQL;
# see `store/filter_sql.py`).
SAME_VALUE_FUNCTION = "fusion_tui_same_value"

DEFAULT_BUSY_SECONDS = 30.0
_WRITE_OPTION = "fusion_tui_write"


def normalise_url(url: str) -> str:
    """Map plain `postgresql://` URLs onto the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, slow_query_seconds: float = 1.0,
                busy_seconds: float = DEFAULT_BUSY_SECONDS, **kwargs: Any) -> Engine:
    """Create an engine configured for the backend that `url` names.

    `busy_seconds`: how long a SQLite statement waits for another process's write lock.
    """
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("check_same_thread", False)
        kwargs["connect_args"].setdefault("timeout", busy_seconds)
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, int(busy_seconds * 1000))
    elif backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_recycle", 3600)
        kwargs.setdefault("pool_size", 30)
        kwargs.setdefault("max_overflow", 30)
        kwargs.setdefault("pool_timeout", 30)
        engine = create_engine(url, **kwargs)
    else:
        raise ValueError(f"unsupported database backend {backend!r} in database URL")
    _install_slow_query_monitor(engine, slow_query_seconds)
    return engine


def _configure_sqlite(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite otherwise delays it until the first write).
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function(SAME_VALUE_FUNCTION, 2, same_value,
                                         deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal" and engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _install_slow_query_monitor(engine: Engine, threshold: float) -> None:
    """Warn about statements slower than `threshold` seconds (seed 001)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, _cursor: Any, _stmt: str, _params: Any, _ctx: Any,
                _many: bool) -> None:
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Connection, _cursor: Any, statement: str, _params: Any, _ctx: Any,
               _many: bool) -> None:
        started = conn.info["query_start"].pop()
        elapsed = time.perf_counter() - started
        if elapsed >= threshold:
            log.warning("slow query (%.3f s): %s", elapsed, " ".join(statement.split())[:500])


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to `engine`; objects stay readable after commit."""
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A short-lived session: commit on success, roll back on error, always close.

    `write=True` takes SQLite's write lock at BEGIN (no effect on PostgreSQL, where
    writers lock rows with `SELECT ... FOR UPDATE`).
    """
    session = factory()
    try:
        if write:
            session.connection(execution_options={_WRITE_OPTION: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_db(factory: sessionmaker[Session]) -> Generator[Session, None, None]:
    """Generator-style session provider for dependency injection (seed 000/002)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()


def health_check(engine: Engine) -> tuple[bool, str]:
    """Whether the database answers a trivial query, and what it said."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # reported, not raised: a health check must answer
        return False, f"{type(exc).__name__}: {exc}".splitlines()[0]
