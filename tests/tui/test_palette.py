"""The command palette offers every action of the app from the key registry: the run
list's new run and sweeps from any screen (run there), runs by id, and no cursor moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import until
from textual.command import CommandList, CommandPalette
from tui_fixtures import SWEEP_ID, build_sweep, fixed_now

from fusion_tui.base.keymap import EVERYWHERE
from fusion_tui.services import Services
from fusion_tui.tui.app import create_app
from fusion_tui.tui.keys import ANYWHERE, CURSOR_MOVES, bindings, commands
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.new_run import NewRunScreen
from fusion_tui.tui.screens.runs import RunsScreen
from fusion_tui.tui.screens.schedules import SchedulesScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = build_sweep(tmp_path / "fixture")
    yield svc
    svc.close()


def offered(app: Any) -> list[str]:
    """The palette's entries as shown (its list of hits)."""
    commands_list = app.screen.query_one(CommandList)
    return [str(commands_list.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(commands_list.option_count)]


async def search(pilot: Any, text: str, expect: str) -> list[str]:
    """Open the palette, type `text`, wait for an entry containing `expect`."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*[c if c != " " else "space" for c in text])
    await until(pilot, lambda: any(expect in o for o in offered(app)))
    return offered(app)


def test_every_binding_is_a_command_on_its_screen_but_cursor_moves() -> None:
    ids = {b.id for _, b in bindings()}
    assert ids >= CURSOR_MOVES and ids >= ANYWHERE  # the lists name real bindings
    wheres = {where for where, _ in bindings()}
    offered_ids = {b.id for where in wheres for _, b in commands(where)}
    assert offered_ids == ids - CURSOR_MOVES
    for where in wheres:  # the app's and the run list's global ones everywhere
        on_screen = {b.id for _, b in commands(where)}
        assert on_screen >= ANYWHERE
        assert {b.id for w, b in bindings() if w == EVERYWHERE} <= on_screen


async def test_the_palette_finds_run_list_commands_on_the_comparison_screen(
        services: Services) -> None:
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.connected and isinstance(app.screen, RunsScreen))
        app.open_comparison(sweep_id=SWEEP_ID)
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen)
                    and app.screen.comparison is not None)

        shown = await search(pilot, "sweep", "Sweeps")
        assert "Sweeps (runs)" in shown
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))

        shown = await search(pilot, "new", "New")
        assert "New (runs)" in shown
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        assert [type(s) for s in app.screen_stack[-3:]] == \
            [ComparisonScreen, SweepsScreen, NewRunScreen]  # opened over where it was asked
        await until(pilot, lambda: getattr(app.screen, "template_shown", None) is not None)


async def test_the_palette_has_no_cursor_moves_and_keeps_each_screens_commands(
        services: Services) -> None:
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.connected and isinstance(app.screen, RunsScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not [t for t in titles if "Cursor" in t or t in ("Up", "Down", "First row")]
        assert len(titles) == len(set(titles))  # no Quit or Keys twice
        assert {"Cancel", "Delete", "Filter", "Quit", "Help", "Theme"} <= set(titles)
        await search(pilot, "cur", "No matches found")  # Textual's own entry for none
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))

        app.open_comparison(sweep_id=SWEEP_ID)
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen)
                    and app.screen.comparison is not None)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Metric", "Group by", "Export CSV", "New (runs)", "Sweeps (runs)",
                "Pause/resume queue (runs)", "Quit", "Help"} <= set(titles)
        assert "Cancel (runs)" not in titles  # needs a run under the run list's cursor
        app.open_sweeps()
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen)
                    and bool(app.screen.query("#sweeps")) and app.screen.current_id is not None)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Schedules" in titles and "Schedules (runs)" not in titles  # its own, once
        # The palette offers the run list's Sweeps and Schedules everywhere: asked again on
        # that screen, it stays one screen (the stack changes at once, no waiting needed).
        depth = len(app.screen_stack)
        app.open_sweeps()
        assert len(app.screen_stack) == depth
        app.open_schedules()
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen))
        app.open_schedules()
        assert len(app.screen_stack) == depth + 1
        await until(pilot, lambda: bool(app.screen.query("HeaderTitle")))  # mounted: may exit


async def test_the_palette_opens_a_run_by_the_start_of_its_id(services: Services) -> None:
    run_id = "5eeb00000005"
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.connected and isinstance(app.screen, RunsScreen))
        app.open_comparison(sweep_id=SWEEP_ID)
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen)
                    and app.screen.comparison is not None)
        shown = await search(pilot, "5eeb0000000", f"Open run {run_id}")
        assert any(f"Open sweep {SWEEP_ID}" in o for o in shown)
        index = next(i for i, o in enumerate(shown) if f"Open run {run_id}" in o)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.run_id == run_id
