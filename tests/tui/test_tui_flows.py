"""The app driven by Textual's Pilot against real runs, processes and files."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import alive, open_new_run, screen_text, until, worker_pids, working

from fusion_tui.base import procs
from fusion_tui.base.rundir import RunPaths
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.artifacts import ArtifactsScreen
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.log import LogScreen
from fusion_tui.tui.screens.new_run import NewRunScreen
from fusion_tui.tui.widgets.confirm import ConfirmScreen
from fusion_tui.tui.widgets.log.view import LogView
from fusion_tui.tui.widgets.runs.table import RunsTable


@pytest.fixture
def services(tmp_path: Path, db_url: str) -> Iterator[Services]:
    """Every flow on a SQLite file and on a real PostgreSQL."""
    svc = open_services(make_settings(tmp_path, db_url))
    yield svc
    svc.close()


def table(app: FusionApp) -> RunsTable:
    return app.screen.query_one(RunsTable)


def row_status(app: FusionApp, run_id: str) -> str | None:
    row = table(app).rows_data.get(run_id)
    return row.status if row else None


async def test_create_run_from_template_and_watch_it_complete(services: Services) -> None:
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_new_run(pilot, "fake")
        await pilot.click("#name")
        for ch in "from the form":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        runs = services.store.list_runs()
        assert [r.name for r in runs] == ["from the form"]
        run_id = runs[0].id
        await until(pilot, lambda: row_status(app, run_id) == "COMPLETED", timeout=30)
        assert services.store.get(run_id).status == RunStatus.COMPLETED  # type: ignore[union-attr]


async def test_validation_error_blocks_submit(services: Services) -> None:
    app = create_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_new_run(pilot)
        step = screen.query_one("#general_settings--erlang_step")
        step.value = "0"
        error = screen.query_one("#err-general_settings--erlang_step")
        await until(pilot, lambda: "must be greater than 0" in str(error.render()))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not working(app, "create"))
        assert isinstance(app.screen, NewRunScreen)
        assert services.store.count_runs() == 0


async def test_cancel_running_run_with_keys_kills_its_tree(services: Services) -> None:
    run = services.manager.create("fake", name="to cancel", overrides=["fake.behaviour=pool"])
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: row_status(app, run.id) == "RUNNING")
        await until(pilot, lambda: len(worker_pids(run.run_dir)) == 3)
        pids = worker_pids(run.run_dir)
        table(app).move_cursor(row=table(app).get_row_index(run.id))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: row_status(app, run.id) == "CANCELLED", timeout=30)
        assert not any(alive(p) for p in pids)
        assert procs.run_processes(run.id) == []


async def test_delete_asks_first_and_removes_the_directory(services: Services) -> None:
    run = services.manager.create("fake", name="to delete")
    services.manager.wait(run.id, timeout=30)
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: row_status(app, run.id) == "COMPLETED")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert Path(run.run_dir).is_dir() and services.store.get(run.id) is not None
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await until(pilot, lambda: services.store.get(run.id) is None)
        assert not Path(run.run_dir).exists()
        await until(pilot, lambda: run.id not in table(app).rows_data)


async def test_bulk_select_and_cancel(services: Services) -> None:
    runs = [services.manager.create("fake", overrides=["fake.behaviour=hang"])
            for _ in range(2)]
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: all(r.id in table(app).rows_data for r in runs))
        for run in runs:
            table(app).move_cursor(row=table(app).get_row_index(run.id))
            await pilot.press("space")
        assert table(app).selected == {r.id for r in runs}
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        for run in runs:
            await until(pilot, lambda r=run: services.store.get(r.id).status  # type: ignore[union-attr, misc]
                        == RunStatus.CANCELLED, timeout=30)


HOSTILE_NAME = "[red]boom[/red][link=file:///x]y[/link][b"
HOSTILE_LOG = (
    "plain line\n"
    "\x1b[31mcoloured\x1b[0m and \x1b]52;c;ZXZpbA==\x07clipboard and \x1b[2J\x1b[Hcursor\n"
    "[bold]not bold[/bold] \x07bell\n"
)


def _hostile_run(services: Services, tmp_path: Path) -> Run:
    paths = RunPaths.for_run(services.settings.runs_dir, "abcabcabcabc")
    paths.create()
    paths.log.write_text(HOSTILE_LOG)
    (paths.output / "[red]file[b].json").write_text('{"a": "\\u001b[31m"}')
    run = Run(id="abcabcabcabc", name=HOSTILE_NAME, status=RunStatus.COMPLETED,
              config_json='{"general_settings": {"erlang_start": "[red]1"}}',
              template="[b]tpl", simulator="builtin", executor="local", run_dir=str(paths.root),
              created_at=utcnow(), started_at=utcnow(), completed_at=utcnow(), exit_code=0)
    return services.store.add(run)


async def test_hostile_text_renders_literally(services: Services, tmp_path: Path) -> None:
    run = _hostile_run(services, tmp_path)
    app = create_app(services)
    async with app.run_test(size=(180, 40)) as pilot:
        await until(pilot, lambda: run.id in table(app).rows_data)
        assert "[red]boom[/red][link=file:///x]y[/link]" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await until(pilot, lambda: "erlang_start=[red]1" in screen_text(app))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogScreen) and app.screen.query(LogView))
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: view.index.line_count == 3)
        lines = [view._text(i).plain for i in range(3)]
        assert lines[1] == "coloured and clipboard and cursor"
        assert lines[2] == "[bold]not bold[/bold] \\x07bell"
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        shot = screen_text(app)
        assert "\x1b" not in shot and "[bold]not bold[/bold]" in shot
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("a")
        await until(pilot, lambda: "[red]file[b].json" in screen_text(app))


async def test_log_follows_appends_and_pauses_on_scroll(services: Services) -> None:
    run = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    log = Path(run.run_dir) / "logs" / "sim.log"
    app = create_app(services)
    async with app.run_test(size=(100, 20)) as pilot:
        app.open_log(run.id)
        await until(pilot, lambda: isinstance(app.screen, LogScreen) and app.screen.query(LogView))
        view = app.screen.query_one(LogView)
        with open(log, "a") as fh:
            for i in range(200):
                fh.write(f"line {i}\n")
        await until(pilot, lambda: view.index.line_count >= 200)
        await until(pilot, lambda: view.scroll_offset.y == view.max_scroll_y)
        assert view.follow
        await pilot.press("up", "up")
        await until(pilot, lambda: not view.follow)
        place = view.scroll_offset.y
        with open(log, "a") as fh:
            fh.write("more\n" * 50)
        await until(pilot, lambda: view.virtual_size.height >= 250)  # shown, not followed
        assert view.scroll_offset.y == place
        await pilot.press("G")
        await until(pilot, lambda: view.follow and view.scroll_offset.y == view.max_scroll_y)
        await pilot.press("slash")
        for ch in "line 7":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await until(pilot, lambda: view.hit is not None)
        first = view.hit
        await pilot.press("n")
        await until(pilot, lambda: view.hit is not None and view.hit != first)
        assert not view.follow
        await pilot.press("w")
        await until(pilot, lambda: view.wrap)
        services.manager.cancel(run.id)
        await asyncio.sleep(0)


async def test_log_and_screens_render_with_no_color(services: Services,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR=1 adds Textual's monochrome filter, which needs a style on every segment."""
    monkeypatch.setenv("NO_COLOR", "1")
    run = services.manager.create("fake")
    log = Path(run.run_dir) / "logs" / "sim.log"
    app = create_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: run.id in table(app).rows_data)
        with open(log, "a") as fh:
            fh.write("plain line\nERROR red line\n")
        app.open_log(run.id)
        await until(pilot, lambda: isinstance(app.screen, LogScreen) and app.screen.query(LogView))
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: view.index.line_count >= 2)
        await until(pilot, lambda: "plain line" in screen_text(app))
        await pilot.press("w")
        await until(pilot, lambda: view.wrap and "ERROR red line" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: services.store.get(run.id).status  # type: ignore[union-attr]
                    == RunStatus.COMPLETED, timeout=30)
        app.open_detail(run.id)
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await until(pilot, lambda: run.id in screen_text(app))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ArtifactsScreen)
                    and app.screen.run_dir is not None)
        await pilot.press("down", "down")
        await until(pilot, lambda: "output/" in screen_text(app))


