"""Small polling helpers for tests that watch real processes."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psutil

from fusion_tui.cli import main

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from fusion_tui.base.settings import Settings

T = TypeVar("T")
TESTS = Path(__file__).resolve().parent


# How long a condition may take before a test fails: generous, since it only matters when
# something is wrong, and a loaded CI machine (four workers on two cores, each case
# starting supervisors, recorders and simulators) is slow at what takes a second here.
DEADLINE = 60.0


def eventually(check: Callable[[], T], timeout: float = DEADLINE, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)
        value = check()
    return value


def poll_until(fetch: Callable[[], T], accept: Callable[[T], object],
               timeout: float = DEADLINE, interval: float = 0.05) -> T:
    """Fetch repeatedly until `accept` holds for the value; return that value."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)
        value = fetch()
    return value


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def worker_pids(run_dir: str) -> list[int]:
    path = Path(run_dir) / "output" / "pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):  # not there yet, or half-written
        return []
    return pids if isinstance(pids, list) else []


def migrate_to(conn: Any, revision: str, *, down: bool = False) -> None:
    """Move the database behind `conn` to Alembic `revision` (up, or `down`): where a
    migration test puts its data before the migration under test."""
    from alembic import command
    from alembic.config import Config

    from fusion_tui.store.migrate import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(cfg, revision)


def flaky_command(fail_file: Path) -> str:
    """The simulator command of `tests/flaky_sim.py`, failing the seeds listed in
    `fail_file`."""
    return (f"{{python}} {TESTS / 'flaky_sim.py'} --fail_file {fail_file} "
            "--config_path {config_path} --run_id {run_id} "
            "--progress_file {progress_file} --output_dir {output_dir}")


class Cli:
    """The `fusion-tui` command as a user runs it: a child process of this checkout's
    Python, with our environment plus a test's settings. Tests run the CLI only through
    this (the `cli` fixture), so how the command starts is said once."""

    argv: tuple[str, ...] = (sys.executable, "-m", "fusion_tui")

    def env(self, settings: Settings | None = None, **extra: str) -> dict[str, str]:
        """The environment that gives a child process these settings (and `extra`)."""
        return {**os.environ, **(settings.to_env() if settings else {}), **extra}

    def __call__(self, settings: Settings | None, *args: str,
                 **env: str) -> subprocess.CompletedProcess[str]:
        """`fusion-tui ARGS` to its end with `settings` (and the variables `env`)."""
        return self.run(*args, env=self.env(settings, **env))

    def run(self, *args: str, env: Mapping[str, str], timeout: float = 60,
            **options: Any) -> subprocess.CompletedProcess[str]:
        """`fusion-tui ARGS` to its end in exactly `env`; output captured unless `options`
        (subprocess.run's) send it elsewhere."""
        if not {"stdout", "stderr"} & options.keys():
            options["capture_output"] = True
        return subprocess.run([*self.argv, *args], env=dict(env), text=True, timeout=timeout,
                              **options)

    def popen(self, *args: str, env: Mapping[str, str],
              **options: Any) -> subprocess.Popen[str]:
        """`fusion-tui ARGS` started in `env`, not waited for."""
        return subprocess.Popen([*self.argv, *args], env=dict(env), text=True, **options)

    def inline(self, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
        """`fusion-tui ARGS` through its entry point in this process (no start-up: for
        many quick cases), with `settings` in the environment while it runs."""
        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        os.environ.update(settings.to_env())
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return subprocess.CompletedProcess([*self.argv, *args], code, out.getvalue(),
                                           err.getvalue())

    def json(self, settings: Settings, *args: str) -> Any:
        """The parsed `--json` answer of a command that must succeed."""
        done = self(settings, *args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted on `folder` (root only) for full-disk and read-only drills."""
    folder.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


async def until(pilot: Pilot[Any], check: Callable[[], object], timeout: float = 20.0) -> None:
    """Let the app run until `check` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def working(app: App[Any], group: str) -> bool:
    """Whether a worker of `group` is still at it (to wait for one that must change
    nothing)."""
    return any(w.group == group and not w.is_finished for w in app.workers)


async def open_new_run(pilot: Pilot[Any], template: str | None = None) -> Any:
    """Press `n`, wait for the form with its default template, pick `template`; the form."""
    from textual.widgets import Select

    from fusion_tui.tui.screens.new_run import NewRunScreen

    app = pilot.app
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewRunScreen))
    screen = app.screen
    assert isinstance(screen, NewRunScreen)
    await until(pilot, lambda: screen.template_shown == "minimal")
    if template is not None:
        screen.query_one("#template", Select).value = template
        await until(pilot, lambda: screen.template_shown == template)
    return screen


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def screen_text(app: Any) -> str:
    """The visible text of an app's screen, from its SVG export (one piece per line)."""
    svg = app.export_screenshot()
    return "\n".join(html.unescape(t).replace("\xa0", " ")
                     for t in re.findall(r">([^<]*)</text>", svg))
