"""Hostile text everywhere text comes from outside the code: run names, template names and
descriptions, config values, log lines, file names, error messages quoting them, toasts.
Every CLI command and every screen shows it as data: no escape sequence reaches the
terminal, no markup is interpreted."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, until

from fusion_tui.base.rundir import RunPaths
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus

OSC52 = "\x1b]52;c;aGFja2Vk\x07"
MARKUP = "[red]x[@click=app.quit]q[/red]"
MARKUP_FILE = "[red]x[@click=app.quit]q"  # no '/' in a file name
HOSTILE = f"{OSC52}{MARKUP}\x1b[31mred\x07bell\x9b2J"
TERMINAL_CONTROL = ("\x1b", "\x07", "\x9b")

TEMPLATE = """[fusion_tui]
simulator = builtin
description = {text}

[general_settings]
erlang_start = 100
erlang_stop = 200
erlang_step = 100
max_iters = 1
num_requests = 10
holding_time = 1.0
request_distribution = {{"100": 1.0}}
guard_slots = 1
allocation_method = first_fit
thread_num = {text}

[topology_settings]
network = NSFNet
cores_per_link = 1

[routing_settings]
k_paths = 1

[spectrum_settings]
c_band = 64

[fake]
behaviour = fail
"""


@pytest.fixture
def hostile(tmp_path: Path, sqlite_url: str) -> tuple[Services, str, str]:
    """A store with a failed run whose name, template, config, log, error and files are
    all hostile; returns it, the run id and the hostile template's name."""
    settings = make_settings(tmp_path, sqlite_url)
    settings.user_templates_dir.mkdir(parents=True)
    (settings.user_templates_dir / f"{OSC52}evil.ini").write_text(TEMPLATE.format(text=HOSTILE))
    (settings.user_templates_dir / f"{MARKUP_FILE}.ini").write_text(TEMPLATE.format(text=HOSTILE))
    (settings.user_templates_dir / "hostile.ini").write_text(TEMPLATE.format(text=HOSTILE))
    svc = open_services(settings)
    run = svc.manager.create("fake", name=MARKUP, overrides=[
        "fake.behaviour=fail", f"general_settings.thread_num={HOSTILE}"])
    done = svc.manager.wait(run.id, timeout=30)
    assert done.status == RunStatus.FAILED
    paths = RunPaths(Path(run.run_dir))
    with open(paths.log, "a") as log:
        log.write(f"ERROR - Simulation error: {HOSTILE}\n")
    (paths.output / f"{OSC52}{MARKUP_FILE}.json").write_text('{"a": "' + MARKUP + '"}')
    failing = svc.manager.create("fake", name=f"fails {MARKUP}", overrides=[
        "fake.behaviour=fail", "fake.sleep=0"])
    svc.manager.wait(failing.id, timeout=30)
    return svc, run.id, "hostile"


def test_every_cli_command_prints_hostile_text_as_data(
        cli: Cli, hostile: tuple[Services, str, str]) -> None:
    svc, run_id, template = hostile
    commands = [["templates"], ["runs"], ["show", run_id], ["stats"], ["parallel"],
                ["new", "-t", f"{OSC52}evil"], ["new", "-t", template, "-n", HOSTILE],
                ["new", "-t", "fake", "--set", f"x.{OSC52}=1"], ["show", HOSTILE],
                ["logs", run_id]]
    for command in commands:
        for json_flag in ([], ["--json"]):
            result = cli(svc.settings, *command, *json_flag)
            for stream in (result.stdout, result.stderr):
                assert not any(c in stream for c in TERMINAL_CONTROL), (command, stream)
    shown = cli(svc.settings, "templates").stdout
    assert MARKUP_FILE in shown and "evil" in shown
    assert MARKUP in cli(svc.settings, "runs").stdout
    svc.close()


async def test_every_screen_shows_hostile_text_as_data(
        hostile: tuple[Services, str, str]) -> None:
    from textual.command import CommandPalette
    from textual.widgets import Select

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.artifacts import ArtifactsScreen
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.log import LogScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen
    from fusion_tui.tui.widgets.runs.table import RunsTable

    svc, run_id, _template = hostile
    app = create_app(svc)
    seen: list[str] = []

    def screen_text() -> str:
        text = app.export_screenshot()
        seen.append(text)
        return text

    def check() -> None:
        text = screen_text()
        assert app.is_running
        assert not any(c in text for c in TERMINAL_CONTROL)

    try:
        async with app.run_test(size=(160, 50)) as pilot:
            table = app.screen.query_one(RunsTable)
            await until(pilot, lambda: run_id in table.rows_data)
            check()
            assert "x[@click=app.quit]q" in screen_text()
            table.move_cursor(row=table.get_row_index(run_id))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailScreen)
                        and app.screen.run is not None)
            check()
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, LogScreen)
                        and app.screen.view is not None and app.screen.view.indexed)
            check()
            await pilot.press("escape")
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ArtifactsScreen)
                        and app.screen.run_dir is not None)
            check()
            await pilot.press("escape", "escape")
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, NewRunScreen)
                        and app.screen.template_shown is not None)
            await pilot.click("#template")
            await until(pilot, lambda: app.screen.query_one("#template", Select).expanded)
            check()
            await pilot.press("escape", "escape")
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            check()
            await pilot.press("escape")
            app.say(f"toast {HOSTILE}")
            await until(pilot, lambda: any(n.message.startswith("toast")
                                           for n in app._notifications))
            check()
            assert app.is_running
    finally:
        svc.close()
    assert any("x[@click=app.quit]q" in text for text in seen)
