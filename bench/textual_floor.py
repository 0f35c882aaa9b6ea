"""Helper of bench_tui.py: the smallest app like ours (header, a 200-row DataTable,
footer) with sqlalchemy imported; prints `frame` once its first frame is painted. It
shows what Textual itself costs on this machine, next to the real app's first frame."""

from __future__ import annotations

import sys
from typing import Any

import sqlalchemy  # noqa: F401  (the baseline imports it too)
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header


class FloorApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        table.add_columns("id", "name")
        for i in range(200):
            table.add_row(f"{i:012x}", f"run {i}")


async def _report(pilot: Any) -> None:
    await pilot.pause()
    sys.stdout.write("frame\n")
    sys.stdout.flush()
    pilot.app.exit()


if __name__ == "__main__":
    FloorApp().run(headless=True, auto_pilot=_report)
