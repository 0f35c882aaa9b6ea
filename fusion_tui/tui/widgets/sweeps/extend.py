"""The modal that asks how to extend a sweep: more seeds, more values of its swept keys,
more loads, and whether to run again points that have a COMPLETED run. What is typed is
parsed by the sweep grid's own rules before it closes (a mistake is said in place);
whether the sweep can take it is the sweep manager's to say. Escape closes it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from fusion_tui.base.errors import ConfigError
from fusion_tui.sweeps.grid import Axis, parse_axes, parse_loads, parse_seeds
from fusion_tui.tui.format import safe


@dataclass(frozen=True)
class Extension:
    """What to add to a sweep (`SweepManager.extend`'s arguments)."""

    axes: tuple[Axis, ...]
    seeds: tuple[int, ...]
    loads: tuple[str, ...]
    rerun: bool


class ExtendScreen(ModalScreen[Extension | None]):
    """Asks what to add; dismisses with it, or None (escape)."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Extend", id="extend.apply"),
        Binding("escape", "cancel", "Cancel", id="extend.cancel"),
    ]

    def __init__(self, title: str, grid_text: str) -> None:
        super().__init__()
        self._title, self._grid_text = title, grid_text

    def compose(self) -> ComposeResult:
        with Vertical(id="extend-box"):
            yield Label(self._title, id="extend-title", markup=False)
            yield Static(safe(self._grid_text, 600), id="extend-now")
            yield Input(placeholder="more seeds: 4-6 or 7,9", id="extend-seeds")
            yield Input(placeholder="more values: section.key=v1,v2; other.key=v3",
                        id="extend-grid")
            yield Input(placeholder="more loads (a --split-loads sweep): 700,800",
                        id="extend-loads")
            yield Checkbox("run points again even where a completed run has their config",
                           id="extend-rerun")
            yield Static(id="extend-error")
            yield Label("ctrl+s or enter: extend      escape: cancel", id="extend-keys")

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        def text(field: str) -> str:
            return self.query_one(f"#extend-{field}", Input).value.strip()

        try:
            request = Extension(parse_axes(text("grid")),
                                parse_seeds(text("seeds")) if text("seeds") else (),
                                parse_loads(text("loads")) if text("loads") else (),
                                self.query_one("#extend-rerun", Checkbox).value)
        except ConfigError as exc:
            self.query_one("#extend-error", Static).update(safe(str(exc), 300))
            return
        if not (request.axes or request.seeds or request.loads):
            self.query_one("#extend-error", Static).update(
                "nothing to add: fill in seeds, values or loads")
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)
