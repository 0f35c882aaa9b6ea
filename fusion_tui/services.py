"""Wire settings, database, store and run manager together: one place for the CLI, the
TUI and the tests to get a ready-to-use set of services."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.runs.manager import RunManager
from fusion_tui.runs.staging import recover as recover_staging
from fusion_tui.schedules.manager import ScheduleManager
from fusion_tui.store.database import health_check, make_engine, make_sessionmaker
from fusion_tui.store.migrate import current_revision, upgrade_database
from fusion_tui.store.preflight import EXPECTED_TABLES, preflight
from fusion_tui.store.preflight import check as check_sqlite
from fusion_tui.store.revision import HEAD_REVISION, KNOWN_REVISIONS
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.sqlite_file import sqlite_path
from fusion_tui.sweeps.manager import SweepManager


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: RunStore
    manager: RunManager
    sweeps: SweepManager
    schedules: ScheduleManager

    def close(self) -> None:
        self.engine.dispose()


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"cannot create the folder {path}: {exc.strerror or exc}") from None


def _shown(url: str) -> str:
    """The database URL for messages, password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"


def open_engine(settings: Settings) -> Engine:
    """The engine for `settings.database_url`; a URL that names an unknown backend or a
    driver that is not installed raises `SettingsError` with one line naming it."""
    url = settings.database_url
    try:
        return make_engine(url, slow_query_seconds=settings.slow_query_seconds,
                           busy_seconds=settings.db_busy_seconds)
    except (ArgumentError, ValueError) as exc:
        raise SettingsError(f"database_url {_shown(url)}: {exc}") from None
    except ImportError as exc:
        hint = " (pip install 'fusion-tui[postgres]')" if exc.name == "psycopg" else ""
        raise SettingsError(f"database_url {_shown(url)}: its driver {exc.name or exc} is "
                            f"not installed{hint}") from None


def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Make the home and runs folders, check and migrate the database, build store and
    manager.

    A folder that cannot be made or a database that cannot be opened (not ours, newer
    than this code, corrupt, read-only, locked, on a full disk) raises `SettingsError`
    with one line naming it (the CLI prints it and exits 2); nothing is changed.
    """
    _make_folder(settings.home)
    _make_folder(settings.runs_dir)
    sqlite_file = sqlite_path(settings.database_url)
    try:
        if sqlite_file is not None:
            preflight(sqlite_file, settings.runs_dir)
    except FaultError as exc:
        raise SettingsError(str(exc)) from None
    engine = open_engine(settings)
    try:
        _check_revision(engine, settings)
        if migrate:
            upgrade_database(engine)
    except SettingsError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        if not type(exc).__module__.startswith(("sqlalchemy", "alembic", "sqlite3", "psycopg")):
            raise
        raise SettingsError(_open_failure(exc, settings)) from None
    store = RunStore(make_sessionmaker(engine))
    manager = RunManager(settings, store)
    with contextlib.suppress(OSError):  # best effort: `db check` reports what is left
        recover_staging(settings.runs_dir, store.existing_ids)
    sweeps = SweepManager(manager)
    return Services(settings, engine, store, manager, sweeps, ScheduleManager(sweeps))


def _open_failure(exc: BaseException, settings: Settings) -> str:
    text = describe(exc, settings.database_label)
    if text.startswith(f"database {settings.database_label}: "):
        reason = text.split(": ", 1)[1]
        return f"cannot open the database {_shown(settings.database_url)}: {reason}"
    return text


def _check_revision(engine: Engine, settings: Settings) -> None:
    """A database written by a newer fusion-tui is not ours to change (PostgreSQL too)."""
    revision = current_revision(engine)
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise SettingsError(f"the database {settings.database_label} is at schema revision "
                            f"{revision}, which this fusion-tui does not know (it knows up to "
                            f"{HEAD_REVISION}); upgrade fusion-tui")


def database_problems(settings: Settings) -> list[str]:
    """What `fusion-tui db check` reports: empty when the store is healthy."""
    sqlite_file = sqlite_path(settings.database_url)
    if sqlite_file is not None:
        return check_sqlite(sqlite_file)
    engine = open_engine(settings)
    try:
        ok, message = health_check(engine)
        if not ok:
            return [f"unreachable: {message}"]
        tables = set(inspect(engine).get_table_names())
        problems = []
        missing = [t for t in EXPECTED_TABLES if t not in tables]
        if missing:
            problems.append(f"missing tables: {', '.join(missing)}")
        revision = current_revision(engine)
        if revision not in KNOWN_REVISIONS:
            problems.append(f"unknown schema revision {revision} "
                            f"(this fusion-tui knows up to {HEAD_REVISION})")
        return problems
    finally:
        engine.dispose()
