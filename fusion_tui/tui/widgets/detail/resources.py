"""What a running run's process tree uses: CPU, memory, how many processes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ResourceUse(Static):
    def show(self, usage: tuple[float, int, int] | None) -> None:
        """`usage` is (CPU %, resident bytes, processes), None once it has ended."""
        text = Text("process tree: ")
        if usage is None:
            text.append("not running")
        else:
            cpu, rss, count = usage
            text.append(f"CPU {cpu:.0f}%   memory {rss / 2**20:.0f} MiB   {count} process(es)")
        self.update(text)

    def not_running(self) -> None:
        self.update(Text("process: not running"))
