"""What went wrong: a failed run's error with its last log lines, and a note when the
run's results were not all copied."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fusion_tui.base.rundir import NOT_READABLE
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus
from fusion_tui.tui.format import safe, safe_line


class FailurePanel(Static):
    """Shown for a FAILED run only."""

    def show(self, run: Run, last_lines: list[str], readable: bool) -> None:
        self.display = run.status == RunStatus.FAILED
        if not self.display:
            return
        text = Text("Error: ", style="bold red")
        text.append_text(safe(run.error_message or "unknown", 2000))
        text.append("\n\nLast log lines:" + ("" if readable else f" {NOT_READABLE}") + "\n",
                    style="bold")
        for line in last_lines:
            text.append_text(safe_line(line))
            text.append("\n")
        self.update(text)


class ResultsNote(Static):
    """Shown when a bounded copy of the results left some behind."""

    def show(self, note: str | None) -> None:
        self.display = note is not None
        if note is not None:
            text = Text("Results not all copied: ", style="bold yellow")
            text.append_text(safe(note, 2000))
            self.update(text)
