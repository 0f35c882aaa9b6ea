"""Fault drills on the store: files that are not ours, a newer schema, corrupt pages, a
read-only disk, a write lock held past the busy timeout. Each is one line naming the
file and the problem, exit status 2, and a file we refuse is left byte for byte."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli, tmpfs
from sqlalchemy import text

from fusion_tui.base.settings import Settings
from fusion_tui.services import open_services


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _one_line_2(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    return folder


def _settings(tmp_path: Path, db: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite:///{db}")


def test_a_sqlite_file_that_is_not_ours_is_left_untouched(
        cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    db = store_dir / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = _digest(store_dir)
    for args in (["runs"], ["new", "-t", "fake"], ["db", "upgrade"]):
        _one_line_2(cli(_settings(tmp_path, db), *args), str(db), "not a fusion-tui store")
    assert _digest(store_dir) == before, "the file (or its journal) was changed"


def test_a_file_that_is_not_a_database_is_left_untouched(
        cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    db = store_dir / "notes.db"
    db.write_text("my thesis notes\n")
    before = _digest(store_dir)
    _one_line_2(cli(_settings(tmp_path, db), "runs"), str(db), "not a SQLite database")
    assert _digest(store_dir) == before


def test_an_empty_file_is_not_a_new_store_when_runs_exist(
        cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    db = store_dir / "fusion-tui.db"
    settings = _settings(tmp_path, db)
    svc = open_services(settings)
    run = svc.manager.create("fake")
    svc.manager.wait(run.id, timeout=30)
    svc.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")
    _one_line_2(cli(settings, "runs"), str(db), "is empty", "1 run folder(s)")
    assert db.stat().st_size == 0 and not Path(f"{db}-wal").exists()


def test_an_empty_file_with_no_runs_becomes_a_new_store(
        cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    db = store_dir / "fusion-tui.db"
    db.write_bytes(b"")
    result = cli(_settings(tmp_path, db), "runs")
    assert result.returncode == 0, result.stderr
    assert "No runs yet" in result.stdout


def _set_revision(url: str, revision: str) -> None:
    from fusion_tui.store.database import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_newer_schema_is_refused_in_one_line(cli: Cli, tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    open_services(settings).close()
    _set_revision(db_url, "0099")
    for args in (["runs"], ["db", "upgrade"], ["new", "-t", "fake"]):
        _one_line_2(cli(settings, *args), "schema revision 0099", "upgrade fusion-tui")
    check = cli(settings, "db", "check")
    assert check.returncode == 1 and "unknown schema revision 0099" in check.stderr


def test_corrupt_pages_are_one_line_and_db_check_finds_them(cli: Cli, tmp_path: Path,
                                                            store_dir: Path) -> None:
    db = store_dir / "fusion-tui.db"
    settings = _settings(tmp_path, db)
    svc = open_services(settings)
    for _ in range(30):
        svc.manager.create("fake", name="x" * 200, overrides=["fake.behaviour=silent"])
        svc.store.set_queue(paused=True)
    svc.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    for offset in range(2 * page, len(data) - page, page):
        data[offset + 8: offset + 400] = os.urandom(392)
    db.write_bytes(bytes(data))
    result = cli(settings, "runs")
    _one_line_2(result, str(db))
    check = cli(settings, "db", "check")
    assert check.returncode == 1
    assert f"fusion-tui: database {db}: " in check.stderr
    assert "integrity" in check.stderr or "cannot be read" in check.stderr


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("remounting read-only needs root")
    with tmpfs(tmp_path / "disk", "8m") as disk:
        yield disk


def test_a_read_only_store_is_one_line(cli: Cli, tmp_path: Path, read_only_disk: Path) -> None:
    db = read_only_disk / "fusion-tui.db"
    settings = _settings(tmp_path, db)
    open_services(settings).close()
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_disk)], check=True)
    for args in (["runs"], ["new", "-t", "fake"]):
        _one_line_2(cli(settings, *args), str(db), "read-only")


def test_a_lock_held_past_the_busy_timeout_is_one_line_and_creates_nothing(
        cli: Cli, tmp_path: Path, store_dir: Path) -> None:
    db = store_dir / "fusion-tui.db"
    settings = _settings(tmp_path, db)
    open_services(settings).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli(settings, "new", "-t", "fake", FUSION_TUI_DB_BUSY_SECONDS="0.5")
        _one_line_2(result, str(db), "locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    svc = open_services(settings)
    try:
        assert svc.store.count_runs() == 0
        assert [p for p in settings.runs_dir.iterdir() if not p.name.startswith(".")] == []
    finally:
        svc.close()


async def test_the_app_reports_a_locked_store_in_one_line_and_goes_on(
        tmp_path: Path, store_dir: Path) -> None:
    from fusion_tui.tui.app import create_app

    db = store_dir / "fusion-tui.db"
    settings = _settings(tmp_path, db).with_overrides(db_busy_seconds=0.3)
    svc = open_services(settings)
    app = create_app(svc, watch_notifications=False)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("p")
            seen: list[Any] = []
            for _ in range(200):
                seen = [n for n in app._notifications if "locked" in str(n.message)]
                if seen:
                    break
                await pilot.pause(0.05)
            assert seen, [n.message for n in app._notifications]
            assert str(seen[0].message).count("\n") == 0 and str(db) in str(seen[0].message)
            holder.execute("ROLLBACK")
            assert app.is_running
            await pilot.press("p")
            for _ in range(200):
                if svc.store.queue().paused:
                    break
                await pilot.pause(0.05)
            assert svc.store.queue().paused
    finally:
        holder.close()
        svc.close()
