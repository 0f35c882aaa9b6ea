"""Wire settings, database, store and run manager together: one place for the CLI, the
TUI and the tests to get a ready-to-use set of services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from fusion_tui.runs.manager import RunManager
from fusion_tui.settings import Settings
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


def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Make the home and runs folders, migrate the database, build store and manager."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, slow_query_seconds=settings.slow_query_seconds)
    if migrate:
        upgrade_database(engine)
    store = RunStore(make_sessionmaker(engine))
    return Services(settings, engine, store, RunManager(settings, store))
