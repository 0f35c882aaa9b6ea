"""The key bar at the bottom of every screen: the screen's keys and what they do.

One widget drawing one line, where Textual's Footer mounts a widget per key and rebuilds
them whenever bindings change; on the run list that alone cost about a sixth of the
app's first frame. Keys a screen has disabled (`check_action` returning None) are dim.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

# Shown at the right end, never cut: quitting, and help, which lists every other action.
RIGHT_ACTIONS = frozenset({"toggle_help", "quit"})
_ENABLED = Style()
_DISABLED = Style(dim=True)


class KeyBar(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description"}

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.refresh()

    def _shown(self) -> tuple[list[tuple[Binding, bool]], list[tuple[Binding, bool]]]:
        """Bindings to show, one per action: the screen's keys (left), and quit, help and
        the command palette (right), which stay visible when a narrow terminal cuts the
        rest: help and the palette list every action."""
        seen: set[str] = set()
        left: list[tuple[Binding, bool]] = []
        right: list[tuple[Binding, bool]] = []
        palette = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if key == palette or (binding.show and binding.action in RIGHT_ACTIONS):
                right.append((binding, active.enabled))
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                left.append((binding, active.enabled))
        # In the order the screen declares them, also for keys remapped by the keymap
        # (Textual lists those last).
        order = {b.id: i for i, b in enumerate(getattr(self.screen, "BINDINGS", []))
                 if isinstance(b, Binding) and b.id}
        left.sort(key=lambda item: order.get(item[0].id or "", len(order)))
        return left, right

    def _label(self, binding: Binding) -> tuple[str, str]:
        return f" {self.app.get_key_display(binding)} ", f"{binding.description} "

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        left, right = self._shown()
        right_width = sum(len(k) + len(d) for k, d in (self._label(b) for b, _ in right))
        room = self.size.width - right_width

        def add(binding: Binding, enabled: bool, key: str, description: str) -> None:
            start = line.cell_len
            dim = _ENABLED if enabled else _DISABLED
            line.append(key, style=key_style + dim)
            line.append(description, style=text_style + dim)
            self._spans.append((start, line.cell_len, binding.key))

        for number, (binding, enabled) in enumerate(left):
            key, description = self._label(binding)
            last = number == len(left) - 1
            if line.cell_len + len(key) + len(description) + (0 if last else 1) > room:
                line.append("…", style=text_style)
                break
            add(binding, enabled, key, description)
        line.append(" " * max(0, room - line.cell_len))
        for binding, enabled in right:
            add(binding, enabled, *self._label(binding))
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
