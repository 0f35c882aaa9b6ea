"""Helper of bench_tui.py: the smallest app like ours (header, a 200-row DataTable,
footer), run on a real terminal. Its first frame shows what Textual itself costs on this
machine, next to the real app's."""

from __future__ import annotations

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


if __name__ == "__main__":
    FloorApp().run()
