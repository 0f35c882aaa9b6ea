"""A run's progress: the overall bar, and one line per Erlang load with its own bar,
blocking and 95% interval."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.runs.tail import RunSnapshot
from fusion_tui.tui.format import progress_bar


class OverallProgress(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static("overall ", id="overall-label")
        yield ProgressBar(total=100, show_eta=False, id="overall")

    def show(self, fraction: float | None) -> None:
        self.query_one(ProgressBar).update(progress=round((fraction or 0.0) * 100, 1))


class LoadPoints(Static):
    """One line per load reached; "no progress reported yet" before the first."""

    def show(self, snapshot: RunSnapshot | None, total_iterations: int) -> None:
        text = Text()
        if snapshot is not None and snapshot.points:
            for point in snapshot.points:
                done = total_iterations if point.complete else point.iterations_done
                frac = done / total_iterations if total_iterations else None
                text.append(f"{point.erlang:>8g} E  ")
                text.append_text(progress_bar(frac, 20))
                if point.blocking is not None:
                    text.append("   blocking "
                                + value_text(point.blocking, point.ci_lower, point.ci_upper))
                if point.ci_lower is not None and point.ci_upper is not None:
                    text.append("  " + interval_text(point.ci_lower, point.ci_upper))
                text.append("\n")
        else:
            text.append("no progress reported yet")
        self.update(text)
