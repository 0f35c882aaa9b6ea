"""`clean` of many runs killed with SIGKILL at several moments (folders being set aside,
rows being deleted, folders being removed) leaves the store and the runs folder
consistent once `db check --repair` has run: every run either whole (its row and its
folder) or gone (neither); and held at its delete, then killed, it loses no run."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from helpers import Cli, poll_until

from fusion_tui.base.ids import is_run_id, new_run_id
from fusion_tui.base.owner import current_user
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow

COUNT = 1500


def _make(svc: Services, count: int) -> set[str]:
    """`count` FAILED runs of ours, each with a folder of a few files, via the store API."""
    now = utcnow()
    runs = []
    for _ in range(count):
        run_id = new_run_id()
        folder = svc.settings.runs_dir / run_id
        (folder / "logs").mkdir(parents=True)
        (folder / "logs" / "sim.log").write_text("a line\n" * 10)
        (folder / "status.json").write_text("{}")
        runs.append(Run(id=run_id, status=RunStatus.FAILED.value, config_json="{}",
                        template="minimal", run_dir=str(folder), owner=current_user(),
                        created_at=now, started_at=now, completed_at=now, exit_code=1,
                        result_load=1.0))
    svc.sweeps.store.add(None, runs)
    return {r.id for r in runs}


def _rows(settings: Settings) -> int:
    path = settings.database_url.removeprefix("sqlite:///")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.01)) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return COUNT  # locked by the writer: not yet known to have changed


def _entries(runs_dir: Path) -> tuple[int, int]:
    """(run folders in place, folders set aside by a delete)."""
    in_place = aside = 0
    for entry in runs_dir.iterdir():
        if is_run_id(entry.name):
            in_place += 1
        elif entry.name.endswith(".deleting"):
            aside += 1
    return in_place, aside


MOMENTS: dict[str, Callable[[Settings], bool]] = {
    "first folder aside": lambda s: _entries(s.runs_dir)[1] >= 1,
    "half the folders aside": lambda s: _entries(s.runs_dir)[1] >= COUNT // 2,
    "rows deleted": lambda s: _rows(s) < COUNT,
    "folders being removed": lambda s: sum(_entries(s.runs_dir)) < COUNT,
}


def _clean(cli: Cli, settings: Settings) -> subprocess.Popen[str]:
    return cli.popen("clean", "--status", "failed", "--yes", "--json",
                     env=cli.env(settings, FUSION_TUI_DB_BUSY_SECONDS="120"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen[str], moment: Callable[[], bool]) -> bool:
    """SIGKILL `proc` as soon as `moment()` holds; False when it ended first."""
    deadline = time.monotonic() + 60
    while not moment():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the moment never came"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return True


def _consistent(cli: Cli, settings: Settings, made: set[str]) -> set[str]:
    """After `db check --repair`: the runs left, each with its row and its folder."""
    repair = cli(settings, "db", "check", "--repair", "--json")
    assert repair.returncode == 0, repair.stdout + repair.stderr
    check = cli(settings, "db", "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["healthy"]
    listed = cli(settings, "runs", "--all", "--json", "--limit", str(COUNT * 2))
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"] for r in json.loads(listed.stdout)}
    folders = {p.name for p in settings.runs_dir.iterdir() if not p.name.startswith(".")}
    assert rows == folders, (f"{len(folders - rows)} folder(s) without a row, "
                             f"{len(rows - folders)} row(s) without a folder")
    assert not [p for p in settings.runs_dir.iterdir() if p.name.endswith(".deleting")]
    assert rows <= made
    return rows


@pytest.fixture
def many(settings: Settings, services: Services) -> Iterator[tuple[Settings, set[str]]]:
    made = _make(services, COUNT)
    services.close()
    yield settings, made


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_clean_killed_at_any_moment_leaves_runs_whole_or_gone(
        cli: Cli, many: tuple[Settings, set[str]], moment: str) -> None:
    settings, made = many
    proc = _clean(cli, settings)
    killed = _kill_when(proc, lambda: MOMENTS[moment](settings))
    left = _consistent(cli, settings, made)
    if not killed:  # it ended first: everything went
        assert left == set()
    again = cli(settings, "clean", "--status", "failed", "--yes", "--json")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(again.stdout)["deleted"]) == left
    assert _consistent(cli, settings, made) == set()


@contextmanager
def _sqlite_writer_lock(settings: Settings) -> Iterator[None]:
    """Hold SQLite's write lock, so a writer waits (busy timeout) where it commits."""
    path = settings.database_url.removeprefix("sqlite:///")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_clean_killed_at_its_delete_loses_no_run(cli: Cli,
                                                 many: tuple[Settings, set[str]]) -> None:
    """Deterministic: once `clean` sets its first folder aside the store is held
    locked, so it sets the rest of its chunk aside and waits at its delete; killed
    there, `db check --repair` puts every folder back."""
    settings, made = many
    proc = _clean(cli, settings)
    try:
        poll_until(lambda: _entries(settings.runs_dir)[1], lambda n: n >= 1, timeout=60,
                   interval=0.001)
        with _sqlite_writer_lock(settings):
            poll_until(lambda: _entries(settings.runs_dir),
                       lambda seen: seen[1] == COUNT and seen[0] == 0, timeout=60)
            assert proc.poll() is None and _rows(settings) == COUNT
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _consistent(cli, settings, made) == made
