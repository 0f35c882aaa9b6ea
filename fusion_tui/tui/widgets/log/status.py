"""The log's status line: following or paused, how many lines, wrap, the prefix shown,
and where the search stands."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fusion_tui.tui.widgets.log.view import LogView


class LogStatus(Static):
    def show(self, view: LogView) -> None:
        text = Text()
        text.append("FOLLOWING" if view.follow else "PAUSED", style="bold green"
                    if view.follow else "bold yellow")
        text.append(f"   {view.index.line_count:,} lines   wrap {'on' if view.wrap else 'off'}"
                    f"   prefix {'time' if view.short_prefix else 'full'}")
        if view.term:
            text.append("   search: ")
            text.append(view.term, style="bold")
            text.append(f" (line {view.hit + 1:,})" if view.hit is not None else " (no match)")
        self.update(text)
