"""The comparison's pickers: the grouping (`g`: every parameter whose values differ between
the runs, with a check box, in the order they group; space adds or drops one, shift+up/down
or `[` `]` move it, each change applies at once) and the baseline (`r`: one of the groups,
or none). Labels and values come from configs: shown as text, never markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from fusion_tui.tui.format import safe

ApplyKeys = Callable[[list[str]], None]
NO_BASELINE = "-"  # the baseline picker's id of "no baseline"


def short(key: str) -> str:
    return key.partition(".")[2] or key


class GroupingPicker(ModalScreen[None]):
    """Which parameters the comparison groups by; `apply` gets each new choice (an empty
    one is a single group of every run)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Done", id="grouping.done"),
        Binding("shift+up,left_square_bracket", "move(-1)", "Move up", id="grouping.up"),
        Binding("shift+down,right_square_bracket", "move(1)", "Move down", id="grouping.down"),
    ]

    def __init__(self, chosen: Sequence[str], candidates: Sequence[str],
                 apply: ApplyKeys) -> None:
        super().__init__()
        self.chosen = list(chosen)
        self.order = [*chosen, *(k for k in candidates if k not in chosen)]
        self._apply = apply

    def compose(self) -> ComposeResult:
        with Vertical(id="grouping-box"):
            yield Label("Group the runs by", id="grouping-title")
            yield SelectionList[str](*self._options(), id="grouping-list")
            yield Label("space: group by it or not   shift+↑/↓ or [ ]: move   escape: done",
                        id="grouping-keys")

    def _options(self) -> list[Selection[str]]:
        # The word, not only the check box's colour, says which are used (NO_COLOR).
        out = []
        for key in self.order:
            label = Text(f"{'by' if key in self.chosen else '  ':<3}")
            label.append_text(safe(key, 70))
            out.append(Selection(label, key, key in self.chosen))
        return out

    @property
    def listing(self) -> SelectionList[str]:
        return self.query_one("#grouping-list", SelectionList)

    def _rebuild(self, highlighted: int) -> None:
        listing = self.listing
        listing.clear_options()
        listing.add_options(self._options())
        listing.highlighted = highlighted

    @on(SelectionList.SelectionToggled)
    def toggled(self) -> None:
        picked = set(self.listing.selected)
        self._changed([k for k in self.order if k in picked])
        self._rebuild(self.listing.highlighted or 0)

    def action_move(self, step: int) -> None:
        index = self.listing.highlighted
        if index is None or not 0 <= index + step < len(self.order):
            return
        order = self.order
        order[index], order[index + step] = order[index + step], order[index]
        self._changed([k for k in order if k in self.chosen])
        self._rebuild(index + step)

    def _changed(self, chosen: list[str]) -> None:
        self.chosen = chosen
        self._apply(chosen)


class BaselinePicker(ModalScreen[str | None]):
    """One of the groups as the baseline, or none; dismissed with the group's label
    (`NO_BASELINE` for none, None when escaped: no change)."""

    BINDINGS = [Binding("escape", "dismiss", "Back", id="baseline.back")]

    def __init__(self, labels: Sequence[str], current: str | None) -> None:
        super().__init__()
        self.labels, self.current = list(labels), current

    def compose(self) -> ComposeResult:
        with Vertical(id="baseline-box"):
            yield Label("Baseline: the others as differences to it", id="baseline-title")
            options = [Option(Text("no baseline (all pairs)"), id=NO_BASELINE)]
            for i, label in enumerate(self.labels):
                text = Text("* " if label == self.current else "  ")
                text.append_text(safe(label, 80))
                options.append(Option(text, id=f"g{i}"))
            yield OptionList(*options, id="baseline-list")
            yield Label("enter: choose   escape: back", id="baseline-keys")

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        if self.current in self.labels:
            listing.highlighted = self.labels.index(self.current) + 1

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or NO_BASELINE
        self.dismiss(NO_BASELINE if option_id == NO_BASELINE
                     else self.labels[int(option_id[1:])])