LONG = ("2026-12-07 12:00:00,000 - fusion_tui.sim - INFO - "
        + " ".join(f"word{i:03d}" for i in range(35)) + " END-OF-LONG-LINE")


async def test_every_character_of_a_long_line_can_be_read(services: Services) -> None:
    """A 310-character last line at 80 columns: wrapped, all its rows are on screen at the
    tail (none under the scrollbar); unwrapped, scrolling sideways reaches its end."""
    run = services.manager.create("fake", overrides=["fake.behaviour=hang"])
    log = Path(run.run_dir) / "logs" / "sim.log"
    app = create_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_log(run.id)
        await until(pilot, lambda: isinstance(app.screen, LogScreen) and app.screen.query(LogView))
        view = app.screen.query_one(LogView)
        with open(log, "a") as fh:
            fh.write("".join(f"line {i}\n" for i in range(40)) + LONG + "\n")
        await until(pilot, lambda: view.index.line_count >= 41)
        await pilot.press("w")
        await until(pilot, lambda: view.wrap)
        width = view.scrollable_content_region.width
        rows = [view.render_line(y) for y in range(view.scrollable_content_region.height)]
        shown = "".join(strip.text.rstrip() + " " for strip in rows)
        assert " ".join(LONG.split()) in " ".join(shown.split())
        assert all(strip.cell_length <= width for strip in rows)
        assert view.virtual_size.width == width  # no sideways scrolling when wrapped
        await pilot.press("w")
        await until(pilot, lambda: not view.wrap)
        await until(pilot, lambda: view.virtual_size.width >= len(LONG))


        def at_the_right_end() -> bool:  # the scrollbar may lag its new width a frame
            view.scroll_to(x=view.max_scroll_x, animate=False, force=True)
            return "END-OF-LONG-LINE" in screen_text(app)

        await until(pilot, at_the_right_end)


