"""Tags, notes and the typed filter in the app, driven by Pilot on a real store: `/` with
`status:` `tag:` `template:` `sweep:` and `key=value` words, `#` and `N` on the run list,
the detail, the sweeps list and a sweep; what users type shown as typed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from helpers import screen_text, until, working
from test_tui_flows import table
from textual.widgets import Input, TextArea

from fusion_tui.services import Services
from fusion_tui.store.labels import TagEdit
from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.tui.app import FusionApp, create_app
from fusion_tui.tui.screens.comparison import ComparisonScreen
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.screens.runs import RunsScreen
from fusion_tui.tui.screens.sweep import SweepScreen
from fusion_tui.tui.screens.sweeps import SweepsScreen
from fusion_tui.tui.widgets.labels import NoteScreen, TagsScreen

SWEEP = "5eed5eed0001"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite: the store's side of filters and labels is proven on both in tests/unit."""
    return sqlite_url


def _add(svc: Services, n: int, *, status: RunStatus = RunStatus.COMPLETED,
         template: str = "minimal", k_paths: str = "1", sweep: str | None = None,
         owner: str | None = None, name: str | None = None) -> str:
    run_id = f"{n:012x}"
    config = {"general_settings": {"allocation_method": "first_fit"},
              "routing_settings": {"k_paths": k_paths}}
    svc.store.add(Run(id=run_id, name=name or f"run {n}", status=status,
                      config_json=json.dumps(config), template=template,
                      run_dir=f"/nonexistent/{n}", sweep_id=sweep,
                      owner=owner or svc.manager.user,
                      created_at=utcnow() - timedelta(hours=1, seconds=-n)))
    return run_id


def _sweep(svc: Services) -> None:
    svc.sweeps.store.add(Sweep(id=SWEEP, name="grid", template="minimal", overrides_json="[]",
                               grid_json=json.dumps([["routing_settings.k_paths", ["1", "3"]]]),
                               split_loads=False, executor="local", created_at=utcnow(),
                               owner=svc.manager.user), [])


async def _type(pilot: Any, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def _rows(app: FusionApp) -> set[str]:
    return set(table(app).rows_data)


def _shown(app: FusionApp) -> str:
    """The screen's text, blanks collapsed (its SVG splits text where styles change)."""
    return " ".join(screen_text(app).split())


def _toasts(app: FusionApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_the_filter_field_takes_status_tag_template_sweep_and_parameters(
        services: Services) -> None:
    _sweep(services)
    a = _add(services, 1, k_paths="3", name="odd one")
    b = _add(services, 2, k_paths="3.0", status=RunStatus.FAILED)
    c = _add(services, 3, k_paths="3", template="default", sweep=SWEEP)
    d = _add(services, 4, k_paths="1", sweep=SWEEP)
    services.manager.edit_tags([services.manager.get(i) for i in (a, b, c)],
                               TagEdit.of(["base"]))
    app = create_app(services)
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: _rows(app) == {a, b, c, d})
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await pilot.press("slash")
        await _type(pilot, "tag:base k_paths=3")
        await until(pilot, lambda: _rows(app) == {a, b, c})  # 3 = 3.0
        await _type(pilot, " status:completed")
        await until(pilot, lambda: _rows(app) == {a, c})
        await _type(pilot, " sweep:5eed")
        await until(pilot, lambda: _rows(app) == {c})
        assert "filter: status:completed tag:base sweep:5eed k_paths=3" in _shown(app)
        await _type(pilot, " template:nope")  # no such runs: none listed
        await until(pilot, lambda: _rows(app) == set())
        box = screen.query_one("#filter", Input)
        box.value = "status:done"  # half typed: the list keeps the last filter that parsed
        await until(pilot, lambda: box.has_class("-bad-filter"))
        assert "status 'done': expected one of" in str(box.border_subtitle)
        box.value = "routing_settings.k_paths=1"
        await until(pilot, lambda: _rows(app) == {d} and not box.has_class("-bad-filter"))
        box.value = 'ODD "k_paths=3"'  # quoted: text, not a parameter
        await until(pilot, lambda: not working(app, "load"))
        await until(pilot, lambda: _rows(app) == set())
        box.value = "odd"
        await until(pilot, lambda: _rows(app) == {a})
        await pilot.press("enter", "escape")  # keep, then clear every filter
        await until(pilot, lambda: _rows(app) == {a, b, c, d})


async def test_tags_and_notes_from_the_run_list_and_the_detail(services: Services) -> None:
    a = _add(services, 1)
    b = _add(services, 2)
    theirs = _add(services, 3, owner="someone-else")
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _rows(app) == {a, b})  # yours
        await pilot.press("home", "space", "down", "space")  # b and a marked
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        await _type(pilot, "+paper bad!")
        await pilot.press("enter")  # refused in place: nothing changes, the modal stays
        await until(pilot, lambda: "'!' is not allowed" in _shown(app))
        assert isinstance(app.screen, TagsScreen)
        app.screen.query_one("#tags-edit", Input).value = "+paper +k3"
        await pilot.press("enter")
        await until(pilot, lambda: "2 runs: +paper +k3" in _toasts(app))
        for run_id in (a, b):
            assert services.store.get(run_id).tag_names == ["k3", "paper"]  # type: ignore[union-attr]

        await pilot.press("o")  # everyone's runs: the newest is another user's
        await until(pilot, lambda: _rows(app) == {a, b, theirs})
        await pilot.press("home", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        await _type(pilot, "mine")
        await pilot.press("enter")
        await until(pilot, lambda: "belongs to someone-else" in _toasts(app))
        assert services.store.get(theirs).tag_names == []  # type: ignore[union-attr]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))

        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await until(pilot, lambda: "Tags k3 paper" in _shown(app))
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, NoteScreen))
        area = app.screen.query_one("#note-text", TextArea)
        area.text = "bell \x07 here"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "U+0007 is not allowed" in _shown(app))
        area.text = ""
        await _type(pilot, "[bold]x[/] and [red]y")
        await pilot.press("enter")
        await _type(pilot, "second line")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await until(pilot, lambda: "Note [bold]x[/] and [red]y second line" in _shown(app))
        assert services.store.get(b).note == "[bold]x[/] and [red]y\nsecond line"  # type: ignore[union-attr]
        events = [e.kind for e in services.store.events(b)]
        assert events.count("tagged") == 1 and events.count("noted") == 1
        await pilot.press("N")  # escape leaves the note as it is
        await until(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        assert services.store.get(b).note is not None  # type: ignore[union-attr]


async def test_sweeps_are_tagged_and_noted_and_comparisons_show_tags(
        services: Services) -> None:
    _sweep(services)
    one = _add(services, 1, k_paths="1", sweep=SWEEP)
    three = _add(services, 2, k_paths="3", sweep=SWEEP)
    services.manager.edit_tags([services.manager.get(three)], TagEdit.of(["winner"]))
    app = create_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _rows(app) == {one, three})
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
        await until(pilot, lambda: "grid" in _shown(app))
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        await _type(pilot, "+study")
        await pilot.press("enter")
        await until(pilot, lambda: f"sweep {SWEEP}: tags study" in _toasts(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await until(pilot, lambda: "Tags study" in _shown(app))
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, NoteScreen))
        await _type(pilot, "k=3 wins")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Note k=3 wins" in _shown(app))
        sweep = services.sweeps.store.get(SWEEP)
        assert sweep is not None and (sweep.tag_names, sweep.note) == (["study"], "k=3 wins")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ComparisonScreen))
        await until(pilot, lambda: "winner" in _shown(app))
        assert "tags" in _shown(app)
