"""The report action (`p`) on the sweep screen and on the comparison screen, driven by
Pilot against a real sweep (made by the sweep manager, finished by the simulator's result
writer): it writes the same files as `fusion-tui report` into a new folder under
`<home>/reports/` in a worker (from the comparison, as it is shown), and a toast says
where."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from finished_sweeps import finished_sweep
from helpers import until

from fusion_tui.services import Services, open_services
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.sweep import SweepScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen

FILES = {"table.md", "table.tex", "provenance.md", "provenance.tex", "bundle.tar.gz"}


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    yield svc
    svc.close()


def _reports(services: Services) -> list[Path]:
    """The report folders made so far (not one still being built under a hidden name)."""
    folder = Path(services.settings.home) / "reports"
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) \
        if folder.is_dir() else []


async def test_report_key_writes_the_report_and_says_where(services: Services) -> None:
    grid = Grid((parse_axis("routing_settings.k_paths=1,3"),
                 parse_axis("general_settings.allocation_method=first_fit,best_fit")), (1, 2))
    detail = finished_sweep(services, grid, [100.0, 200.0], lambda p, e: 0.001 * e / int(
        p["routing_settings.k_paths"]), name="paper [b]sweep[/b]")
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("p")
        await until(pilot, lambda: any(n.title == "Report" for n in app._notifications),
                    timeout=60)
        (first,) = _reports(services)
        assert first.name.startswith(f"sweep-{detail.sweep.id}-")
        assert {p.name for p in first.iterdir()} >= FILES
        toast = next(n for n in app._notifications if n.title == "Report")
        assert toast.message.startswith(f"report written to {first}")
        assert toast.severity == "information"

        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen))
        screen = app.screen
        assert isinstance(screen, ComparisonScreen)
        await until(pilot, lambda: screen.comparison is not None
                    and len(screen.comparison.groups) == 4)
        await pilot.press("s")  # the spread shown: the report's table uses it too
        await until(pilot, lambda: screen.comparison is not None
                    and screen.comparison.spread != "interval")
        shown = screen.comparison
        assert shown is not None
        spread = shown.spread
        await pilot.press("p")
        await until(pilot, lambda: len(_reports(services)) == 2, timeout=60)
        second = _reports(services)[1]
        await until(pilot, lambda: all((second / name).exists() for name in FILES))
        table = re.sub(r"\\(.)", r"\1", (second / "table.md").read_text())  # no escapes
        assert {"sd": "mean +- 1 sd", "minmax": "min-max"}[spread] in table
