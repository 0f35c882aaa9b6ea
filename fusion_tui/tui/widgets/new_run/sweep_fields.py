"""The optional sweep: a grid of values, seeds, one run per load, axes paired instead of
crossed. Any of them filled in makes the form create a sweep instead of one run; a line
below previews it (a dry run: how many runs, the first points, the estimated time)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label, Static

from fusion_tui.sweeps.grid import Grid, parse_axes, parse_seeds, parse_zip
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.new_run.rows import field_row


@dataclass(frozen=True)
class SweepSpec:
    grid: str
    seeds: str
    split_loads: bool
    zipped: str = ""

    @property
    def wanted(self) -> bool:
        return bool(self.grid or self.seeds or self.split_loads)

    def to_grid(self) -> Grid:
        """The grid the fields describe; ConfigError (one line) when they do not parse."""
        return Grid(parse_axes(self.grid), parse_seeds(self.seeds) if self.seeds else (),
                    self.split_loads, parse_zip(self.zipped) if self.zipped else ())


class SweepFields(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Sweep (optional): one run per grid point, seed and load",
                    classes="section-title")
        yield field_row("Grid", Input(placeholder="routing_settings.k_paths=1,2; "
                                      "section.key=a,b", id="sweep-grid", compact=True))
        yield field_row("Pair", Input(placeholder="keys paired, not crossed: k_paths,"
                                      "allocation_method", id="sweep-zip", compact=True))
        yield field_row("Seeds", Input(placeholder="e.g. 1-5 or 1,4,9", id="sweep-seeds",
                                       compact=True))
        yield field_row("Split loads", Checkbox("one run per Erlang value", id="sweep-split",
                                                compact=True))
        yield Static(id="sweep-preview")

    def spec(self) -> SweepSpec:
        return SweepSpec(self.query_one("#sweep-grid", Input).value.strip(),
                         self.query_one("#sweep-seeds", Input).value.strip(),
                         self.query_one("#sweep-split", Checkbox).value,
                         self.query_one("#sweep-zip", Input).value.strip())

    def preview(self, text: str | None, *, problem: bool = False) -> None:
        """The dry run's line (None: no sweep asked, nothing shown)."""
        line = self.query_one("#sweep-preview", Static)
        line.display = text is not None
        line.set_class(problem, "-problem")
        line.update(Text("") if text is None else safe(text, 400))
