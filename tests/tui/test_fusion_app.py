"""FUSION runs from the app: the new-run form, its set-up check and the detail chart,
against the stand-in (tests/standin_fusion)."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.base.rundir import RunPaths
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus


async def test_app_creates_a_fusion_run_and_checks_the_setup(fusion_services: Services) -> None:
    """From the form: the run goes to FUSION, a toast reports the set-up check, and the
    detail chart gets FUSION's per-load blocking with its interval from the result files."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen

    svc = fusion_services
    app = create_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "fusion")
        screen.query_one("#general_settings--max_iters").value = "3"
        screen.query_one("#general_settings--erlang_stop").value = "600"
        await until(pilot, lambda: not working(app, "check"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        await until(pilot, lambda: any(n.title == "FUSION set-up" for n in app._notifications),
                    timeout=60)
        note = next(n for n in app._notifications if n.title == "FUSION set-up")
        assert note.message == "checkout, Python, command and files are fine"
        run = svc.store.list_runs()[0]
        assert run.simulator == "fusion"
        done = svc.manager.wait(run.id, timeout=60)
        assert done.status == RunStatus.COMPLETED
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        await until(pilot, lambda: detail.snapshot is not None and len(  # type: ignore[attr-defined]
            [p for p in detail.snapshot.points if p.ci_upper is not None]) == 2, timeout=30)  # type: ignore[attr-defined]


async def test_form_keeps_a_fusion_allocation_method_the_builtin_lacks(
        fusion_services: Services) -> None:
    """A FUSION template with priority_first: the form offers and keeps it (it must not
    silently become first_fit)."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.new_run import NewRunScreen

    svc = fusion_services
    folder = svc.settings.user_templates_dir
    folder.mkdir(parents=True, exist_ok=True)
    text = (shipped_templates_dir() / "fusion.ini").read_text()
    (folder / "prio.ini").write_text(text.replace("allocation_method = first_fit",
                                                  "allocation_method = priority_first"))
    app = create_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "prio")
        field = screen.query_one("#general_settings--allocation_method")
        await until(pilot, lambda: field.value == "priority_first")
        screen.query_one("#general_settings--max_iters").value = "2"
        await until(pilot, lambda: not working(app, "check"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        run = svc.store.list_runs()[0]
        assert "allocation_method = priority_first" in RunPaths(Path(run.run_dir)).config \
            .read_text()
        svc.manager.wait(run.id, timeout=60)


async def test_form_warns_of_a_setting_fusion_crashes_on(fusion_services: Services) -> None:
    """Choosing last_fit for a FUSION template: the form says, before anything is made,
    that FUSION 6.1 crashes on it and with which error; first_fit brings no warning."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app

    app = create_app(fusion_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "fusion")
        warnings = screen.query_one("#form-warnings")
        screen.query_one("#general_settings--max_iters").value = "3"
        await until(pilot, lambda: not working(app, "check"))
        assert str(warnings.render()).strip() == ""
        screen.query_one("#general_settings--allocation_method").value = "last_fit"
        await until(pilot, lambda: "Spectrum set cannot be empty" in str(warnings.render()))
        text = str(warnings.render())
        assert text.startswith("warning: [general_settings] allocation_method = last_fit: "
                               "FUSION 6.1 crashes") and text.count("\n") == 0
        assert fusion_services.store.list_runs() == []


async def test_form_shows_the_loads_the_simulator_will_run(fusion_services: Services) -> None:
    """The plan line: the loads as the template's simulator computes them, updated as the
    fields change, with what one Erlang means to it."""
    from helpers import open_new_run, until

    from fusion_tui.tui.app import create_app

    app = create_app(fusion_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "fusion")
        plan = screen.query_one("#form-plan")
        await until(pilot, lambda: str(plan.render()).startswith("Plan: 300, 600, 900, 1200"))
        assert str(plan.render()) == ("Plan: 300, 600, 900, 1200 Erlang (4 loads x 4 "
                                      "iterations; arrival rate = Erlang / holding_time)")
        screen.query_one("#general_settings--erlang_stop").value = "600"
        await until(pilot, lambda: str(plan.render()).startswith("Plan: 300, 600 Erlang (2"))


async def test_form_shows_the_5_5_lines_loads_and_load_meaning(
        fusion55_services: Services) -> None:
    """FUSION's 5.5 line: the plan leaves erlang_stop out, as that line does, and says
    what one Erlang is to it, before the run is made; a run made from the form goes to
    its run_sim.py."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen
    from fusion_tui.tui.widgets.detail.history import ConfigSummary

    svc = fusion55_services
    app = create_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "fusion55")
        plan = screen.query_one("#form-plan")
        await until(pilot, lambda: str(plan.render()).startswith("Plan: 300, 600, 900 Erlang"))
        assert str(plan.render()) == (
            "Plan: 300, 600, 900 Erlang (3 loads x 4 iterations; arrival rate = "
            "cores_per_link x Erlang / holding_time, cores_per_link times FUSION 6.1's load)")
        screen.query_one("#general_settings--erlang_stop").value = "900"
        screen.query_one("#general_settings--max_iters").value = "2"
        screen.query_one("#general_settings--num_requests").value = "100"
        await until(pilot, lambda: str(plan.render()).startswith("Plan: 300, 600 Erlang (2"))
        await until(pilot, lambda: not working(app, "check"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        run = svc.store.list_runs()[0]
        assert (run.simulator, run.total_erlangs) == ("fusion55", 2)
        done = svc.manager.wait(run.id, timeout=60)
        assert done.status == RunStatus.COMPLETED, done.error_message
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        summary = app.screen.query_one(ConfigSummary)
        await until(pilot, lambda: "k_paths=3" in str(summary.render()))  # where it reads it
