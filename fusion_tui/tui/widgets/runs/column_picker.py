"""The run list's column picker (`C` on the runs screen): every column with a checkbox,
in the order shown; space shows or hides the highlighted one, shift+up/down (or `[` and
`]`) move it. Each change applies at once and holds for the session; the line at the
bottom is the `[columns]` setting that keeps it."""

from __future__ import annotations

import json
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from fusion_tui.tui.widgets.runs.columns import COLUMNS

Apply = Callable[[tuple[str, ...]], None]


class ColumnPicker(ModalScreen[None]):
    """Shows, hides and orders the run list's columns; `apply` gets each new choice."""

    BINDINGS = [
        Binding("escape", "dismiss", "Done", id="columns.done"),
        Binding("shift+up,left_square_bracket", "move(-1)", "Move up", id="columns.up"),
        Binding("shift+down,right_square_bracket", "move(1)", "Move down",
                id="columns.down"),
    ]

    def __init__(self, shown: tuple[str, ...], apply: Apply) -> None:
        super().__init__()
        self.order = [*shown, *(key for key in COLUMNS if key not in shown)]
        self.shown = shown
        self._apply = apply

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-box"):
            yield Label("Columns of the run list", id="columns-title")
            yield SelectionList[str](*self._options(), id="columns-list")
            yield Label("space: show/hide   shift+↑/↓ or [ ]: move   escape: done",
                        id="columns-keys")
            yield Static(self._setting(), id="columns-setting")

    def _options(self) -> list[Selection[str]]:
        # The word, not only the check box's colour, says which are shown (NO_COLOR).
        return [Selection(Text(f"{'shown' if key in self.shown else 'hidden':<6} "
                               f"{COLUMNS[key].title:<9} {COLUMNS[key].about}"), key,
                          key in self.shown) for key in self.order]

    def _rebuild(self, highlighted: int) -> None:
        listing = self.listing
        listing.clear_options()
        listing.add_options(self._options())
        listing.highlighted = highlighted

    def _setting(self) -> Text:
        return Text(f"to keep it, the settings file's [columns] shown = "
                    f"{json.dumps(list(self.shown))}")

    @property
    def listing(self) -> SelectionList[str]:
        return self.query_one("#columns-list", SelectionList)

    @on(SelectionList.SelectionToggled)
    def toggled(self) -> None:
        chosen = set(self.listing.selected)
        if not chosen:  # the list needs a column: keep the last one
            self.listing.select(self.shown[0])
            self.notify("the run list shows at least one column", severity="warning")
            return
        self._changed([key for key in self.order if key in chosen])
        self._rebuild(self.listing.highlighted or 0)

    def action_move(self, step: int) -> None:
        listing = self.listing
        index = listing.highlighted
        if index is None or not 0 <= index + step < len(self.order):
            return
        order = self.order
        order[index], order[index + step] = order[index + step], order[index]
        self._changed([key for key in order if key in self.shown])
        self._rebuild(index + step)

    def _changed(self, shown: list[str]) -> None:
        self.shown = tuple(shown)
        self.query_one("#columns-setting", Static).update(self._setting())
        self._apply(self.shown)
