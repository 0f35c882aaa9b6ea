"""SVG snapshots of every screen at 80x24 and 120x40, on deterministic fixture data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import until, working
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from tui_fixtures import build, build_sweep, fixed_now

from fusion_tui.services import Services
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.artifacts import ArtifactsScreen
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.log import LogScreen
from fusion_tui.tui.screens.new_run import NewRunScreen
from fusion_tui.tui.screens.runs import RunsScreen
from fusion_tui.tui.screens.sweep import SweepScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.comparison.pickers import GroupingPicker
from fusion_tui.tui.widgets.confirm import ConfirmScreen
from fusion_tui.tui.widgets.runs.column_picker import ColumnPicker
from fusion_tui.tui.widgets.runs.table import PAGE, RunsTable

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times show in the local zone; pictures are taken in UTC wherever the tests run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def home() -> Path:
    """The test's own HOME (conftest gives each test one): paths under it show as `~/...`,
    so the pictures are the same wherever the test runs, and tests run side by side."""
    return Path.home()


@pytest.fixture
def services() -> Iterator[Services]:
    svc = build(home())
    yield svc
    svc.close()


def app_for(svc: Services) -> FusionApp:
    return create_app(svc, now=fixed_now, watch_notifications=False)


def _comparison_shown(screen: object) -> bool:
    """The comparison on screen is the one for the metric and grouping asked (however
    slow CI is)."""
    return isinstance(screen, ComparisonScreen) and screen.comparison is not None and \
        screen.shown == screen.asked


def ready(app: App[Any]) -> bool:
    """The screen on top shows what its workers went to read."""
    screen = app.screen
    if isinstance(screen, RunsScreen):
        table = screen.table
        running = {i for i, row in table.rows_data.items() if row.status == "RUNNING"}
        return isinstance(app, SessionApp) and app.connected and screen.queue is not None and \
            table.window_entries == min(table.total, PAGE) and running <= screen.tailed and \
            screen.results_read and screen.shown_view == (screen.grouped,
                                                          frozenset(screen.expanded))
    if isinstance(screen, NewRunScreen):
        return screen.template_shown is not None and not working(app, "check")
    if isinstance(screen, DetailScreen):
        return screen.run is not None and screen.snapshot is not None
    if isinstance(screen, LogScreen):
        view = screen.view
        return view is not None and view.indexed and not working(app, "search")
    if isinstance(screen, ArtifactsScreen):
        return screen.run_dir is not None and not working(app, "preview")
    if isinstance(screen, SweepsScreen):
        return screen.current_id is not None
    if isinstance(screen, SweepScreen):
        return screen.matrix is not None
    if isinstance(screen, ComparisonScreen):
        return _comparison_shown(screen)
    return isinstance(screen, ConfirmScreen | ColumnPicker | GroupingPicker)


async def settle(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: ready(pilot.app), timeout=30)
    # A blinking text cursor is on or off depending on when the picture is taken.
    for editor in pilot.app.screen.query("Input, TextArea"):
        if isinstance(editor, Input | TextArea):
            editor.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _on_row(table: RunsTable, run_id: str) -> Callable[[], bool]:
    return lambda: table.current_id == run_id


def keys(*presses: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in presses:
            if key.startswith("goto:"):
                table, run_id = pilot.app.screen.query_one(RunsTable), key[5:]
                table.move_cursor(row=table.get_row_index(run_id))
                await until(pilot, _on_row(table, run_id))
            elif key == "ready":  # the screen shows what it went to read
                await settle(pilot)
            elif key.startswith("type:"):
                for ch in key[5:]:
                    await pilot.press(ch)
            else:
                await pilot.press(key)
        await settle(pilot)

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_list_every_status(snap_compare: Any, services: Services,
                                size: tuple[int, int]) -> None:
    assert snap_compare(app_for(services), terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_state(snap_compare: Any, size: tuple[int, int]) -> None:
    svc = build(home(), empty=True)
    try:
        assert snap_compare(app_for(svc), terminal_size=size, run_before=keys())
    finally:
        svc.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_run_form_with_validation_error(snap_compare: Any, services: Services,
                                            size: tuple[int, int]) -> None:
    steps = keys("n", "ready", "tab", "tab", "tab", "tab", "backspace", "backspace", "backspace",
                 "type:-5")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail_of_completed_run_with_chart(snap_compare: Any, services: Services,
                                            size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000a1", "enter")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail_of_failed_run(snap_compare: Any, services: Services,
                              size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000c3", "enter")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_with_search_hits(snap_compare: Any, services: Services,
                              size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000c3", "l", "ready", "slash", "type:memory", "enter")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_artifacts_with_json_preview(snap_compare: Any, services: Services,
                                     size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000a1", "a", "ready", "down")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cancel_confirmation(snap_compare: Any, services: Services,
                             size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000b2", "c")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_column_picker(snap_compare: Any, services: Services, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(services), terminal_size=size, run_before=keys("C", "down",
                                                                               "space"))


@pytest.fixture
def sweep_services() -> Iterator[Services]:
    svc = build_sweep(home() / "sweep")
    yield svc
    svc.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweeps_list(snap_compare: Any, sweep_services: Services,
                     size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size, run_before=keys("w"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_list_of_a_sweep(snap_compare: Any, sweep_services: Services,
                              size: tuple[int, int]) -> None:
    """Each run by its point and its sweep's name, with its result."""
    assert snap_compare(app_for(sweep_services), terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_list_grouped_by_sweep(snap_compare: Any, sweep_services: Services,
                                    size: tuple[int, int]) -> None:
    """The sweep as one row, opened into its runs."""
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("g", "ready", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep_matrix(snap_compare: Any, sweep_services: Services,
                      size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "ready", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_comparison_chart(snap_compare: Any, sweep_services: Services,
                          size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "ready", "enter", "ready", "m", "ready"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_comparison_numbers_by_one_key(snap_compare: Any, sweep_services: Services,
                                       size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "ready", "m", "ready", "g", "ready", "down",
                                        "space", "escape", "ready", "ready", "t"))
