"""Tags, notes and run filters below the command line: the rules for what a tag and a
note may be, the filter parser of the app's `/` field, and the store's tag and note
changes and filters on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.store.filter_text import build_filter, parse_filter
from fusion_tui.store.labels import MAX_NOTE, TagEdit, check_note, check_tag
from fusion_tui.store.labels_repo import LabelStore
from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.params import ParamFilter
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepStore

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


# -- the rules ---------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["baseline", "k3", "paper-2026", "v1.2", "ns:exp_1", "A" * 64])
def test_good_tags_are_kept_as_typed(tag: str) -> None:
    assert check_tag(tag) == tag


@pytest.mark.parametrize(("tag", "message"), [
    ("", "tag: empty"),
    ("A" * 65, "65 characters; at most 64"),
    ("two words", "a space is not allowed"),
    ("a,b", "',' is not allowed"),
    ("x\x1b[31m", "the control character U+001B is not allowed"),
    ("[bold]x[/]", "'[' is not allowed"),
    ("café", "'é' is not allowed"),
])
def test_bad_tags_say_what_is_wrong(tag: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_tag(tag)


def test_a_note_keeps_lines_and_tabs_and_refuses_other_control_characters() -> None:
    assert check_note("  first\r\n\tsecond [bold]x[/]  \n") == "first\n\tsecond [bold]x[/]"
    assert check_note("   \n ") is None and check_note(None) is None
    assert check_note("x" * MAX_NOTE) == "x" * MAX_NOTE
    with pytest.raises(ConfigError, match=f"note: {MAX_NOTE + 1} characters; at most"):
        check_note("x" * (MAX_NOTE + 1))
    with pytest.raises(ConfigError, match=re.escape("U+001B is not allowed")):
        check_note("red \x1b[31mtext")
    with pytest.raises(ConfigError, match=re.escape("U+202E is not allowed")):
        check_note("abc\u202edef")  # a right-to-left override


def test_a_tag_edit_parses_plus_minus_and_bare_words() -> None:
    edit = TagEdit.parse(" +a  -b c +a ")
    assert (edit.add, edit.remove) == (("a", "c"), ("b",))
    assert edit.text() == "+a +c -b" and not TagEdit.parse("  ")
    with pytest.raises(ConfigError, match="'a' is both added and removed"):
        TagEdit.parse("+a -a")
    with pytest.raises(ConfigError, match=re.escape("'!' is not allowed")):
        TagEdit.parse("+ok +bad!")


# -- the filter parser -------------------------------------------------------------------

def test_the_filter_field_reads_its_words() -> None:
    typed = parse_filter('status:running,FAILED tag:a tag:ns:b template:minimal sweep:ABCD '
                         'k_paths=3 routing_settings.k_paths=3.0 some "k=3 sweep" text')
    assert typed == RunFilter(
        statuses=frozenset({RunStatus.RUNNING, RunStatus.FAILED}),
        tags=frozenset({"a", "ns:b"}), template="minimal", sweep="abcd",
        params=(ParamFilter("k_paths", "3"), ParamFilter("routing_settings.k_paths", "3.0")),
        text="some k=3 sweep text")
    assert parse_filter(typed.describe()) == typed
    assert parse_filter("") == RunFilter() and not parse_filter("  ")
    assert parse_filter('name "unclosed quote').text == "name unclosed quote"
    assert parse_filter("12:30 Status:pending").text == "12:30"  # not a field: text


@pytest.mark.parametrize(("typed", "message"), [
    ("status:", "status: empty"),
    ("status:done", "status 'done': expected one of pending, running"),
    ("tag:", "tag: empty"),
    ("tag:a,b", "tag 'a,b': ',' is not allowed"),
    ("sweep:xyz", "sweep 'xyz': expected a sweep id"),
    ("template:a template:b", "template: given 2 times"),
    ("=3", "expected key=value"),
    ("a.b.c=1", "'a.b.c' is not a setting's name"),
])
def test_a_bad_filter_word_is_named(typed: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_filter(typed)


# -- the store ---------------------------------------------------------------------------

def _config(**sections: dict[str, str]) -> str:
    return json.dumps(sections)


def _add(store: RunStore, n: int, status: RunStatus = RunStatus.COMPLETED, *,
         template: str = "minimal", config: str = "{}", sweep: str | None = None,
         name: str | None = None) -> Run:
    return store.add(Run(id=f"{n:012x}", name=name, status=status, config_json=config,
                         template=template, run_dir=f"/tmp/{n}", sweep_id=sweep,
                         created_at=T0 + timedelta(seconds=n)))


def _ids(store: RunStore, **parts: Any) -> list[int]:
    query = RunQuery(filter=build_filter(**parts), descending=False)
    found = [int(r.id, 16) for r in store.list_runs(query, limit=1000)]
    assert store.count_runs(query) == len(found)
    return found


def test_tags_and_notes_change_in_one_transaction_with_an_audit_event(store: RunStore) -> None:
    labels = LabelStore(store)
    for n in (1, 2):
        _add(store, n)
    a, b = f"{1:012x}", f"{2:012x}"
    assert labels.edit_run_tags([a, b], TagEdit.of(["x", "y"])) == {a: ["x", "y"],
                                                                    b: ["x", "y"]}
    assert labels.edit_run_tags([a], TagEdit.of(["y", "z"], ["x", "never"])) == {a: ["y", "z"]}
    with pytest.raises(LookupError, match="no run with id '0000000000ff'"):
        labels.edit_run_tags([b, "0000000000ff"], TagEdit.of(["w"]))
    run_b = store.get(b)
    assert run_b is not None and run_b.tag_names == ["x", "y"]  # nothing half-done
    assert [(e.kind, e.detail) for e in store.events(a) if e.kind == "tagged"] == [
        ("tagged", "+x +y"), ("tagged", "+z -x")]
    assert labels.set_run_note(a, "first [bold]x[/]\nsecond") is True
    assert labels.set_run_note(a, "first [bold]x[/]\nsecond") is False
    assert labels.set_run_note(a, None) is True
    assert labels.set_run_note("0000000000ff", "x") is None
    assert [e.detail for e in store.events(a) if e.kind == "noted"] == [
        "set (23 characters)", "cleared"]
    store.finish(a, RunStatus.COMPLETED, exit_code=0, expected=[RunStatus.COMPLETED])
    assert store.delete_finished(a)  # its tags go with it
    assert labels.edit_run_tags([b], TagEdit.of([], ["x"])) == {b: ["y"]}


def test_sweep_tags_and_notes(store: RunStore) -> None:
    sweeps, labels = SweepStore(store), LabelStore(store)
    sweeps.add(Sweep(id="aaaaaaaaaaaa", template="t", overrides_json="[]", grid_json="[]",
                     split_loads=False, executor="local", created_at=utcnow()), [])
    assert labels.edit_sweep_tags(["aaaaaaaaaaaa"], TagEdit.of(["b", "a"])) == {
        "aaaaaaaaaaaa": ["a", "b"]}
    assert labels.set_sweep_note("aaaaaaaaaaaa", "why") is True
    sweep = sweeps.get("aaaaaaaaaaaa")
    assert sweep is not None and (sweep.tag_names, sweep.note) == (["a", "b"], "why")
    (row,) = sweeps.listing()
    assert row.sweep.tag_names == ["a", "b"]


def test_filters_select_in_the_database(store: RunStore) -> None:
    SweepStore(store).add(Sweep(id="abcdef000001", template="minimal", overrides_json="[]",
                                grid_json="[]", split_loads=False, executor="local",
                                created_at=utcnow()), [])
    k = {"general_settings": {"erlang_start": "300"}}
    _add(store, 1, config=_config(**k, routing_settings={"k_paths": "3"}))
    _add(store, 2, config=_config(**k, routing_settings={"k_paths": "3.0"}),
         status=RunStatus.FAILED)
    _add(store, 3, config=_config(general_settings={"k_paths": "3.00", "erlang_start": "3e2"},
                                  routing_settings={"k_paths": "1"}), sweep="abcdef000001")
    _add(store, 4, config=_config(routing_settings={"k_paths": "3abc"},
                                  general_settings={"allocation_method": "First_Fit",
                                                    "ratio": "0.50"}),
         template="default", sweep="abcdef000001", name="odd k")
    _add(store, 5, status=RunStatus.RUNNING, config=_config(
        general_settings={"allocation_method": "best_fit", "note": '"k_paths": "3"'}))
    labels = LabelStore(store)
    labels.edit_run_tags([f"{n:012x}" for n in (1, 2, 3)], TagEdit.of(["base"]))
    labels.edit_run_tags([f"{n:012x}" for n in (2, 3, 4)], TagEdit.of(["k3"]))

    assert _ids(store, where=["k_paths=3"]) == [1, 2, 3]  # 3 = 3.0 = 3.00, any section
    assert _ids(store, where=["K_Paths=3.000"]) == [1, 2, 3]  # keys in any case
    assert _ids(store, where=["routing_settings.k_paths=3"]) == [1, 2]
    assert _ids(store, where=["general_settings.k_paths=3"]) == [3]
    assert _ids(store, where=["k_paths=3abc"]) == [4]  # text, not a number
    assert _ids(store, where=["k_paths=+3"]) == []  # not a plain decimal: text
    assert _ids(store, where=["erlang_start=300.0"]) == [1, 2]  # 3e2 is text...
    assert _ids(store, where=["erlang_start=3E2"]) == [3]  # ...in any case
    assert _ids(store, where=["ratio=.5"]) == [4] == _ids(store, where=["ratio=0.5000"])
    assert _ids(store, where=["general_settings.ratio=0.5"]) == [4]
    assert _ids(store, where=["ratio=-0.5"]) == []
    assert _ids(store, where=["allocation_method=first_fit"]) == [4]  # any case
    assert _ids(store, where=["allocation_method=FIRST_FIT", "k_paths=3abc"]) == [4]
    assert _ids(store, where=["no_such_key=1"]) == []
    assert _ids(store, tags=["base"]) == [1, 2, 3]
    assert _ids(store, tags=["base", "k3"]) == [2, 3]  # all of them
    assert _ids(store, statuses=["completed,running"]) == [1, 3, 4, 5]
    assert _ids(store, template="DEFAULT") == [4]
    assert _ids(store, sweep="abcdef") == [3, 4]
    assert _ids(store, text="ODD") == [4]
    assert _ids(store, statuses=["completed"], tags=["k3"], sweep="abcdef000001",
                where=["routing_settings.k_paths=1"], template="minimal") == [3]
    # the status keys (RunQuery.statuses) and a typed status filter both apply
    both = RunQuery(statuses=frozenset({RunStatus.FAILED, RunStatus.COMPLETED}),
                    filter=build_filter(statuses=["failed,running"]))
    assert [int(r.id, 16) for r in store.list_runs(both)] == [2]
    # a filtered list pages in the database like any other
    page = RunQuery(filter=build_filter(where=["k_paths=3"]))
    assert [int(r.id, 16) for r in store.list_runs(page, limit=2, offset=1)] == [2, 1]
