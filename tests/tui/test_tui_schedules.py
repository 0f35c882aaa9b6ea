"""The app's schedules screen (`K` from the run list or the sweeps list) and waiting runs,
under Pilot against a real store: every schedule with its cron, what it starts, when it is
next due and its state; `p` pauses and resumes, `d` deletes after asking; a queued run
says on the run list and in its detail what it waits for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import screen_text, until

from fusion_tui.runs.waiting import short_waiting
from fusion_tui.schedules.spec import StartSpec
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import utcnow
from fusion_tui.sweeps.grid import Grid
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.schedules import SchedulesScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen
from fusion_tui.tui.widgets.confirm import ConfirmScreen


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    yield svc
    svc.close()


async def test_the_schedules_screen_pauses_resumes_and_deletes(services: Services) -> None:
    nightly = services.schedules.add("0 2 * * *", StartSpec("fake", name="[b]nightly[/b]"))
    seeds = services.schedules.add("@hourly", StartSpec("fake", grid=Grid((), (1, 2))))
    app = create_app(services)
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: app.connected)
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen))
        await until(pilot, lambda: "[b]nightly[/b]" in screen_text(app))  # literally
        text = screen_text(app)
        assert "0 2 * * *" in text and "run of fake" in text
        assert "sweep of fake (2 points)" in text and text.count("active") == 2
        await pilot.press("p")  # the first row: nightly
        await until(pilot, lambda: services.schedules.resolve(nightly.id).paused)
        await until(pilot, lambda: "paused" in screen_text(app).split("@hourly")[0])
        await pilot.press("p")
        await until(pilot, lambda: not services.schedules.resolve(nightly.id).paused)
        await pilot.press("down", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert f"Delete schedule {seeds.id}?" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen))
        assert len(services.schedules.listing()) == 2
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: [s.id for s in services.schedules.listing()] == [nightly.id])
        await until(pilot, lambda: "@hourly" not in screen_text(app))
        await pilot.press("escape", "w")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, SchedulesScreen))


async def test_an_empty_schedules_screen_says_how_to_add_one(services: Services) -> None:
    app = create_app(services)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: app.connected)
        await pilot.press("K")
        await until(pilot, lambda: "No schedules yet." in screen_text(app))
        assert "fusion-tui schedule install" in screen_text(app)


async def test_waiting_runs_say_why_they_wait(services: Services) -> None:
    services.store.set_queue(paused=True)
    first = services.manager.create("fake")
    later = services.manager.create("fake", after=[first],
                                    start_after=utcnow() + timedelta(hours=3))
    timed = services.manager.create("fake", start_after=utcnow() + timedelta(hours=3))
    app = create_app(services)
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: f"after {first.id[:6]}" in screen_text(app))
        assert timed.start_after is not None
        short = short_waiting("PENDING", timed.start_after, [], utcnow())
        assert short is not None and short in screen_text(app)
        app.open_detail(later.id)
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await until(pilot, lambda: f"queued, waiting for run {first.id}; starts at "
                    in screen_text(app))
