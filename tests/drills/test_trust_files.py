"""Fault drills: files a simulator or user can create are named pipes or links to devices.
Nothing may block on them or read them without end."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, eventually, poll_until, rss_mb

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus


@pytest.fixture
def svc(tmp_path: Path, sqlite_url: str,
        services_with: Callable[[Settings], Services]) -> Services:
    return services_with(make_settings(tmp_path, sqlite_url))


@pytest.mark.parametrize("kind", ["named pipe", "link to /dev/zero"])
def test_a_special_progress_file_neither_hangs_nor_exhausts_the_supervisor(
        cli: Cli, svc: Services, kind: str) -> None:
    run = svc.manager.create("fake", overrides=["fake.behaviour=no_progress",
                                                "general_settings.max_iters=400",
                                                "fake.sleep=0.02"])
    paths = RunPaths(Path(run.run_dir))
    paths.progress.unlink(missing_ok=True)
    if kind == "named pipe":
        os.mkfifo(paths.progress)
    else:
        paths.progress.symlink_to("/dev/zero")
    # its supervisor is known once it has reported (its first report says who it is)
    started = poll_until(lambda: svc.store.get(run.id),
                         lambda r: r is not None and r.supervisor_pid is not None, timeout=30)
    assert started is not None and started.supervisor_pid is not None
    # It still follows the log (so it is not stuck on the special file) ...
    eventually(lambda: (svc.store.get(run.id).current_iteration or 0) > 0, timeout=30)  # type: ignore[union-attr]
    assert rss_mb(started.supervisor_pid) < 60
    # ... and a cancel still works.
    svc.manager.cancel(run.id)
    done = svc.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.CANCELLED
    for command in (["show", run.id], ["logs", run.id]):
        assert cli(svc.settings, *command).returncode == 0


def test_a_named_pipe_as_the_log_does_not_hang_logs(cli: Cli, svc: Services) -> None:
    run = svc.manager.create("fake", overrides=["fake.behaviour=silent", "fake.sleep=0"])
    svc.manager.wait(run.id, timeout=30)
    paths = RunPaths(Path(run.run_dir))
    paths.log.unlink()
    os.mkfifo(paths.log)
    for follow in ([], ["--follow"]):
        result = cli(svc.settings, "logs", run.id, *follow)
        assert result.returncode == 0 and result.stdout == ""


def test_a_named_pipe_in_the_templates_folder(cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    settings.user_templates_dir.mkdir(parents=True)
    os.mkfifo(settings.user_templates_dir / "pipe.ini")
    (settings.user_templates_dir / "zero.ini").symlink_to("/dev/zero")
    listing = cli(settings, "templates")
    assert listing.returncode == 0
    assert "pipe" in listing.stdout and "(cannot be read)" in listing.stdout
    for name in ("pipe", "zero"):
        result = cli(settings, "new", "-t", name)
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert "not a regular file" in result.stderr


@pytest.mark.parametrize("network", ["/dev/zero", "{fifo}"])
def test_a_special_topology_file_is_refused_before_anything_exists(
        cli: Cli, tmp_path: Path, sqlite_url: str, network: str) -> None:
    from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND

    fifo = tmp_path / "topology.txt"
    os.mkfifo(fifo)
    settings = make_settings(tmp_path, sqlite_url, simulator_command=DEFAULT_BUILTIN_COMMAND)
    result = cli(settings, "new", "-t", "minimal",
                  "--set", f"topology_settings.network={network.format(fifo=fifo)}")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "[topology_settings] network" in result.stderr
    assert not settings.runs_dir.exists() or \
        [p for p in settings.runs_dir.iterdir() if not p.name.startswith(".")] == []
