"""A sweep's runs by status as text: `✔ 10  ▶ 2  … 4`, and a grid cell of the sweep's
matrix (its counts, then its mean blocking)."""

from __future__ import annotations

from rich.text import Text

from fusion_tui.base.numbers import value_text
from fusion_tui.sweeps.matrix import Cell
from fusion_tui.tui.format import STATUS_STYLE, STATUS_SYMBOL


def counts_text(counts: dict[str, int]) -> Text:
    """`✔ 10  ▶ 2  … 4`: symbol and count per status, in the status's colour."""
    text = Text()
    for status in STATUS_SYMBOL:
        if counts.get(status):
            if text:
                text.append("  ")
            text.append(f"{STATUS_SYMBOL[status]} {counts[status]}",
                        style=STATUS_STYLE.get(status, ""))
    return text


def cell_text(cell: Cell) -> Text:
    """Status counts, then the cell's mean blocking at its highest load reached."""
    text = counts_text(cell.counts) if cell.runs else Text("-", style="dim")
    if cell.blocking is not None:
        text.append(f"  {value_text(cell.blocking)}", style="bold")
    return text
