"""The first page read straight from the SQLite file agrees with the store, and declines
(None) whenever it could be wrong; it never changes the file."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings

from fusion_tui.services import Services, open_services
from fusion_tui.store.first_page import read_first_page
from fusion_tui.store.models import Run
from fusion_tui.store.query import RunQuery
from fusion_tui.store.sqlite_file import sqlite_path
from fusion_tui.store.status import RunStatus, utcnow


def _fill(svc: Services, count: int) -> None:
    base = utcnow() - timedelta(days=1)
    statuses = list(RunStatus)
    with svc.store.session(write=True) as s:
        for i in range(count):
            status = statuses[i % len(statuses)]
            started = None if status == RunStatus.PENDING else base + timedelta(minutes=i)
            s.add(Run(
                id=f"{i * 7919 % 4096:03x}{i:09x}", name=None if i % 4 == 0 else f"run [b]{i}",
                status=status.value, config_json="{}", template="default",
                run_dir=f"/runs/{i}",
                # pairs of runs share a creation time: the tie is broken by id, as the store does
                created_at=base + timedelta(seconds=i // 2), started_at=started,
                completed_at=started + timedelta(minutes=5)
                if started and status in (RunStatus.COMPLETED, RunStatus.FAILED) else None,
                current_erlang=300.0 + i if i % 3 else None, current_erlang_index=i % 3,
                total_erlangs=3 if i % 5 else None, current_iteration=i % 4,
                total_iterations=4, last_progress_at=started,
                owner=("alice", "bob", None)[i % 3],  # a run of nobody is everyone's
            ))


@pytest.fixture
def store(tmp_path: Path, sqlite_url: str) -> Services:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    _fill(svc, 45)
    return svc


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("owner", "total"), [(None, 45), ("alice", 30)])
def test_first_page_matches_the_store(store: Services, owner: str | None, total: int) -> None:
    url = store.settings.database_url
    expected = store.store.list_runs(RunQuery(owner=owner), limit=20)
    store.close()
    page = read_first_page(url, 20, owner)
    assert page is not None and page.total == total
    assert [r.id for r in page.runs] == [r.id for r in expected]
    for got, want in zip(page.runs, expected, strict=True):
        assert (got.name, got.status, got.template, got.run_dir) == \
            (want.name, want.status, want.template, want.run_dir)
        assert (got.started_at, got.completed_at, got.last_progress_at) == \
            (want.started_at, want.completed_at, want.last_progress_at)
        assert (got.current_erlang, got.fraction_done) == (want.current_erlang, want.fraction_done)


def test_reading_changes_nothing(store: Services) -> None:
    store.close()
    db = sqlite_path(store.settings.database_url)
    assert db is not None
    before = _digest(db)
    assert read_first_page(store.settings.database_url, 10) is not None
    assert _digest(db) == before


def test_declines_an_unknown_schema_revision(store: Services) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    assert read_first_page(store.settings.database_url, 10) is None


def test_declines_what_it_cannot_read(tmp_path: Path) -> None:
    assert read_first_page(f"sqlite:///{tmp_path / 'missing.db'}", 10) is None
    assert not (tmp_path / "missing.db").exists()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert read_first_page(f"sqlite:///{garbage}", 10) is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert read_first_page(f"sqlite:///{empty}", 10) is None
    assert read_first_page("postgresql+psycopg://u@localhost/db", 10) is None
    assert read_first_page("sqlite://", 10) is None


@pytest.mark.parametrize(("url", "path"), [
    ("sqlite:////abs/store.db", "/abs/store.db"),
    ("sqlite:///relative.db", "relative.db"),
    ("sqlite+pysqlite:////abs/store.db?timeout=5", "/abs/store.db"),
    ("sqlite:///:memory:", None),
    ("sqlite://", None),
    ("postgresql://u@h/db", None),
    ("mysql:///x.db", None),
    ("not a url", None),
])
def test_sqlite_path(url: str, path: str | None) -> None:
    assert sqlite_path(url) == (Path(path) if path else None)
