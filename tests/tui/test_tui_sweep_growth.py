"""Sweeps that grow, in the app (Pilot, the fake simulator as real processes): `e` on a
sweep asks what to add and extends it, reusing a completed run of the same config and
saying so; a mistake is said in the form or in a toast and makes nothing; the new-run
form previews its sweep (a dry run) under the sweep fields, pairs included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import open_new_run, screen_text, until
from textual.widgets import Input

from fusion_tui.services import Services, open_services
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.sweep import SweepScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen
from fusion_tui.tui.widgets.sweeps.extend import ExtendScreen


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    svc.store.set_queue(max_concurrent=2)
    yield svc
    svc.close()


def _said(app: object, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)  # type: ignore[attr-defined]


async def test_e_extends_a_sweep_and_reuses_a_completed_run(services: Services) -> None:
    quick = ["fake.sleep=0"]
    earlier = services.sweeps.create("fake", Grid((), (1, 2)), overrides=quick)
    for run in earlier.runs:
        services.manager.wait(run.id, timeout=60)
    services.store.set_queue(paused=True)  # what the extension makes waits: counted, kept
    grown = services.sweeps.create("fake", Grid((parse_axis("fake.behaviour=ok"),), (1,)),
                                   overrides=quick, name="grows")
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_sweeps()
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen)
                    and "grows" in screen_text(app))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExtendScreen))
        form = app.screen
        assert "now: behaviour=ok; seeds 1" in screen_text(app)
        form.query_one("#extend-seeds", Input).value = "x"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "expected whole numbers" in screen_text(app))
        form.query_one("#extend-seeds", Input).value = "1"  # a seed it has: the manager says so
        await pilot.press("ctrl+s")
        await until(pilot, lambda: _said(app, "--seeds: seed(s) 1 already in the sweep"))
        assert len(services.sweeps.detail(grown.sweep.id).runs) == 1
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))

        app.open_sweep(grown.sweep.id)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExtendScreen))
        app.screen.query_one("#extend-seeds", Input).value = "2-3"
        await pilot.press("enter")
        await until(pilot, lambda: _said(app, f"sweep {grown.sweep.id} extended: 2 points: "
                                              "1 reused from earlier runs, 1 new"))
        detail = services.sweeps.detail(grown.sweep.id)
        seed_two = next(r for r in earlier.runs if r.seed == 2)
        assert detail.reused == {seed_two.id} and len(detail.runs) == 3
        assert detail.grid.seeds == (1, 2, 3)
        await until(pilot, lambda: "seeds 1,2,3" in screen_text(app)  # the sweep's own
                    and "… 2  ✔ 1" in screen_text(app))  # screen: the reused run counts


async def test_the_new_run_form_previews_its_sweep(services: Services) -> None:
    app = create_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        form = await open_new_run(pilot, "fake")
        line = form.query_one("#sweep-preview")
        assert not line.display
        form.query_one("#sweep-grid").value = ("routing_settings.k_paths=1,2,3; "
                                               "general_settings.allocation_method="
                                               "first_fit,best_fit")
        form.query_one("#sweep-seeds").value = "1-2"
        await until(pilot, lambda: "12 runs, first k_paths=1 allocation_method=first_fit "
                                   "seed=1; estimated time: no estimate" in screen_text(app))
        form.query_one("#sweep-zip").value = "k_paths,allocation_method"
        await until(pilot, lambda: "not a sweep yet: --zip k_paths,allocation_method: paired "
                                   "axes need as many values each" in screen_text(app))
        form.query_one("#sweep-grid").value = ("routing_settings.k_paths=1,2; "
                                               "general_settings.allocation_method="
                                               "first_fit,best_fit")
        await until(pilot, lambda: "4 runs, first" in screen_text(app))
        assert services.store.list_runs() == [] and services.sweeps.listing() == []
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        (row,) = services.sweeps.listing()
        assert row.total == 4
        points = [json.loads(r.point_json or "{}")
                  for r in services.sweeps.store.runs(row.sweep.id)]
        assert {(p["routing_settings.k_paths"], p["general_settings.allocation_method"])
                for p in points} == {("1", "first_fit"), ("2", "best_fit")}
