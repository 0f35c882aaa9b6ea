"""The line above the run list: which runs (or entries, grouped by sweep) of how many,
whose, the filters and sort in force, the selection, and the state of the user's queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from fusion_tui.store.query import RunQuery
from fusion_tui.tui.widgets.runs.table import RunsTable

if TYPE_CHECKING:
    from fusion_tui.store.runs_repo import Queue


class RunsStatusLine(Static):
    def show(self, table: RunsTable, q: RunQuery, queue: Queue | None, *,
             grouped: bool = False) -> None:
        parts = [f"{'entries' if grouped else 'runs'} "
                 f"{table.window_offset + 1 if table.total else 0}-"
                 f"{table.window_offset + table.window_entries} of {table.total:,}"
                 + (" (by sweep)" if grouped else "")]
        parts.append("mine" if q.owner is not None else "everyone's")
        if q.statuses:
            parts.append("status: " + ",".join(sorted(s.value for s in q.statuses)))
        typed = q.filter.describe()
        if typed:
            parts.append("filter: ")
        parts.append(f"sort: {q.order_by.replace('_at', '').replace('result_', '')} "
                     f"{'↓' if q.descending else '↑'}")
        if table.selected:
            parts.append(f"{len(table.selected)} selected")
        if queue is not None:
            parts.append("queue PAUSED (p resumes)" if queue.paused
                         else f"queue: {queue.max_concurrent} at once")
        line = Text("   ".join(parts))
        if typed:
            line = Text("   ".join(parts[: 3 if q.statuses else 2]) + "   filter: ")
            line.append(typed, style="bold")
            line.append("   " + "   ".join(parts[(4 if q.statuses else 3):]))
        self.update(line)
