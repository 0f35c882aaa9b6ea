"""Bring a database to the newest schema with Alembic, safely from several processes.

Called at every start-up, so upgrading fusion-tui never means deleting the database.
The whole upgrade runs in one transaction under a lock (SQLite's write lock, or a
PostgreSQL advisory lock), so two processes starting at once do not both migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from fusion_tui.store.database import _WRITE_OPTION
from fusion_tui.store.revision import HEAD_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x46_55_53_49_4F_4E  # "FUSION"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    """The head according to Alembic's scripts (the source of truth HEAD_REVISION mirrors)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None for a database never migrated."""
    with engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            return None
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade_database(engine: Engine) -> bool:
    """Apply pending migrations; True when something was applied."""
    if current_revision(engine) == HEAD_REVISION:
        return False
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    head = head_revision()
    cfg = _config()
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if MigrationContext.configure(conn).get_current_revision() == head:
            return False
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True


def reset_database(engine: Engine) -> None:
    """Drop everything and migrate afresh. Development only: callers check the guard."""
    from alembic import command

    cfg = _config()
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    upgrade_database(engine)
