"""`clean` of many runs killed with SIGKILL at several moments (folders being set aside,
rows being deleted, folders being removed, the next chunk set aside while the last one's
folders are removed) leaves the store and the runs folder consistent once `db check
--repair` has run: every run either whole (its row and its folder) or gone (neither);
held at its delete, then killed, it loses no run; and it never follows a link out of a
run folder."""

from __future__ import annotations

import json
import os
import shutil
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
from fusion_tui.runs.removing import CHUNK
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow

COUNT = CHUNK + 600  # two chunks: the second is set aside while the first is removed


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
    # After the first chunk's rows: a listing taken while folders are renamed aside may
    # miss one, so a folder missing from it alone would not say that removing has begun.
    "folders being removed": lambda s: _rows(s) < COUNT and sum(_entries(s.runs_dir)) < COUNT,
    "next chunk aside, the first's folders being removed": lambda s: (
        _rows(s) == COUNT - CHUNK and _entries(s.runs_dir)[0] < COUNT - CHUNK),
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
    locked, so it sets the rest of its first chunk aside and waits at its delete;
    killed there, `db check --repair` puts every folder back."""
    settings, made = many
    proc = _clean(cli, settings)
    try:
        poll_until(lambda: _entries(settings.runs_dir)[1], lambda n: n >= 1, timeout=60,
                   interval=0.001)
        with _sqlite_writer_lock(settings):
            poll_until(lambda: _entries(settings.runs_dir),
                       lambda seen: seen == (COUNT - CHUNK, CHUNK), timeout=60)
            assert proc.poll() is None and _rows(settings) == COUNT
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _consistent(cli, settings, made) == made


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_clean_never_follows_a_link_out_of_a_run_folder(cli: Cli, settings: Settings,
                                                        services: Services,
                                                        tmp_path: Path) -> None:
    """Links in run folders are unlinked, never followed; a run whose folder is itself a
    link has its row deleted and what the link points to left alone."""
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "precious.txt").write_text("keep")
    (outside / "precious.txt").write_text("keep too")
    made = _make(services, 3)
    for run_id in made:
        (settings.runs_dir / run_id / "to-folder").symlink_to(outside)
        (settings.runs_dir / run_id / "logs" / "to-file").symlink_to(outside / "precious.txt")
    (linked,) = _make(services, 1)
    folder = settings.runs_dir / linked
    shutil.rmtree(folder)
    folder.symlink_to(outside / "inner")
    services.close()
    cleaned = cli(settings, "clean", "--status", "failed", "--yes", "--json")
    assert cleaned.returncode == 0, cleaned.stderr
    assert set(json.loads(cleaned.stdout)["deleted"]) == made | {linked}
    assert not [r for r in made if os.path.lexists(settings.runs_dir / r)]
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == [
        "inner", "inner/precious.txt", "precious.txt"]
    assert (outside / "inner" / "precious.txt").read_text() == "keep"
    assert (outside / "precious.txt").read_text() == "keep too"
