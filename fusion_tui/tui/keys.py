"""Every key binding of the app by id, for remapping (`[keys]` in the settings file, applied
with Textual's keymap), for `fusion-tui keys`, which lists them, and for the command
palette, which offers them as commands; the rules that check a keymap are
`base.keymap`'s, applied here with Textual's key names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_ALIASES

from fusion_tui.base import keymap as rules
from fusion_tui.base.keymap import EVERYWHERE, KeyInfo


def _owners() -> list[tuple[str, type[DOMNode]]]:
    # Imported here for start-up speed: the app imports this module on its first frame,
    # and these are every screen.
    from fusion_tui.tui.screens.artifacts import ArtifactsScreen
    from fusion_tui.tui.screens.comparison import ComparisonScreen
    from fusion_tui.tui.screens.convergence import ConvergenceScreen
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.log import LogScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen
    from fusion_tui.tui.screens.runs import RunsScreen
    from fusion_tui.tui.screens.schedules import SchedulesScreen
    from fusion_tui.tui.screens.sweep import SweepScreen
    from fusion_tui.tui.screens.sweeps import SweepsScreen
    from fusion_tui.tui.session import SessionApp
    from fusion_tui.tui.widgets.comparison.pickers import BaselinePicker, GroupingPicker
    from fusion_tui.tui.widgets.confirm import ConfirmScreen
    from fusion_tui.tui.widgets.labels import NoteScreen, TagsScreen
    from fusion_tui.tui.widgets.runs.column_picker import ColumnPicker
    from fusion_tui.tui.widgets.runs.table import RunsTable
    from fusion_tui.tui.widgets.sweeps.extend import ExtendScreen

    return [(EVERYWHERE, SessionApp), ("runs", RunsScreen), ("runs", RunsTable),
            ("detail", DetailScreen), ("log", LogScreen), ("artifacts", ArtifactsScreen),
            ("new run", NewRunScreen), ("sweeps", SweepsScreen), ("sweep", SweepScreen),
            ("comparison", ComparisonScreen), ("convergence", ConvergenceScreen),
            ("grouping", GroupingPicker), ("baseline", BaselinePicker),
            ("schedules", SchedulesScreen),
            ("confirm", ConfirmScreen), ("columns", ColumnPicker), ("tags", TagsScreen),
            ("note", NoteScreen), ("extend", ExtendScreen)]


def bindings() -> Iterator[tuple[str, Binding]]:
    """(where, binding) for every binding the app declares."""
    for where, owner in _owners():
        for binding in owner.BINDINGS:
            if isinstance(binding, Binding):
                yield where, binding


# Cursor moves are keys, not commands: the command palette leaves them out.
CURSOR_MOVES = frozenset({"runs_table.up", "runs_table.down", "runs_table.page_up",
                          "runs_table.page_down", "runs_table.first", "runs_table.last",
                          "sweeps.first", "sweeps.last"})
# Commands of the run list that need no run under its cursor: the palette offers them on
# every screen, and runs them on the run list (always at the bottom of the screens).
ANYWHERE = frozenset({"runs.new_run", "runs.open_sweeps", "runs.open_schedules",
                      "runs.toggle_queue", "runs.more_at_once", "runs.fewer_at_once"})
RUNS = "runs"


def where_of(screen: type[DOMNode]) -> str | None:
    """The name bindings give `screen` ("runs", "comparison", ...)."""
    return next((where for where, owner in _owners() if owner is screen), None)


def commands(where: str | None) -> Iterator[tuple[str, Binding]]:
    """(where, binding) for each command of the palette on the screen named `where`:
    the app's, that screen's, and those of `ANYWHERE`; never a cursor move."""
    for owner_where, binding in bindings():
        if binding.id in CURSOR_MOVES or not binding.description:
            continue
        if owner_where in (EVERYWHERE, where) or binding.id in ANYWHERE:
            yield owner_where, binding


def key_table(keymap: Mapping[str, str]) -> list[KeyInfo]:
    """Every binding with the keys in force under `keymap`."""
    return [KeyInfo(b.id or "", keymap.get(b.id or "", b.key), b.description, where)
            for where, b in bindings()]


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in `keymap` that no binding of the app has."""
    return rules.unknown_ids(keymap, key_table(keymap))


# Names a terminal cannot tell apart, as Textual matches them: ctrl+m arrives as enter,
# ctrl+i as tab (Textual's own KEY_ALIASES), shift+s as S.
_SAME_KEY = {alias: key for key, aliases in KEY_ALIASES.items() for alias in aliases}


def _physical(key: str) -> str:
    """One name per key a user can press (keys as Textual matches them: "?" is
    question_mark), so two names of one key count as the same key."""
    key = _SAME_KEY.get(key, key)
    if key.startswith("shift+") and len(key) == 7 and key[6].isalpha():
        return key[6].upper()
    return key


def key_names(keys: str) -> Iterator[tuple[str, str]]:
    """Each key of `keys` ("ctrl+o, ?") as Textual matches it (question_mark), with the
    key a user presses."""
    for one in Binding.make_bindings([Binding(keys, "")]):
        yield one.key, _physical(one.key)


def conflicts(keymap: Mapping[str, str]) -> list[str]:
    """Keys that `keymap` gives to two of the app's bindings live at the same time."""
    return rules.conflicts(keymap, key_table(keymap), key_names)
