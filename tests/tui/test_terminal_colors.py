"""The app readable without colour (NO_COLOR) and in 16 colours: every status told apart
by its symbol and word, its text at a readable contrast from its background, and in 16
colours the terminal's own colours (the ANSI theme) with a reversed cursor row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import until
from rich.color import Color, ColorSystem, ColorType
from rich.segment import Segment
from textual.app import App
from tui_fixtures import build, fixed_now

from fusion_tui.services import Services
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.format import STATUS_SYMBOL
from fusion_tui.tui.terminal_colors import ANSI_THEME, contrast, readable_grey
from fusion_tui.tui.widgets.runs.table import RunsTable

STATUSES = ["COMPLETED", "RUNNING", "FAILED", "CANCELLED", "PENDING"]  # the fixture's
RUNS = 6  # two of them RUNNING
# xterm's default 16 colours (and its default text on black): what "readable in 16
# colours" is measured against.
XTERM = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
         (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
         (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
DEFAULT_FG, DEFAULT_BG = (229, 229, 229), (0, 0, 0)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = build(tmp_path / "fixture")
    yield svc
    svc.close()


def _lum(rgb: tuple[int, int, int]) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_lum(a), _lum(b)))
    return (lb + 0.05) / (la + 0.05)


def _rgb(color: Color | None, default: tuple[int, int, int], palette: bool) -> \
        tuple[int, int, int]:
    """A colour as the terminal shows it: in 16 colours through xterm's palette (24-bit
    colours rounded to 16 first, as Rich does for such a terminal)."""
    if color is None or color.type == ColorType.DEFAULT:
        return default
    if palette:
        number = color.downgrade(ColorSystem.STANDARD).number
        assert number is not None
        return XTERM[number]
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def colours(segment: Segment, palette: bool) -> tuple[tuple[int, int, int], ...]:
    """(text, background) of a segment as seen, reverse video swapped."""
    style = segment.style
    assert style is not None
    fg = _rgb(style.color, DEFAULT_FG, palette)
    bg = _rgb(style.bgcolor, DEFAULT_BG, palette)
    return (bg, fg) if style.reverse else (fg, bg)


def screen_segments(app: App[Any]) -> list[list[Segment]]:
    """The screen as the terminal gets it (after the app's colour filters), by row."""
    return [list(strip) for strip in app.screen._compositor.render_strips()]


def status_segments(app: App[Any]) -> dict[str, Segment]:
    found = {}
    for row in screen_segments(app):
        for segment in row:
            for status in STATUSES:
                if f"{STATUS_SYMBOL[status]} {status}" in segment.text:
                    found[status] = segment
    return found


async def _runs_shown(app: FusionApp, pilot: object) -> None:
    await until(pilot, lambda: app.connected and bool(app.screen.query(RunsTable))  # type: ignore[arg-type]
                and app.screen.query_one(RunsTable).row_count == RUNS)


def test_grey_text_is_raised_to_a_readable_contrast() -> None:
    assert contrast(43, 30) < 1.5  # red text (a failure) on the panel, as Textual greys it
    assert contrast(readable_grey(43, 30), 30) >= 4.5
    assert contrast(readable_grey(180, 240), 240) >= 4.5  # darker on a light background
    assert readable_grey(200, 30) == 200  # readable already: left alone


async def test_no_color_keeps_every_status_apart_and_every_text_readable(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _runs_shown(app, pilot)
        shown = status_segments(app)
        assert sorted(shown) == sorted(STATUSES)  # each its own symbol and word
        for row in screen_segments(app):
            for segment in row:
                if segment.text.strip():
                    fg, bg = colours(segment, palette=False)
                    assert fg[0] == fg[1] == fg[2] and bg[0] == bg[1] == bg[2]  # greys
                    assert ratio(fg, bg) >= 4.4, (segment.text, fg, bg)


async def test_sixteen_colours_use_the_terminals_own_readable_colours(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM")
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _runs_shown(app, pilot)
        assert app.theme == ANSI_THEME.name
        shown = status_segments(app)
        assert sorted(shown) == sorted(STATUSES)
        colors = set()
        for status, segment in shown.items():
            assert segment.style is not None
            color = segment.style.color
            assert color is None or color.type in (ColorType.STANDARD, ColorType.DEFAULT)
            colors.add(color.number if color is not None else None)
            fg, bg = colours(segment, palette=True)
            assert ratio(fg, bg) >= 3.0, (status, fg, bg)  # bold text
        assert len(colors) == len(STATUSES)  # and each its own colour
        cursor = app.screen.query_one(RunsTable).cursor_row
        row = screen_segments(app)[app.screen.query_one(RunsTable).region.y + 1 + cursor]
        assert any(s.style is not None and s.style.reverse for s in row if s.text.strip())


async def test_no_color_in_sixteen_colours_has_no_colour_at_all(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM")
    monkeypatch.setenv("NO_COLOR", "1")
    app = create_app(services, now=fixed_now, watch_notifications=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _runs_shown(app, pilot)
        assert sorted(status_segments(app)) == sorted(STATUSES)
        for row in screen_segments(app):
            for segment in row:
                style = segment.style
                if style is not None:
                    for color in (style.color, style.bgcolor):
                        assert color is None or color.type == ColorType.DEFAULT
        cursor = app.screen.query_one(RunsTable).cursor_row
        row = screen_segments(app)[app.screen.query_one(RunsTable).region.y + 1 + cursor]
        assert any(s.style is not None and s.style.reverse for s in row if s.text.strip())
