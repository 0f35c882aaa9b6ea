"""The app's key bindings as plain records, and the checks of a `[keys]` remapping: ids
that no binding has, and keys given to two bindings live at the same time.

Textual-free: the app (which gathers its bindings and knows Textual's key names, see
`tui.keys`) and `fusion-tui keys` apply the same rules to the same table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

EVERYWHERE = "everywhere"


@dataclass(frozen=True)
class KeyInfo:
    """One binding: its id, the keys in force, what it does, where (a screen, or
    everywhere)."""

    id: str
    keys: str
    description: str
    where: str


# (key as written, the key a user presses) for each key of a binding's comma-separated keys
KeyNames = Callable[[str], Iterable[tuple[str, str]]]


def unknown_ids(keymap: Mapping[str, str], table: Sequence[KeyInfo]) -> list[str]:
    """Ids in `keymap` that no binding has (a typo would otherwise do nothing)."""
    known = {info.id for info in table}
    return sorted(i for i in keymap if i not in known)


def conflicts(keymap: Mapping[str, str], table: Sequence[KeyInfo],
              key_names: KeyNames) -> list[str]:
    """Keys that `keymap` gives to two bindings live at the same time (on one screen, or
    one of them everywhere), one line each: the app would run only one of them, and the
    other could never be reached. Clashes among the defaults alone are not the keymap's.
    `table` is every binding under `keymap`; `key_names` splits its keys."""
    by_key: dict[str, list[tuple[KeyInfo, str]]] = defaultdict(list)
    for info in table:
        for name, pressed in key_names(info.keys):
            by_key[pressed].append((info, name))
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
