"""Wire settings, database, store and run manager together: one place for the CLI, the
TUI and the tests to get a ready-to-use set of services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from fusion_tui.runs.manager import RunManager
from fusion_tui.settings import Settings, SettingsError
from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.runs_repo import RunStore


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: RunStore
    manager: RunManager

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
        return make_engine(url, slow_query_seconds=settings.slow_query_seconds)
    except (ArgumentError, ValueError) as exc:
        raise SettingsError(f"database_url {_shown(url)}: {exc}") from None
    except ImportError as exc:
        hint = " (pip install 'fusion-tui[postgres]')" if exc.name == "psycopg" else ""
        raise SettingsError(f"database_url {_shown(url)}: its driver {exc.name or exc} is "
                            f"not installed{hint}") from None


def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Make the home and runs folders, migrate the database, build store and manager.

    A folder that cannot be made or a database that cannot be opened raises
    `SettingsError` with one line naming it (the CLI prints it and exits 2).
    """
    _make_folder(settings.home)
    _make_folder(settings.runs_dir)
    engine = open_engine(settings)
    try:
        if migrate:
            upgrade_database(engine)
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise SettingsError(f"cannot open the database {_shown(settings.database_url)}: "
                            f"{reason}") from None
    store = RunStore(make_sessionmaker(engine))
    return Services(settings, engine, store, RunManager(settings, store))
