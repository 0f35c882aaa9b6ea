"""Fault drills through the real `fusion-tui` command: a closed pipe, a simulator that
cannot be executed, a run folder that cannot be fully removed."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli

from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus


@pytest.fixture
def svc(tmp_path: Path, sqlite_url: str,
        services_with: Callable[[Settings], Services]) -> Services:
    return services_with(make_settings(tmp_path, sqlite_url))


@pytest.mark.parametrize("command", [["runs"], ["logs", "{id}"], ["show", "{id}"]])
def test_a_closed_pipe_ends_quietly(cli: Cli, svc: Services, command: list[str]) -> None:
    for _ in range(3):
        run = svc.manager.create("fake", overrides=["general_settings.max_iters=40",
                                                    "fake.sleep=0"])
        svc.manager.wait(run.id, timeout=60)
    args = [a.format(id=run.id) for a in command]
    pipeline = " ".join([*cli.argv, *args]) + " | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], env=cli.env(svc.settings),
                            capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1
    assert result.returncode in (0, 141)


def test_a_simulator_that_cannot_be_executed_is_one_line(
        cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    script = tmp_path / "sim.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    settings = make_settings(tmp_path, sqlite_url, simulator_command=f"{script} {{config_path}}")
    result = cli(settings, "new", "-t", "fake")
    assert result.returncode == 2
    assert result.stderr == (f"fusion-tui: FUSION_TUI_SIMULATOR_COMMAND: {str(script)!r} is "
                             "not an executable file\n")
    assert not any(p for p in settings.runs_dir.iterdir() if not p.name.startswith("."))


def test_an_interpreter_that_cannot_be_executed_fails_the_run_in_one_line(
        cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    """The command passes the checks but exec fails (its #! interpreter is not executable)."""
    interpreter = tmp_path / "interp"
    interpreter.write_text("")
    interpreter.chmod(0o644)
    script = tmp_path / "sim.sh"
    script.write_text(f"#!{interpreter}\n")
    script.chmod(0o755)
    settings = make_settings(tmp_path, sqlite_url, simulator_command=str(script))
    svc = open_services(settings)
    try:
        run = svc.manager.create("fake")
        done = svc.manager.wait(run.id, timeout=30)
        assert done.status == RunStatus.FAILED and done.exit_code is None
        assert done.error_message is not None and "\n" not in done.error_message
        assert done.error_message.startswith("cannot start simulator: ")
        shown = cli(settings, "show", run.id)
        assert "cannot start simulator" in shown.stdout
    finally:
        svc.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")
def test_delete_is_all_or_nothing(cli: Cli, svc: Services) -> None:
    run = svc.manager.create("fake")
    svc.manager.wait(run.id, timeout=30)
    root = Path(run.run_dir)
    inner = root / "output" / "mounted"
    inner.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(inner)], check=True)
    try:
        before = sorted(p.relative_to(root) for p in root.rglob("*"))
        result = cli(svc.settings, "rm", run.id)
        assert result.returncode == 2
        assert result.stderr == (f"fusion-tui: cannot delete run {run.id}: {inner} is a mount "
                                 "point; nothing was changed\n")
        assert svc.store.get(run.id) is not None
        assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    finally:
        subprocess.run(["umount", str(inner)], check=True)

    busy = root / "output" / "busy.txt"
    busy.write_text("x")
    source = root.parent.parent / "bind-source.txt"
    source.write_text("y")
    subprocess.run(["mount", "--bind", str(source), str(busy)], check=True)
    aside = root.with_name(f".{run.id}.deleting")
    try:
        result = cli(svc.settings, "rm", run.id)
        assert result.returncode == 2
        assert result.stderr == (
            f"fusion-tui: run {run.id} deleted, but {aside} could not be fully removed "
            f"({aside / 'output' / 'busy.txt'}: Device or resource busy); remove it by hand\n")
        assert result.stderr.count("\n") == 1
        assert svc.store.get(run.id) is None and not root.exists()
    finally:
        subprocess.run(["umount", str(aside / "output" / "busy.txt")], check=True)


def test_times_are_local_and_json_says_the_zone(cli: Cli, svc: Services) -> None:
    run = svc.manager.create("fake")
    svc.manager.wait(run.id, timeout=30)
    env = cli.env(svc.settings)

    def in_zone(tz: str, *args: str) -> str:
        return cli.run(*args, env={**env, "TZ": tz}, check=True).stdout

    stored = svc.store.get(run.id).created_at  # type: ignore[union-attr]
    utc_row = next(ln for ln in in_zone("UTC", "runs").splitlines() if run.id in ln)
    tokyo_row = next(ln for ln in in_zone("Asia/Tokyo", "runs").splitlines() if run.id in ln)
    assert stored.strftime("%Y-%m-%d %H:%M:%S") in utc_row
    later = (stored + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M:%S")
    assert later in tokyo_row
    assert "JST" in in_zone("Asia/Tokyo", "show", run.id)
    data = json.loads(in_zone("Asia/Tokyo", "show", run.id, "--json"))
    created = datetime.fromisoformat(data["created_at"])
    assert data["created_at"].endswith("+09:00")
    assert created.astimezone(UTC).replace(tzinfo=None) == stored
