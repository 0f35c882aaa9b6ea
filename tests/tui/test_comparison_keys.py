"""The comparison screen's statistics keys, with Pilot: `g` opens the grouping picker (any
parameter that differs, check boxes, each change applied at once), `r` picks the baseline
(the table then shows each group's difference to it), `s` cycles the spread, `v` opens the
convergence of real built-in runs (FUSION's stop line, a row per group and load)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import screen_text, until
from tui_fixtures import SWEEP_ID, build_sweep, fixed_now

from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.convergence import ConvergenceScreen
from fusion_tui.tui.widgets.comparison.convergence import ConvergenceTable
from fusion_tui.tui.widgets.comparison.pickers import BaselinePicker, GroupingPicker
from fusion_tui.tui.widgets.comparison.tables import NumbersTable, TestsTable

K, ALLOC = "routing_settings.k_paths", "general_settings.allocation_method"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = build_sweep(tmp_path / "fixture")
    yield svc
    svc.close()


async def _comparison(pilot: object, app: FusionApp, sweep_id: str) -> ComparisonScreen:
    await until(pilot, lambda: app.connected)  # type: ignore[arg-type]
    app.open_comparison(sweep_id=sweep_id)
    await until(pilot, lambda: isinstance(app.screen, ComparisonScreen)  # type: ignore[arg-type]
                and app.screen.comparison is not None)
    screen = app.screen
    assert isinstance(screen, ComparisonScreen)
    return screen


def _settled(screen: ComparisonScreen) -> bool:
    return screen.comparison is not None and screen.shown == screen.asked


async def test_grouping_picker_baseline_and_spread(services: Services) -> None:
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _comparison(pilot, app, SWEEP_ID)
        assert screen.comparison is not None and screen.comparison.keys == [K, ALLOC]
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, GroupingPicker))
        picker = app.screen
        assert isinstance(picker, GroupingPicker)
        assert picker.order == [K, ALLOC] and picker.listing.selected == [K, ALLOC]
        await pilot.press("space")  # k_paths (highlighted first) out of the grouping
        await until(pilot, lambda: _settled(screen) and screen.comparison is not None
                    and screen.comparison.keys == [ALLOC])
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        by_alloc = screen.comparison
        assert by_alloc is not None
        assert [g.label for g in by_alloc.groups] == ["allocation_method=first_fit",
                                                      "allocation_method=best_fit"]
        assert [g.pools_text for g in by_alloc.groups] == ["pools k_paths=1,2"] * 2
        assert "pools k_paths=1,2" in screen_text(app)  # said beside the groups

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, BaselinePicker))
        assert "no baseline (all pairs)" in screen_text(app)
        await pilot.press("down", "down", "enter")  # none, first_fit, best_fit
        await until(pilot, lambda: _settled(screen) and screen.comparison is not None
                    and screen.comparison.baseline == 1)
        assert screen.baseline == ((ALLOC, "best_fit"),)
        assert "baseline: allocation_method=best_fit" in screen_text(app)
        await pilot.press("t")
        numbers, tests = screen.query_one(NumbersTable), screen.query_one(TestsTable)
        await until(pilot, lambda: numbers.display and tests.display and tests.row_count > 0)
        comparison = screen.comparison
        assert comparison is not None
        assert all((t.a, t.b) == (0, 1) for t in comparison.tests)  # first_fit vs baseline
        text = screen_text(app)
        assert "vs baseline" in text and "G1 - G2" in text and "p (Holm)" in text
        relative = comparison.tests[0].relative
        assert relative is not None
        from fusion_tui.comparison.table import percent_text
        assert percent_text(*relative) in text

        await pilot.press("s")
        await until(pilot, lambda: _settled(screen) and screen.comparison is not None
                    and screen.comparison.spread == "sd")
        assert "spread: mean +- 1 sd" in screen_text(app)
        assert screen.comparison.baseline == 1  # kept across a spread change
        await pilot.press("s", "s")
        await until(pilot, lambda: _settled(screen) and screen.comparison is not None
                    and screen.comparison.spread == "interval")

        await pilot.press("g")  # drop every key: one group of all runs
        await until(pilot, lambda: isinstance(app.screen, GroupingPicker))
        await pilot.press("space")
        await until(pilot, lambda: _settled(screen) and screen.comparison is not None
                    and screen.comparison.keys == [] and len(screen.comparison.groups) == 1)
        assert screen.baseline is None  # a new grouping has no baseline yet
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("r")
        await until(pilot, lambda: any("a baseline needs two groups or more" in n.message
                                       for n in app._notifications))
        assert app.screen is screen


async def test_convergence_of_real_runs_has_fusions_stop_line(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'store.db'}",
                             simulator_command=DEFAULT_BUILTIN_COMMAND)
    services = open_services(settings)
    try:
        services.store.set_queue(max_concurrent=2)
        detail = services.sweeps.create("minimal", Grid((parse_axis(f"{K}=1,3"),), (1, 2)),
                                        overrides=["general_settings.num_requests=300",
                                                   "general_settings.max_iters=3"])
        for run in detail.runs:
            assert services.manager.wait(run.id, timeout=120).status == RunStatus.COMPLETED
        app = create_app(services, watch_notifications=False)
        async with app.run_test(size=(140, 45)) as pilot:
            screen = await _comparison(pilot, app, detail.sweep.id)
            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, ConvergenceScreen)
                        and app.screen.series is not None, timeout=30)
            conv = app.screen
            assert isinstance(conv, ConvergenceScreen) and conv.series is not None
            assert len(conv.series) == 2 * 2  # two groups x two loads
            assert {s.over for s in conv.series} == {"runs"}  # two seeds a group
            assert conv.query_one(ConvergenceTable).row_count == 4
            text = screen_text(app)
            assert "stop rule: 5%" in text and "at 300 Erlang" in text
            assert "FUSION stops" in text
            await pilot.press("l")
            await until(pilot, lambda: "at 600 Erlang" in screen_text(app))
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen)
    finally:
        services.close()
