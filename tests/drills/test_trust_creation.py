"""Kill drills for creation: `fusion-tui sweep new` (500 points) and `fusion-tui new`,
killed with SIGKILL at many moments, leave no run folder without a row once the next
command has run, and `db check` finds nothing; `db check --repair` says what it removes
and never touches another user's folder; `sweep retry` re-creates points that `clean`
deleted. Real subprocesses, real SQLite files, the real PostgreSQL; nothing simulated.
The queue is paused, so no run starts: creation is all that is under test."""

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
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli, flaky_command, poll_until
from sqlalchemy import create_engine, text

from fusion_tui.base.ids import is_run_id
from fusion_tui.base.settings import Settings
from fusion_tui.services import open_services
from fusion_tui.store.status import RunStatus

POINTS = 500
SWEEP = ["sweep", "new", "-t", "minimal", "--seeds", f"1-{POINTS}"]


def _paused(settings: Settings) -> Settings:
    with closing(open_services(settings)) as svc:
        svc.store.set_queue(paused=True)
    return settings


def _in_place(runs_dir: Path) -> set[str]:
    return {p.name for p in runs_dir.iterdir() if is_run_id(p.name) and p.is_dir()}


def _anywhere(runs_dir: Path) -> int:
    """Run folders in place or being built (today's code has no staging area)."""
    staged = sum(1 for p in runs_dir.glob(".staging/*/*") if is_run_id(p.name))
    return len(_in_place(runs_dir)) + staged


def _rows(settings: Settings) -> set[str]:
    with closing(open_services(settings)) as svc:
        return {r.id for r in svc.store.list_runs(limit=100_000)}


