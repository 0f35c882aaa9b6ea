"""The sweeps, sweep and comparison screens driven by Pilot against a real sweep (the
fake simulator as real processes): live progress, the matrix, retry and cancel by key,
comparison switches and export, and a comparison of runs marked on the run list."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import open_new_run, screen_text, until

from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.sweep import SweepScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen
from fusion_tui.tui.widgets.comparison.pickers import GroupingPicker
from fusion_tui.tui.widgets.confirm import ConfirmScreen
from fusion_tui.tui.widgets.runs.table import RunsTable


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    svc.store.set_queue(max_concurrent=2)
    yield svc
    svc.close()


def _write_results(services: Services, sweep_id: str) -> None:
    """The fake simulator writes no summary: give each finished run one, as the built-in
    simulator would (different per k_paths, so the groups differ)."""
    for run in services.sweeps.store.runs(sweep_id):
        point = json.loads(run.point_json or "{}")
        base = 0.01 * int(point["routing_settings.k_paths"]) + 0.001 * int(
            point["builtin_settings.seed"])
        (Path(run.run_dir) / "output" / "summary.csv").write_text(
            "erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,iterations\n"
            f"100,{base},,,{base * 2},2\n200,{base * 3},,,{base * 5},2\n")


async def test_sweep_screens_follow_a_live_sweep(services: Services) -> None:
    grid = Grid((parse_axis("routing_settings.k_paths=1,2"), parse_axis("fake.sleep=0.05,0.1")),
                (1, 2))
    detail = services.sweeps.create("fake", grid, name="live [i]sweep[/i]")
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
        await until(pilot, lambda: "live [i]sweep[/i]" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        # Live: the matrix fills in as runs complete, without any key.
        await until(pilot, lambda: screen_text(app).count("✔ 2") == 4, timeout=60)
        assert "✔ 8" in screen_text(app)
        _write_results(services, detail.sweep.id)
        await until(pilot, lambda: "0.0645" in screen_text(app))  # k=2 cells: mean at 200
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen))
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        await until(pilot, lambda: screen.comparison is not None
                    and len(screen.comparison.groups) == 4)
        await pilot.press("g")  # the grouping picker: k_paths only
        await until(pilot, lambda: isinstance(app.screen, GroupingPicker))
        await pilot.press("down", "space", "escape")
        await until(pilot, lambda: screen.comparison is not None
                    and screen.comparison.keys == ["routing_settings.k_paths"])
        by_k = screen.comparison
        assert by_k is not None and [len(g.runs) for g in by_k.groups] == [4, 4]
        assert by_k.tests  # two groups: a test per load
        await pilot.press("b")
        await until(pilot, lambda: screen.comparison is not None
                    and screen.comparison.metric == "bit_rate_blocking")
        await pilot.press("t")
        await until(pilot, lambda: "p (Holm)" in screen_text(app))
        await pilot.press("e")
        exports = Path(services.settings.home) / "exports"
        await until(pilot, lambda: exports.is_dir() and any(exports.iterdir()))
        (path,) = exports.iterdir()
        assert path.read_text().count("\n") == 1 + 8 * 2 * 2
        umask = int(Path("/proc/self/status").read_text().split("Umask:")[1].split()[0], 8)
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not 0600
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))


async def test_retry_and_cancel_from_the_sweep_screen(services: Services) -> None:
    grid = Grid((parse_axis("fake.behaviour=ok,fail"),), ())
    detail = services.sweeps.create("fake", grid, overrides=["fake.sleep=0.05"])
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_sweep(detail.sweep.id)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await until(pilot, lambda: "✘ 1" in screen_text(app), timeout=60)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "1 point(s) would be re-created" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: len(services.sweeps.store.runs(detail.sweep.id,
                                                                   current=False)) == 3)
        await until(pilot, lambda: "replaced by retries" in screen_text(app), timeout=30)
    slow = services.sweeps.create("fake", Grid((), (1, 2, 3)), overrides=["fake.sleep=30"])
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_sweep(slow.sweep.id)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: all(
            r.status == RunStatus.CANCELLED for r in services.sweeps.store.runs(slow.sweep.id)),
            timeout=30)


async def test_compare_runs_marked_on_the_run_list(services: Services) -> None:
    a = services.manager.create("fake", overrides=["routing_settings.k_paths=1"])
    b = services.manager.create("fake", overrides=["routing_settings.k_paths=2"])
    for run in (a, b):
        services.manager.wait(run.id, timeout=60)
        (Path(run.run_dir) / "output" / "summary.csv").write_text(
            "erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,iterations\n"
            f"100,{0.01 if run is a else 0.02},,,0.03,2\n")
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.screen.query_one(RunsTable).rows_data) == 2)
        await pilot.press("space")
        await pilot.press("down")
        await pilot.press("space")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen))
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        await until(pilot, lambda: screen.comparison is not None)
        assert screen.comparison is not None
        assert screen.comparison.keys == ["routing_settings.k_paths"]
        assert sorted(g.label for g in screen.comparison.groups) == ["k_paths=1", "k_paths=2"]
        assert "2 marked runs" in screen_text(app)


async def test_the_new_run_form_builds_a_sweep(services: Services) -> None:
    app = create_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        form = await open_new_run(pilot, "fake")
        form.query_one("#general_settings--max_iters").value = "3"
        form.query_one("#sweep-grid").value = "routing_settings.k_paths=1,0"
        form.query_one("#sweep-seeds").value = "1-2"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "grid point k_paths=0" in screen_text(app))
        assert services.sweeps.listing() == [] and services.store.list_runs() == []
        form.query_one("#sweep-grid").value = "routing_settings.k_paths=1,2"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        (row,) = services.sweeps.listing()
        assert row.total == 4
        assert json.loads(row.sweep.overrides_json) == ["general_settings.max_iters=3"]
        assert json.loads(row.sweep.seeds_json or "null") == [1, 2]
        runs = services.sweeps.store.runs(row.sweep.id)
        assert {json.loads(r.config_json)["general_settings"]["max_iters"] for r in runs} == \
            {"3"}


async def test_a_retry_with_nothing_to_retry_is_said_not_asked(services: Services) -> None:
    detail = services.sweeps.create("fake", Grid((parse_axis("fake.sleep=0,0.01"),), ()))
    for run in detail.runs:
        services.manager.wait(run.id, timeout=60)
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_sweep(detail.sweep.id)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("t")
        await until(pilot, lambda: any("nothing to retry" in str(n.message)
                                       for n in app._notifications))
        assert not isinstance(app.screen, ConfirmScreen)


async def test_home_and_end_move_the_cursor_on_the_sweeps_list(services: Services) -> None:
    from textual.widgets import DataTable

    from fusion_tui.tui.screens.sweeps import SweepsScreen

    services.store.set_queue(paused=True)
    for _ in range(3):
        services.sweeps.create("fake", Grid((parse_axis("fake.sleep=0,0.01"),), ()))
    app = create_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        app.open_sweeps()
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen)
                    and bool(app.screen.query("#sweeps")))
        table = app.screen.query_one("#sweeps", DataTable)
        await until(pilot, lambda: table.row_count == 3)
        await pilot.press("end")
        await until(pilot, lambda: table.cursor_row == 2)
        await pilot.press("home")
        await until(pilot, lambda: table.cursor_row == 0)


async def test_the_matrix_cursor_starts_on_a_point_that_enter_opens(tmp_path: Path) -> None:
    from tui_fixtures import SWEEP_ID, build_sweep

    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.widgets.sweeps.matrix import SweepMatrix

    services = build_sweep(tmp_path)
    app = create_app(services, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_sweep(SWEEP_ID)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen)
                    and bool(app.screen.query(SweepMatrix))
                    and app.screen.query_one(SweepMatrix).current_cell() is not None)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
