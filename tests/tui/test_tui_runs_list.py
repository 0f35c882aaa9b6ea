"""The run list with Pilot: the start from settings (first frame from the SQLite file,
then the store), paging through more runs than a window holds, sorting by mouse, and
the key bar at narrow and wide sizes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from helpers import until, working
from test_tui_flows import table

from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.new_run import NewRunScreen
from fusion_tui.tui.screens.runs import RunsScreen
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.runs.table import PAGE


def _add_runs(svc: Services, count: int) -> list[str]:
    """`count` finished runs, newest first in the returned ids."""
    base = utcnow() - timedelta(days=2)
    ids = [f"{i:012x}" for i in range(count)]
    with svc.store.session(write=True) as s:
        for i, run_id in enumerate(ids):
            s.add(Run(id=run_id, name=f"run {count - i:04d}", status=RunStatus.COMPLETED.value,
                      config_json="{}", template="default", run_dir=f"/nonexistent/{i}",
                      created_at=base + timedelta(seconds=i), started_at=base,
                      completed_at=base + timedelta(seconds=i + 1)))
    return ids[::-1]


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite only: the first frame is read from a SQLite file (conftest's `settings`
    and `services` build on this)."""
    return sqlite_url


async def test_start_from_settings_shows_runs_then_opens_the_store(
        settings: Settings, services: Services) -> None:
    newest = _add_runs(services, PAGE + 50)
    services.close()
    app = create_app(settings, watch_notifications=False)
    assert app.connected is False
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: table(app).row_count > 0)
            assert table(app).current_id == newest[0]
            await until(pilot, lambda: app.connected and table(app).row_count == PAGE)
            assert table(app).total == PAGE + 50
            assert [table(app).get_row_index(r) for r in newest[:3]] == [0, 1, 2]
            await pilot.press("down", "enter")
            await until(pilot, lambda: isinstance(app.screen, DetailScreen))
            assert app.screen.run_id == newest[1]  # type: ignore[attr-defined]
    finally:
        app.close_services()


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@localhost/db", "database_url mysql://u@localhost/db: unsupported"),
    ("postgresql+pg8000://u:secret@localhost/db",
     "database_url postgresql+pg8000://u:***@localhost/db: its driver pg8000 is not"),
])
async def test_store_that_cannot_open_ends_the_app_with_one_line(
        settings: Settings, url: str, message: str) -> None:
    app = create_app(settings.with_overrides(database_url=url), watch_notifications=False)
    await asyncio.wait_for(app.run_async(headless=True, size=(80, 24)), timeout=30)
    assert app.return_code == 2
    assert app.services_error is not None
    assert app.services_error.startswith(message), app.services_error
    assert "\n" not in app.services_error and "secret" not in app.services_error


async def test_paging_through_more_runs_than_a_window(services: Services) -> None:
    newest = _add_runs(services, 2 * PAGE + 50)
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: table(app).row_count == PAGE)
        for _ in range(6):
            await pilot.press("end")
            await until(pilot, lambda: not working(app, "load"))  # the next window is in
        await until(pilot, lambda: table(app).current_id == newest[-1])
        assert table(app).window_offset + table(app).row_count == len(newest)
        for _ in range(6):
            await pilot.press("home", "up")
            await until(pilot, lambda: not working(app, "load"))
        await until(pilot, lambda: table(app).current_id == newest[0])
        assert table(app).window_offset == 0


async def test_clicks_sort_by_a_column_and_open_a_row(services: Services) -> None:
    newest = _add_runs(services, 30)
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: table(app).row_count == 30)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        name_x = 3 + 14 + 21 + 17 + 2  # inside the Name column's title
        await pilot.click("#runs", offset=(name_x, 0))
        await until(pilot, lambda: screen.query_spec.order_by == "name")
        # names count down as runs get newer: name order (descending) is oldest first
        await until(pilot, lambda: table(app).get_row_index(newest[-1]) == 0)
        await pilot.press("home")  # the cursor stayed on its run, now near the end
        await until(pilot, lambda: table(app).cursor_row == 0 and table(app).scroll_offset.y == 0)
        await pilot.click("#runs", offset=(20, 3))  # third row: moves the cursor
        assert table(app).current_id == newest[-3]
        await pilot.click("#runs", offset=(20, 3))  # again: opens it
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))


@pytest.mark.parametrize(("width", "cut"), [(80, True), (200, False)])
async def test_key_bar_keeps_quit_help_and_palette_when_narrow(
        services: Services, width: int, cut: bool) -> None:
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(width, 24)) as pilot:
        await until(pilot, lambda: app.connected)
        bar = app.screen.query_one(KeyBar)
        # the bar is drawn once the screen's bindings are known (later on a busy machine)
        await until(pilot, lambda: bar.size.width == width and bar.render().plain.rstrip()
                    .endswith("q Quit  ? Help  ^p palette"))
        line = bar.render().plain
        assert len(line) == width
        assert line.startswith(" n New  w Sweeps  l Log")
        assert ("…" in line) is cut and ("s Sort" in line) is not cut
        await pilot.click(KeyBar, offset=(2, 0))  # " n New": a click runs the key
        await until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        # the form is filled before the app closes: closing it while its template list
        # arrives could leave a Select half mounted (NoMatches '#label', once in 8 here)
        await until(pilot, lambda: getattr(app.screen, "template_shown", None) is not None)
