"""The command palette (ctrl+p): every action of the app, from the one registry of key
bindings (`tui.keys`), so that it cannot drift from the keys; and runs and sweeps by id.

On a screen it offers that screen's commands, the app's (help, quit), and the run
list's commands that need no run under its cursor (new run, sweeps, the queue), which
it runs on the run list wherever it is opened. Cursor moves are keys, not commands, and
are left out; of Textual's own commands it keeps those the app has no key for (theme,
screenshot, maximize)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen

from fusion_tui.base.keymap import EVERYWHERE
from fusion_tui.tui import navigation
from fusion_tui.tui.format import safe, status_text
from fusion_tui.tui.keys import RUNS, commands, where_of
from fusion_tui.tui.session import SessionApp

if TYPE_CHECKING:
    from fusion_tui.store.models import Run, Sweep

# Textual's own commands that the app keeps: its Quit and Keys are the app's `q` and `?`.
TEXTUAL_KEPT = frozenset({"Theme", "Screenshot", "Maximize", "Minimize"})
MIN_PREFIX = 4  # as the CLI: a shorter id prefix matches too much to mean one run
HEX = frozenset("0123456789abcdef")


def palette_commands(app: SessionApp, screen: Screen[object],
                     textual: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """The palette's commands on `screen` (`textual`: Textual's own)."""
    yield from (c for c in textual if c.title in TEXTUAL_KEPT)
    where = where_of(type(screen))
    keymap = dict(app.settings.keymap)
    offered = list(commands(where))
    # An action this screen has too (Schedules on the sweeps list) is offered once, here.
    actions_here = {b.action for owner, b in offered if owner in (EVERYWHERE, where)}
    seen: set[tuple[str, str]] = set()
    for owner, binding in offered:
        here = owner in (EVERYWHERE, where)
        node = _node(app, screen, owner, where)
        if node is None or (owner, binding.action) in seen or \
                (not here and binding.action in actions_here):
            continue
        seen.add((owner, binding.action))
        title = binding.description if here else f"{binding.description} ({owner})"
        yield SystemCommand(title, f"key {_keys(app, keymap.get(binding.id or '', binding.key))}",
                            _runner(app, node, binding.action))


def _node(app: SessionApp, screen: Screen[object], owner: str,
          where: str | None) -> DOMNode | None:
    """What runs a command of `owner`'s: the app, this screen, or the run list under it."""
    if owner == EVERYWHERE:
        return app
    if owner == where:
        return screen
    if owner == RUNS:
        return next((s for s in app.screen_stack if where_of(type(s)) == RUNS), None)
    return None


def _runner(app: SessionApp, node: DOMNode, action: str) -> Callable[[], object]:
    return lambda: app.call_later(app.run_action, action, node)


def _keys(app: SessionApp, keys: str) -> str:
    return ", ".join(app.get_key_display(b) for b in Binding.make_bindings([Binding(keys, "")]))


class IdsProvider(Provider):
    """Runs and sweeps by id (or an id's first 4+ characters): typing one offers to open
    it, from any screen."""

    async def search(self, query: str) -> Hits:
        prefix = query.strip().lower()
        app = self.app
        if not (MIN_PREFIX <= len(prefix) <= 12 and set(prefix) <= HEX) or \
                not isinstance(app, SessionApp) or not app.connected:
            return
        runs, sweeps = await asyncio.to_thread(_lookup, app, prefix)
        for run in runs:
            shown = Text(f"Open run {run.id}  ")
            shown.append_text(status_text(run.status))
            shown.append("  ")
            shown.append_text(safe(run.name or run.template, 60))
            yield Hit(1.0, shown, _post(app, navigation.OpenDetail(run.id)),
                      text=f"Open run {run.id}", help="the run's detail")
        for sweep in sweeps:
            shown = Text(f"Open sweep {sweep.id}  ")
            shown.append_text(safe(sweep.name or sweep.template, 60))
            yield Hit(1.0, shown, _post(app, navigation.OpenSweep(sweep.id)),
                      text=f"Open sweep {sweep.id}", help="the sweep and its grid")


def _lookup(app: SessionApp, prefix: str) -> tuple[list[Run], list[Sweep]]:
    """Runs and sweeps whose id starts with `prefix` (a thread: it asks the store)."""
    services = app.services
    return services.store.find_by_prefix(prefix), services.sweeps.store.find_by_prefix(prefix)


def _post(app: SessionApp, message: Message) -> Callable[[], object]:
    return lambda: app.post_message(message)
