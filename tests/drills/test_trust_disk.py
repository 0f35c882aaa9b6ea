"""Fault drill: the disk fills up under a running run (a small tmpfs, root only).

The store, the run folders and the logs all live on the full disk. No write failure of
ours may end the supervisor: it keeps the outcome and records it once space returns; the
CLI says "disk full" in one line and leaves nothing half-made.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, eventually, poll_until, tmpfs

from fusion_tui.base import procs
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.services import open_services
from fusion_tui.store.status import RunStatus

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        yield disk


def _fill(disk: Path) -> Path:
    """Write until the disk is full; returns the filler file (delete it to free space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:  # unbuffered: close() has nothing to flush
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with contextlib.suppress(OSError), open(disk / "filler2", "wb", buffering=0) as fh:
        while True:  # the last few bytes, one at a time
            fh.write(b"\0")
            fh.flush()
    return filler


def test_a_full_disk_delays_the_outcome_and_never_loses_it(cli: Cli, small_disk: Path) -> None:
    settings = make_settings(small_disk, f"sqlite:///{small_disk / 'store.db'}")
    svc = open_services(settings)
    try:
        run = svc.manager.create("fake", overrides=["fake.behaviour=silent", "fake.sleep=2"])
        original = poll_until(lambda: svc.store.get(run.id),
                              lambda r: r is not None and r.supervisor_pid is not None)
        assert original is not None and original.supervisor_pid is not None
        supervisor = (original.supervisor_pid, original.supervisor_started)
        _fill(small_disk)

        result = cli(settings, "new", "-t", "fake")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "disk full" in result.stderr, result.stderr
        assert [p.name for p in settings.runs_dir.iterdir() if not p.name.startswith(".")] \
            == [run.id]
        assert svc.store.count_runs() == 1

        eventually(lambda: not procs.run_processes(run.id), timeout=30)
        assert svc.store.get(run.id).status == RunStatus.RUNNING  # type: ignore[union-attr]
        assert procs.is_same_process(*supervisor), "the supervisor died of the full disk"
        for name in ("filler", "filler2"):
            (small_disk / name).unlink()

        done = poll_until(lambda: svc.store.get(run.id),
                          lambda r: r is not None and r.status != RunStatus.RUNNING, timeout=90)
        assert done is not None
        # `silent` writes nothing, results included: exit 0 without them is no success
        # (the outcome the supervisor decided is what counts here).
        assert (done.status, done.exit_code) == (RunStatus.FAILED, 0)
        assert "exited 0 but no results for loads" in (done.error_message or "")
        assert (done.supervisor_pid, done.supervisor_started) == supervisor, \
            "the outcome was recorded by a stand-in, not by the supervisor that kept it"
        assert "recovered" not in [e.kind for e in svc.store.events(run.id)]
        # With space back, the waiter gets its exit status onto disk and ends too.
        paths = RunPaths(settings.runs_dir / run.id)

        def waiter_gone() -> bool:
            identity = read_json(paths.process)
            return identity is not None and paths.exit.is_file() and not \
                procs.is_same_process(identity["waiter_pid"], identity["waiter_started"])

        eventually(waiter_gone, timeout=90)
    finally:
        svc.close()


async def test_the_app_says_disk_full_in_one_line(small_disk: Path) -> None:
    import time as _time

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.new_run import NewRunScreen

    settings = make_settings(small_disk, f"sqlite:///{small_disk / 'store.db'}")
    svc = open_services(settings)
    app = create_app(svc, watch_notifications=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("n")
            deadline = _time.monotonic() + 20
            while not isinstance(app.screen, NewRunScreen):
                assert _time.monotonic() < deadline
                await pilot.pause(0.05)
            screen = app.screen
            while getattr(screen, "template_shown", None) != "minimal":
                assert _time.monotonic() < deadline
                await pilot.pause(0.05)
            _fill(small_disk)
            await pilot.press("ctrl+s")
            error = screen.query_one("#form-error")
            while "disk full" not in str(error.render()):
                assert _time.monotonic() < deadline, str(error.render())
                await pilot.pause(0.05)
            assert "\n" not in str(error.render()).strip()
            assert isinstance(app.screen, NewRunScreen) and app.is_running
        assert svc.store.count_runs() == 0
    finally:
        svc.close()
