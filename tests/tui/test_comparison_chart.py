"""The comparison chart at 80x24: each group its own marker and line style (so the
lines stay apart without colour), and the legend beside the data, never over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import until
from textual.app import App
from textual.geometry import Region
from tui_fixtures import SWEEP_ID, build_sweep, fixed_now

from fusion_tui.services import Services
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.widgets.comparison.chart import (
    LINES,
    MARKERS,
    MAX_LINES,
    ComparisonChart,
    series_style,
)
from fusion_tui.tui.widgets.comparison.tables import ParamsTable


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = build_sweep(tmp_path / "fixture")
    yield svc
    svc.close()


def region_text(app: App[Any], region: Region) -> list[str]:
    """The characters on screen inside `region`, row by row."""
    rows = app.screen._compositor.render_strips()
    return ["".join(s.text for s in rows[y].crop(region.x, region.right))
            for y in range(region.y, region.bottom)]


def test_no_two_groups_share_a_marker_or_all_of_their_style() -> None:
    styles = [series_style(i) for i in range(MAX_LINES)]
    assert len({s.marker for s in styles}) == MAX_LINES == len(MARKERS)
    assert len({(s.line, s.color) for s in styles[:len(LINES)]}) == len(LINES)
    assert [s.line for s in styles[:len(LINES)]] == list(LINES)  # the first four differ


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}, {"TERM": "linux", "COLORTERM": ""}],
                         ids=["colour", "NO_COLOR", "16 colours"])
async def test_groups_differ_by_marker_and_line_and_the_legend_is_off_the_plot(
        services: Services, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.connected)
        app.open_comparison(sweep_id=SWEEP_ID)
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen)
                    and app.screen.comparison is not None)
        screen = app.screen
        assert isinstance(screen, ComparisonScreen) and screen.comparison is not None
        chart, legend = screen.query_one(ComparisonChart), screen.query_one(ParamsTable)
        groups = screen.comparison.groups
        assert len(groups) == 4
        await until(pilot, lambda: len(chart.series_styles) == 4 and legend.row_count == 4)
        await pilot.pause()
        styles = chart.series_styles
        assert len({s.marker for s in styles}) == 4 and len({s.line for s in styles}) == 4

        plot = region_text(app, chart.region)
        # Each group's markers are drawn (where two points share a cell, the later
        # group's marker covers the other, so count over the plot).
        drawn = "".join(plot)
        assert sum(s.marker in drawn for s in styles) >= 3
        # Nothing of the legend is drawn over the data: no label in the plot, and the
        # legend (each group's line and label) has its own rows below.
        assert not any(g.label in row for g in groups for row in plot)
        assert legend.region.y >= chart.region.bottom
        assert legend.region.bottom <= app.size.height - 1  # above the key bar: seen
        shown = region_text(app, legend.region)
        for style, group in zip(styles, groups, strict=True):
            sample = style.sample().plain
            assert any(sample in row and group.label in row for row in shown), sample
