"""The run list's result columns, column choice, grouping by sweep and bulk selection,
with Pilot against real runs (the built-in simulator, the fake one as real processes)
and real settings files."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, screen_text, until
from test_tui_flows import table
from textual.widgets import Static

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.comparison.compare import compare, load_runs
from fusion_tui.services import Services, open_services
from fusion_tui.store.result_cache import CachedResult
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.runs import RunsScreen
from fusion_tui.tui.widgets.confirm import ConfirmScreen
from fusion_tui.tui.widgets.runs.column_picker import ColumnPicker
from fusion_tui.tui.widgets.runs.columns import COLUMNS


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    yield svc
    svc.close()


def runs_screen(app: FusionApp) -> RunsScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, RunsScreen)
    return screen


def shown(app: FusionApp) -> list[str]:
    return [c.key for c in runs_screen(app).table.columns]


def line_of(app: FusionApp, key: str) -> str:
    """The text of the row keyed `key` as drawn (all columns, not only those on screen)."""
    t = table(app)
    return "".join(s.text for s in t._row_strip(t.get_row_index(key)))


def header(app: FusionApp) -> str:
    return "".join(s.text for s in table(app)._header())


async def test_a_finished_builtin_run_shows_its_blocking_and_interval(
        tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, simulator_command=DEFAULT_BUILTIN_COMMAND)
    services = open_services(settings)
    try:
        run = services.manager.create("minimal", name="[b]minimal[/b] [red]")
        assert services.manager.wait(run.id, timeout=120).status == RunStatus.COMPLETED
        finished = services.store.get(run.id)
        assert finished is not None and finished.result_load is None  # nobody has looked
        # What `fusion-tui compare` says of this run alone, at its last load (600).
        point = compare(load_runs([finished])).groups[0].points[-1]
        app = create_app(services, watch_notifications=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: (row := table(app).rows_data.get(run.id)) is not None
                        and row.result is not None, timeout=30)
            row = table(app).rows_data[run.id]
            assert row.result == CachedResult(600.0, point.summary.mean, point.summary.low,
                                              point.summary.high)
            assert point.summary.low is not None and point.summary.high is not None
            mean = value_text(point.summary.mean, point.summary.low, point.summary.high)
            interval = interval_text(point.summary.low, point.summary.high)
            line = line_of(app, run.id)
            assert f" {mean} " in line and f" {interval} " in line
            assert "[b]minimal[/b] [red]" in line
        stored = services.store.get(run.id)
        assert stored is not None and (stored.result_load, stored.result_blocking) == \
            (600.0, point.summary.mean)
    finally:
        services.close()


def _config_file(tmp_path: Path, text: str) -> Path:
    """The settings file `make_settings` reads (HOME is tmp_path)."""
    path = tmp_path / ".config" / "fusion-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def test_columns_come_from_the_settings_file_and_the_picker(
        tmp_path: Path, sqlite_url: str) -> None:
    _config_file(tmp_path, '# mine\n[columns]\nshown = ["blocking", "id", "status"]\n')
    services = open_services(make_settings(tmp_path, sqlite_url))
    try:
        run = services.manager.create("fake")
        services.manager.wait(run.id, timeout=30)
        app = create_app(services, watch_notifications=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: run.id in table(app).rows_data)
            assert shown(app) == ["blocking", "id", "status"]
            assert header(app).split() == ["Blocking", "ID", "Status"]
            await pilot.click("#runs", offset=(4, 0))  # a click on a title sorts by it
            await until(pilot, lambda: runs_screen(app).query_spec.order_by ==
                        "result_blocking")
            # the status line says so once the list is read again in that order
            await until(pilot, lambda: "sort: blocking ↓" in screen_text(app))
            await pilot.press("C")
            await until(pilot, lambda: isinstance(app.screen, ColumnPicker))
            picker = app.screen
            assert isinstance(picker, ColumnPicker)
            assert picker.order[:3] == ["blocking", "id", "status"]
            assert set(picker.order) == set(COLUMNS)
            await until(pilot, lambda: picker.listing.highlighted == 0)
            await pilot.press("space")  # hides Blocking: applied at once
            await until(pilot, lambda: shown(app) == ["id", "status"])
            # said in words, not only by the check box's colour (NO_COLOR)
            await until(pilot, lambda: "hidden Blocking" in " ".join(screen_text(app).split()))
            assert "shown ID" in " ".join(screen_text(app).split())
            await pilot.press("down", "down", "down", "space")  # shows Progress, after them
            await until(pilot, lambda: shown(app) == ["id", "status", "progress"])
            await pilot.press("shift+up", "shift+up")  # Progress moves up, twice
            await until(pilot, lambda: shown(app) == ["progress", "id", "status"])
            await pilot.press("right_square_bracket")  # and down again
            await until(pilot, lambda: shown(app) == ["id", "progress", "status"])
            setting = picker.query_one("#columns-setting", Static).content
            assert str(setting).endswith('[columns] shown = ["id", "progress", "status"]')
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, RunsScreen))
            assert header(app).split() == ["ID", "Progress", "Status"]
            assert "COMPLETED" in line_of(app, run.id)
            await pilot.press("C")  # kept for the session: the picker starts from it
            await until(pilot, lambda: isinstance(app.screen, ColumnPicker))
            assert app.screen.order[:3] == ["id", "progress", "status"]  # type: ignore[attr-defined]
    finally:
        services.close()


@pytest.mark.parametrize(("text", "message"), [
    ('[columns]\nshown = ["id", "blokking"]\n',
     "[columns] shown: no column 'blokking' (columns: id, status, progress, "),
    ('[columns]\nshown = ["id", "id"]\n', "[columns] shown: 'id' is listed twice"),
    ('[columns]\nshown = []\n', "[columns] shown: lists no column"),
])
async def test_a_column_that_does_not_exist_stops_the_app_in_one_line(
        cli: Cli, tmp_path: Path, sqlite_url: str, text: str, message: str) -> None:
    path = _config_file(tmp_path, text)
    settings = make_settings(tmp_path, sqlite_url)
    app = create_app(settings, watch_notifications=False)
    try:
        await asyncio.wait_for(app.run_async(headless=True, size=(80, 24)), timeout=30)
    finally:
        app.close_services()
    assert app.return_code == 2
    assert app.services_error is not None and "\n" not in app.services_error
    assert app.services_error.startswith(f"{path}: {message}"), app.services_error
    # `fusion-tui` says it before it wants a terminal
    out = cli(None, "--config", str(path))
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"fusion-tui: {path}: {message}")


def test_a_columns_value_of_the_wrong_kind_is_one_line(cli: Cli, tmp_path: Path) -> None:
    for text, message in (('[columns]\nshown = "id"\n', "[columns] shown: expected a list of "
                                                         "column names"),
                          ('[columns]\nhidden = ["id"]\n', "[columns] hidden: not a setting")):
        path = _config_file(tmp_path, text)
        out = cli(None, "--config", str(path), "runs")
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert out.stderr.startswith(f"fusion-tui: {path}: {message}"), out.stderr


async def test_a_sweep_is_one_row_that_opens_into_its_runs(services: Services) -> None:
    services.store.set_queue(max_concurrent=4)
    grid = Grid((parse_axis("routing_settings.k_paths=1,2"),
                 parse_axis("general_settings.allocation_method=first_fit,best_fit")))
    detail = services.sweeps.create("fake", grid, name="alloc [i]sweep[/i]")
    loose = services.manager.create("fake", name="loose")
    for run in [*detail.runs, loose]:
        services.manager.wait(run.id, timeout=60)
    key = f"sweep:{detail.sweep.id}"
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: table(app).row_count == 5)
        # Ungrouped, a sweep's run reads as its point, then its sweep's name.
        first = detail.runs[0]
        assert "k=1 ff  alloc [i]sweep[/i]" in line_of(app, first.id)
        await pilot.press("g")
        await until(pilot, lambda: table(app).row_count == 2 and key in table(app).rows_data)
        assert "entries 1-2 of 2 (by sweep)" in screen_text(app)
        # The fake simulator's last load (200) blocks 0.01 in every run.
        await until(pilot, lambda: table(app).rows_data[key].sweep.best == 0.01)  # type: ignore[union-attr]
        line = line_of(app, key)
        assert "▸ alloc [i]sweep[/i] (4 runs)" in line and "✔4" in line and "100%" in line
        table(app).move_cursor(row=table(app).get_row_index(key))
        await pilot.press("enter")
        await until(pilot, lambda: table(app).row_count == 6)
        children = [table(app).rows_data[r.id] for r in detail.runs]
        assert all(c.child for c in children)
        assert sorted(c.params or "" for c in children) == ["k=1 bf", "k=1 ff", "k=2 bf",
                                                             "k=2 ff"]
        assert "▾ alloc" in line_of(app, key)
        assert line_of(app, first.id).split("%", 1)[1].strip().startswith("k=1 ff")
        await pilot.press("enter")  # the cursor stayed on the sweep: closes it
        await until(pilot, lambda: table(app).row_count == 2)
        await pilot.press("m")  # the sweep's comparison
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen))
        assert app.screen.sweep_id == detail.sweep.id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("g")
        await until(pilot, lambda: table(app).row_count == 5)


async def test_select_the_filtered_runs_then_cancel_exactly_those(services: Services) -> None:
    services.store.set_queue(max_concurrent=1)
    done = services.manager.create("fake", name="done")
    services.manager.wait(done.id, timeout=30)
    holder = services.manager.create("fake", name="holder", overrides=["fake.behaviour=hang"])
    queued = [services.manager.create("fake", name=f"queued {i}") for i in range(3)]
    assert {services.store.get(r.id).status for r in queued} == {"PENDING"}  # type: ignore[union-attr]
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: table(app).row_count == 5)
        await pilot.press("1")  # pending only
        await until(pilot, lambda: set(table(app).rows_data) == {r.id for r in queued})
        await pilot.press("ctrl+a")
        await until(pilot, lambda: table(app).selected == {r.id for r in queued})
        assert "3 selected" in screen_text(app)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Cancel 3 run(s)?" in screen_text(app)
        await pilot.press("y")
        for run in queued:
            await until(pilot, lambda r=run: services.store.get(r.id).status  # type: ignore[union-attr, misc]
                        == RunStatus.CANCELLED, timeout=30)
        await until(pilot, lambda: not table(app).selected)
        assert services.store.get(holder.id).status == RunStatus.RUNNING  # type: ignore[union-attr]
        assert services.store.get(done.id).status == RunStatus.COMPLETED  # type: ignore[union-attr]
        # Every run selected: cancelling asks about the one still to finish only.
        await pilot.press("0")
        await until(pilot, lambda: table(app).row_count == 5)
        await pilot.press("ctrl+a")
        await until(pilot, lambda: len(table(app).selected) == 5)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert "Cancel 1 run(s)?" in text and holder.id in text
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("ctrl+a")  # again: every one unmarked
        await until(pilot, lambda: not table(app).selected)
        assert services.store.get(holder.id).status == RunStatus.RUNNING  # type: ignore[union-attr]


def test_settings_hold_the_columns(tmp_path: Path) -> None:
    path = _config_file(tmp_path, '[columns]\nshown = ["id", "blocking"]\n')
    settings = Settings.load(env={"HOME": str(tmp_path)}, config=str(path))
    assert settings.columns == ("id", "blocking")
    assert Settings.load(env={"HOME": str(tmp_path / "elsewhere")}).columns is None