def _sqlite_rows(settings: Settings) -> int:
    path = settings.database_url.removeprefix("sqlite:///")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.01)) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _start(cli: Cli, settings: Settings, *args: str) -> subprocess.Popen[str]:
    return cli.popen(*args, env=cli.env(settings, FUSION_TUI_DB_BUSY_SECONDS="120"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen[str], moment: Callable[[], object],
               timeout: float = 60) -> bool:
    """SIGKILL `proc` as soon as `moment()` holds; False when it ended first."""
    deadline = time.monotonic() + timeout
    while not moment():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the moment never came"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return True


def _assert_consistent(cli: Cli, settings: Settings) -> set[str]:
    """After the next command: every folder has a row, every row a folder, no staging
    left, and `db check` agrees. The rows."""
    after = cli(settings, "runs", "--all")  # the next command, whatever it is
    assert after.returncode == 0, after.stderr
    rows = _rows(settings)
    folders = _in_place(settings.runs_dir)
    assert folders == rows, (f"{len(folders - rows)} folder(s) without a row, "
                             f"{len(rows - folders)} row(s) without a folder")
    assert not [p for p in (settings.runs_dir / ".staging").glob("*")
                if not p.name.startswith(".")]
    check = cli(settings, "db", "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    data = json.loads(check.stdout)
    assert data["healthy"] and data["orphan_folders"] == [] and data["missing_folders"] == []
    return rows


@pytest.fixture
def lite(tmp_path: Path, sqlite_url: str) -> Settings:
    return _paused(make_settings(tmp_path, sqlite_url))


MOMENTS: dict[str, Callable[[Settings], object]] = {
    "first folder": lambda s: _anywhere(s.runs_dir) >= 1,
    "80 folders": lambda s: _anywhere(s.runs_dir) >= 80,
    "half the folders": lambda s: _anywhere(s.runs_dir) >= POINTS // 2,
    "first folder in place": lambda s: len(_in_place(s.runs_dir)) >= 1,
    "every folder in place": lambda s: len(_in_place(s.runs_dir)) >= POINTS,
    "rows stored": lambda s: _sqlite_rows(s) >= 1,
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_sweep_killed_while_it_is_made_leaves_nothing_behind(
        cli: Cli, lite: Settings, moment: str) -> None:
    proc = _start(cli, lite, *SWEEP)
    killed = _kill_when(proc, lambda: MOMENTS[moment](lite))
    rows = _assert_consistent(cli, lite)
    if moment == "rows stored":  # killed after the commit, or it had ended: all kept
        assert len(rows) == POINTS
    else:
        assert killed and rows == set()


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


def test_a_sweep_killed_between_its_folders_and_its_rows_leaves_nothing(
        cli: Cli, lite: Settings) -> None:
    """Deterministic: the store is held locked once the folders are being made, so the
    command waits at its commit with every folder in place; then it is killed."""
    proc = _start(cli, lite, *SWEEP)
    try:
        poll_until(lambda: _anywhere(lite.runs_dir), lambda n: n >= 1, timeout=60,
                   interval=0.001)
        with _sqlite_writer_lock(lite):
            poll_until(lambda: len(_in_place(lite.runs_dir)), lambda n: n == POINTS,
                       timeout=60)
            assert proc.poll() is None and _sqlite_rows(lite) == 0
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _assert_consistent(cli, lite) == set()


def test_a_live_sweep_creation_is_left_alone_by_other_commands(cli: Cli, lite: Settings) -> None:
    """A `sweep new` in another terminal, waiting at its commit: another command and
    `db check` neither remove nor report its folders; it then finishes whole."""
    proc = _start(cli, lite, *SWEEP, "--json")
    poll_until(lambda: _anywhere(lite.runs_dir), lambda n: n >= 1, timeout=60,
               interval=0.001)
    with _sqlite_writer_lock(lite):
        poll_until(lambda: len(_in_place(lite.runs_dir)), lambda n: n == POINTS, timeout=60)
        assert cli(lite, "runs").returncode == 0
        check = cli(lite, "db", "check", "--json")
        assert json.loads(check.stdout)["orphan_folders"] == [], check.stdout
        assert len(_in_place(lite.runs_dir)) == POINTS and proc.poll() is None
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["total"] == POINTS
    assert len(_assert_consistent(cli, lite)) == POINTS


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("command", [["new", "-t", "minimal"], SWEEP])
def test_new_killed_between_folder_and_row_leaves_nothing_on_postgresql(
        cli: Cli, tmp_path: Path, db_url: str, command: list[str]) -> None:
    """`LOCK TABLE runs IN SHARE MODE` lets the command read but holds its INSERT: it
    waits with its folder(s) in place and no row, and is killed there."""
    settings = _paused(make_settings(tmp_path, db_url))
    expected = 1 if command[0] == "new" else POINTS
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE runs IN SHARE MODE"))
            proc = _start(cli, settings, *command)
            try:
                poll_until(lambda: len(_in_place(settings.runs_dir)), lambda n: n == expected,
                           timeout=60)
                assert proc.poll() is None
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
            conn.rollback()
    finally:
        engine.dispose()
    assert _assert_consistent(cli, settings) == set()
    made = cli(settings, *command)  # and the next one works as ever
    assert made.returncode == 0, made.stderr
    assert len(_assert_consistent(cli, settings)) == expected


def test_db_check_reports_and_repairs_folders_and_rows_that_disagree(
        cli: Cli, lite: Settings) -> None:
    with closing(open_services(lite)) as svc:
        kept = svc.manager.create("minimal")
        queued = svc.manager.create("minimal")
        finished = svc.manager.create("minimal")
        svc.manager.cancel(finished.id)
        deleting = svc.manager.create("minimal")
    runs = lite.runs_dir
    orphan = runs / "0123456789ab"
    (orphan / "logs").mkdir(parents=True)
    (runs / ".sweeps" / "ba9876543210").mkdir(parents=True)
    theirs = runs / "fedcba987654"  # another user's folder (say, a shared runs dir)
    theirs.mkdir()
    os.chown(theirs, 54321, 54321)

    shutil.rmtree(Path(queued.run_dir))
    shutil.rmtree(Path(finished.run_dir))
    os.rename(deleting.run_dir, runs / f".{deleting.id}.deleting")  # a killed `rm`

    check = cli(lite, "db", "check")
    assert check.returncode == 1
    lines = check.stderr.splitlines()
    assert len(lines) == 3, check.stderr
    assert "2 folder(s) without a row in the store (e.g. 0123456789ab, ba9876543210)" in lines[0]
    assert "1 run folder(s) left renamed aside" in lines[1] and deleting.id in lines[1]
    assert "2 run(s) whose folder is gone" in lines[2]
    assert "1 finished" in lines[2] and "1 queued" in lines[2]

    repaired = cli(lite, "db", "check", "--repair")
    said = repaired.stdout.splitlines()
    assert f"removing {orphan} (no row in the store)" in said
    assert f"removing {runs / '.sweeps' / 'ba9876543210'} (no row in the store)" in said
    assert any(line.startswith(f"put {runs / ('.' + deleting.id + '.deleting')} back")
               for line in said)
    assert f"marked queued run {queued.id} FAILED: its run folder is missing" in said
    assert not orphan.exists() and theirs.is_dir() and Path(deleting.run_dir).is_dir()
    # What is left is the finished run's row, which only its owner's `rm` deletes.
    assert repaired.returncode == 1
    assert "2 finished" in repaired.stderr and "rm ID" in repaired.stderr
    with closing(open_services(lite)) as svc:
        assert svc.manager.get(queued.id).run_status == RunStatus.FAILED
        assert svc.manager.get(kept.id).run_status == RunStatus.PENDING
    assert cli(lite, "rm", queued.id, finished.id).returncode == 0
    assert cli(lite, "db", "check").returncode == 0


def test_db_check_repair_is_only_for_check(cli: Cli, lite: Settings) -> None:
    bad = cli(lite, "db", "upgrade", "--repair")
    assert bad.returncode == 2
    assert bad.stderr == "fusion-tui: --repair is for `db check`, not `db upgrade`\n"


def _json(cli: Cli, settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_retry_recreates_the_points_that_clean_deleted(
        cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    fail_file = tmp_path / "fail-seed"
    fail_file.write_text("2\n")
    settings = make_settings(tmp_path, sqlite_url, simulator_command=flaky_command(fail_file))
    with closing(open_services(settings)) as svc:
        svc.store.set_queue(max_concurrent=3)
    made = _json(cli, settings, "sweep", "new", "-t", "minimal", "--seeds", "1-3")
    first = poll_until(lambda: _json(cli, settings, "sweep", "show", made["id"]),
                       lambda d: d["finished"] == d["total"], timeout=120, interval=0.5)
    assert first["counts"] == {"COMPLETED": 2, "FAILED": 1}
    cleaned = cli(settings, "clean", "--status", "COMPLETED", "--yes")
    assert cleaned.returncode == 0 and "deleted 2 run(s)" in cleaned.stdout
    fail_file.unlink()
    retried = cli(settings, "sweep", "retry", made["id"])
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == (f"sweep {made['id']}: 3 point(s) re-created: 1 failed or "
                              "stopped and retried, 2 deleted and re-created\n")
    second = poll_until(lambda: _json(cli, settings, "sweep", "show", made["id"]),
                        lambda d: d["finished"] == d["total"] == 3, timeout=120, interval=0.5)
    assert second["counts"] == {"COMPLETED": 3}
    assert sorted(r["point"]["builtin_settings.seed"] for r in second["runs"]) == \
        ["1", "2", "3"]
    again = cli(settings, "sweep", "retry", made["id"], "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout) == {"id": made["id"], "new_runs": [], "retried": [],
                                        "recreated": []}
