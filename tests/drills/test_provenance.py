"""Provenance: every run records a hash of its frozen config, its seed, the simulator and
its version (the git commit of a FUSION checkout), host and executor; `fusion-tui diff`."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from conftest import make_settings
from fusion_checkout import make_checkout
from helpers import Cli, migrate_to

from fusion_tui.base.git import git_commit
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c",
                           "user.email=t@example.org", *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_git_commit_of_a_checkout_loose_packed_and_detached(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git_commit(repo) is None  # not a checkout
    _git(repo, "init", "-q")
    assert git_commit(repo) is None  # no commit yet
    (repo / "f").write_text("x")
    _git(repo, "add", "f")
    _git(repo, "commit", "-q", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")
    assert git_commit(repo) == head
    _git(repo, "pack-refs", "--all")
    assert not any((repo / ".git" / "refs" / "heads").iterdir())
    assert git_commit(repo) == head
    (repo / "f").write_text("y")
    _git(repo, "commit", "-q", "-am", "two")
    first = _git(repo, "rev-parse", "HEAD~1")
    _git(repo, "checkout", "-q", first)
    assert git_commit(repo) == first


def test_every_run_records_its_provenance(services: Services) -> None:
    run = services.manager.create("fake", overrides=["builtin_settings.seed=42"])
    ini = (Path(run.run_dir) / "config.ini").read_bytes()
    assert run.config_hash == hashlib.sha256(ini).hexdigest()
    assert run.seed == 42
    data = json.loads(run.provenance_json or "{}")
    assert data["simulator"] == "builtin" and data["executor"] == "local"
    assert data["host"] == services.manager.hostname and data["simulator_version"]
    services.manager.wait(run.id, timeout=60)


def test_a_fusion_run_records_the_checkouts_commit(tmp_path: Path, sqlite_url: str) -> None:
    home = make_checkout(tmp_path)
    _git(home, "init", "-q")
    _git(home, "add", "-A")
    _git(home, "commit", "-q", "-m", "fusion")
    settings = make_settings(tmp_path, sqlite_url, fusion_home=home)
    svc = open_services(settings)
    try:
        svc.store.set_queue(paused=True)  # recorded at creation; nothing needs to run
        run = svc.manager.create("fusion")
        data = json.loads(run.provenance_json or "{}")
        assert data["fusion_commit"] == _git(home, "rev-parse", "HEAD")
        assert run.seed is None
    finally:
        svc.close()


def test_diff_shows_the_keys_that_differ(cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(paused=True)
    a = services.manager.create("fake")
    b = services.manager.create("fake", overrides=["general_settings.max_iters=5",
                                                   "builtin_settings.seed=3"])
    c = services.manager.create("fake")
    out = cli(settings, "diff", a.id, b.id, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {(d["key"], d["a"], d["b"]) for d in data["differences"]} == {
        ("general_settings.max_iters", "2", "5"), ("builtin_settings.seed", None, "3")}
    assert data["same_config"] is False
    same = cli(settings, "diff", a.id[:6], c.id)
    assert same.returncode == 0 and "no config key differs" in same.stdout
    assert json.loads(cli(settings, "diff", a.id, c.id, "--json").stdout)["same_config"]
    bad = cli(settings, "diff", a.id, "ffffffffffff")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    # Long values on either side are written out whole: the difference is never cut off.
    long_a = '{"25": 0.1, "50": 0.1, "100": 0.5, "200": 0.2, "400": 0.1, "800": 0.0}'
    long_b = '{"25": 0.1, "50": 0.1, "100": 0.5, "200": 0.2, "400": 0.0, "800": 0.1}'
    d = services.manager.create("fake", overrides=[f"fake.go={long_a}"])
    e = services.manager.create("fake", overrides=[f"fake.go={long_b}"])
    done = cli(settings, "diff", d.id, e.id)
    assert done.returncode == 0, done.stderr
    text = done.stdout.splitlines()
    assert text[1:] == ["fake.go", f"  {d.id}: {long_a}", f"  {e.id}: {long_b}"], text
    short = cli(settings, "diff", a.id, b.id).stdout.splitlines()
    assert short[0].split() == ["key", a.id, b.id] and len(short) == 3


@pytest.mark.parametrize("revision", ["0003"])
def test_migration_0004_keeps_older_runs(db_url: str, revision: str) -> None:
    from sqlalchemy import text

    from fusion_tui.store.database import make_engine
    from fusion_tui.store.migrate import upgrade_database

    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate_to(conn, revision)
        conn.execute(text(
            "INSERT INTO runs (id, status, config_json, template, simulator, executor, "
            "run_dir, created_at, owner) VALUES ('cccccccccccc', 'FAILED', '{}', 't', "
            "'builtin', 'local', '/tmp/c', '2026-11-01 10:00:00', 'alice')"))
    assert upgrade_database(engine)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT status, owner, config_hash, seed, provenance_json "
                                "FROM runs")).one()
        assert tuple(row) == ("FAILED", "alice", None, None, None)
        migrate_to(conn, revision, down=True)
    engine.dispose()
