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

    def _shown(self) -> tuple[list[tuple[Binding, bool]], tuple[Binding, bool] | None]:
        """Bindings to show, one per action, and the command palette's (drawn right)."""
        seen: set[str] = set()
        shown: list[tuple[Binding, bool]] = []
        palette: tuple[Binding, bool] | None = None
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if key == self.app.COMMAND_PALETTE_BINDING and self.app.ENABLE_COMMAND_PALETTE:
                palette = (binding, active.enabled)
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, active.enabled))
        return shown, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        shown, palette = self._shown()

        def add(binding: Binding, enabled: bool) -> None:
            start = line.cell_len
            dim = _ENABLED if enabled else _DISABLED
            line.append(f" {self.app.get_key_display(binding)} ", style=key_style + dim)
            line.append(f"{binding.description} ", style=text_style + dim)
            self._spans.append((start, line.cell_len, binding.key))

        for binding, enabled in shown:
            add(binding, enabled)
        if palette is not None:
            binding = palette[0]
            needs = len(f" {self.app.get_key_display(binding)} {binding.description} ")
            line.append(" " * max(0, self.size.width - line.cell_len - needs))
            add(*palette)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
