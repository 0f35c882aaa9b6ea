"""The optional sweep: a grid of values, seeds, one run per load. Any of them filled in
makes the form create a sweep instead of one run."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label

from fusion_tui.tui.widgets.new_run.rows import field_row


@dataclass(frozen=True)
class SweepSpec:
    grid: str
    seeds: str
    split_loads: bool

    @property
    def wanted(self) -> bool:
        return bool(self.grid or self.seeds or self.split_loads)


class SweepFields(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Sweep (optional): one run per grid point, seed and load",
                    classes="section-title")
        yield field_row("Grid", Input(placeholder="routing_settings.k_paths=1,2; "
                                      "section.key=a,b", id="sweep-grid", compact=True))
        yield field_row("Seeds", Input(placeholder="e.g. 1-5 or 1,4,9", id="sweep-seeds",
                                       compact=True))
        yield field_row("Split loads", Checkbox("one run per Erlang value", id="sweep-split",
                                                compact=True))

    def spec(self) -> SweepSpec:
        return SweepSpec(self.query_one("#sweep-grid", Input).value.strip(),
                         self.query_one("#sweep-seeds", Input).value.strip(),
                         self.query_one("#sweep-split", Checkbox).value)