async def test_the_form_starts_on_its_template_and_asks_before_discarding(
        services: Services) -> None:
    """Focus on the first choice, the template; escape leaves an untouched form at once
    and asks before throwing away an edited one."""
    from textual.widgets import Input, Select

    app = create_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_new_run(pilot)
        assert isinstance(app.focused, Select) and app.focused.id == "template"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        screen = await open_new_run(pilot)
        screen.query_one("#name", Input).value = "my run"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        assert screen.query_one("#name", Input).value == "my run"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not isinstance(app.screen, (NewRunScreen, ConfirmScreen)))


async def test_each_section_of_the_form_is_one_key_away(services: Services) -> None:
    """alt+g reaches the sweep grid from the template (ten tabs before), alt+n the name,
    alt+f the first field, alt+t back to the template; the keys are written on the form."""
    from textual import events
    from textual.widgets import Input, Select

    app = create_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_new_run(pilot)
        assert "alt+g sweep grid" in " ".join(screen_text(app).split())
        for key, wanted in (("alt+g", "sweep-grid"), ("alt+n", "name"),
                            ("alt+x", "executor"), ("alt+t", "template")):
            await pilot.press(key)

            def focused(w: str = wanted) -> bool:
                return app.focused is not None and app.focused.id == w

            await until(pilot, focused)
        await pilot.press("alt+g")  # far below the fold at 80x24: scrolled into view
        await until(pilot, lambda: app.focused is not None and app.focused.id == "sweep-grid"
                    and app.screen.find_widget(app.focused).region.height > 0)
        await pilot.press("alt+f")
        await until(pilot, lambda: isinstance(app.focused, Input | Select)
                    and "--" in (app.focused.id or ""))  # a field of section--key
        # A terminal's alt+t reaches a focused Input with the printable "t": it must not
        # be typed into the field.
        typed = app.focused
        assert isinstance(typed, Input)
        before = typed.value
        app.post_message(events.Key("alt+t", "t"))
        await until(pilot, lambda: app.focused is not None and app.focused.id == "template")
        assert typed.value == before
