"""Every key binding of the app by id, for remapping (`[keys]` in the settings file, applied
with Textual's keymap) and for `fusion-tui keys`, which lists them; and the checks of a
keymap: ids that do not exist, and keys that it gives to two actions at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_ALIASES

EVERYWHERE = "everywhere"


@dataclass(frozen=True)
class KeyInfo:
    id: str
    keys: str
    description: str
    where: str


def _owners() -> list[tuple[str, type[DOMNode]]]:
    # Imported here for start-up speed: the app imports this module on its first frame,
    # and these are every screen.
    from fusion_tui.tui.screens.artifacts import ArtifactsScreen
    from fusion_tui.tui.screens.comparison import ComparisonScreen
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.log import LogScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen
    from fusion_tui.tui.screens.runs import RunsScreen
    from fusion_tui.tui.screens.sweep import SweepScreen
    from fusion_tui.tui.screens.sweeps import SweepsScreen
    from fusion_tui.tui.session import SessionApp
    from fusion_tui.tui.widgets.confirm import ConfirmScreen
    from fusion_tui.tui.widgets.runs.table import RunsTable

    return [(EVERYWHERE, SessionApp), ("runs", RunsScreen), ("runs", RunsTable),
            ("detail", DetailScreen), ("log", LogScreen), ("artifacts", ArtifactsScreen),
            ("new run", NewRunScreen), ("sweeps", SweepsScreen), ("sweep", SweepScreen),
            ("comparison", ComparisonScreen), ("confirm", ConfirmScreen)]


def bindings() -> Iterator[tuple[str, Binding]]:
    """(where, binding) for every binding the app declares."""
    for where, owner in _owners():
        for binding in owner.BINDINGS:
            if isinstance(binding, Binding):
                yield where, binding


def key_table(keymap: Mapping[str, str]) -> list[KeyInfo]:
    """Every binding with the keys in force under `keymap`."""
    return [KeyInfo(b.id or "", keymap.get(b.id or "", b.key), b.description, where)
            for where, b in bindings()]


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in `keymap` that no binding has (a typo would otherwise do nothing)."""
    known = {b.id for _, b in bindings()}
    return sorted(i for i in keymap if i not in known)


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


def conflicts(keymap: Mapping[str, str]) -> list[str]:
    """Keys that `keymap` gives to two bindings live at the same time (on one screen, or
    one of them everywhere), one line each: Textual would run only one of them, and the
    other could never be reached. Clashes among the defaults alone are not the keymap's."""
    by_key: dict[str, list[tuple[KeyInfo, str]]] = defaultdict(list)
    for info in key_table(keymap):
        for one in Binding.make_bindings([Binding(info.keys, "")]):
            by_key[_physical(one.key)].append((info, one.key))
    found: list[str] = []
    for entries in by_key.values():
        for i, (a, a_key) in enumerate(entries):
            for b, b_key in entries[i + 1:]:
                if a.id != b.id and (a.id in keymap or b.id in keymap) and \
                        (a.where == b.where or EVERYWHERE in (a.where, b.where)):
                    key = f'"{a_key}" is' if a_key == b_key else \
                        f'"{a_key}" and "{b_key}" (one key) are'
                    found.append(f"{key} bound to both {a.id} and {b.id}")
    return found
