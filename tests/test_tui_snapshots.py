"""SVG snapshots of every screen at 80x24 and 120x40, on deterministic fixture data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import until
from textual.pilot import Pilot
from tui_fixtures import build, build_sweep, fixed_now

from fusion_tui.services import Services
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times show in the local zone; pictures are taken in UTC wherever the tests run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def services() -> Iterator[Services]:
    svc = build()
    yield svc
    svc.close()


def app_for(svc: Services) -> FusionApp:
    return create_app(svc, now=fixed_now, watch_notifications=False)


async def settle(pilot: Pilot[Any], seconds: float = 0.6) -> None:
    await pilot.pause(seconds)
    # A blinking text cursor is on or off depending on when the picture is taken.
    for editor in pilot.app.screen.query("Input, TextArea"):
        editor.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


def _comparison_shown(screen: object) -> bool:
    """The comparison on screen is the one for the metric and grouping asked (however
    slow CI is)."""
    return isinstance(screen, ComparisonScreen) and screen.comparison is not None and \
        screen.shown == (screen.metric, screen.grouping)


def keys(*presses: str, wait: float = 0.6) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in presses:
            if key.startswith("goto:"):
                table = pilot.app.screen.query_one("#runs")
                table.move_cursor(row=table.get_row_index(key[5:]))  # type: ignore[attr-defined]
                await pilot.pause(0.1)
            elif key.startswith("wait:"):
                await pilot.pause(float(key[5:]))
            elif key == "loaded":  # a comparison screen shows its metric and grouping
                await until(pilot, lambda: _comparison_shown(pilot.app.screen), timeout=30)
            elif key.startswith("type:"):
                for ch in key[5:]:
                    await pilot.press(ch)
            else:
                await pilot.press(key)
            await pilot.pause(0.15)
        await settle(pilot, wait)

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_list_every_status(snap_compare: Any, services: Services,
                                size: tuple[int, int]) -> None:
    assert snap_compare(app_for(services), terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_state(snap_compare: Any, size: tuple[int, int]) -> None:
    svc = build(empty=True)
    try:
        assert snap_compare(app_for(svc), terminal_size=size, run_before=keys())
    finally:
        svc.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_run_form_with_validation_error(snap_compare: Any, services: Services,
                                            size: tuple[int, int]) -> None:
    steps = keys("n", "wait:0.3", "tab", "tab", "tab", "backspace", "backspace", "backspace",
                 "type:-5")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail_of_completed_run_with_chart(snap_compare: Any, services: Services,
                                            size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000a1", "enter", wait=1.0)
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail_of_failed_run(snap_compare: Any, services: Services,
                              size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000c3", "enter", wait=1.0)
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_with_search_hits(snap_compare: Any, services: Services,
                              size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000c3", "l", "wait:0.3", "slash", "type:memory", "enter", wait=0.8)
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_artifacts_with_json_preview(snap_compare: Any, services: Services,
                                     size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000a1", "a", "wait:0.3", "down", wait=0.8)
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cancel_confirmation(snap_compare: Any, services: Services,
                             size: tuple[int, int]) -> None:
    steps = keys("goto:0000000000b2", "c")
    assert snap_compare(app_for(services), terminal_size=size, run_before=steps)


@pytest.fixture
def sweep_services() -> Iterator[Services]:
    svc = build_sweep()
    yield svc
    svc.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweeps_list(snap_compare: Any, sweep_services: Services,
                     size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size, run_before=keys("w"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep_matrix(snap_compare: Any, sweep_services: Services,
                      size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "wait:0.5", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_comparison_chart(snap_compare: Any, sweep_services: Services,
                          size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "wait:0.5", "enter", "wait:0.5", "m", "loaded",
                                        wait=1.0))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_comparison_numbers_by_one_key(snap_compare: Any, sweep_services: Services,
                                       size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sweep_services), terminal_size=size,
                        run_before=keys("w", "wait:0.5", "m", "loaded", "g", "wait:0.8",
                                        "loaded", "t", wait=1.0))
