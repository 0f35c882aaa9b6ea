"""The comparison's status line: what is compared, the metric, the grouping, how many
groups and runs, the spread, the baseline, the tests used (paired or Welch), and any
warning (a run without results, a group of one)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fusion_tui.comparison.compare import Comparison
from fusion_tui.comparison.table import SPREAD_NAMES
from fusion_tui.tui.format import safe


class ComparisonStatus(Static):
    def show(self, title: str, comparison: Comparison, runs: int) -> None:
        by = ", ".join(k.partition(".")[2] or k for k in comparison.keys) or "one group"
        status = safe(title, 60)
        status.append(f"   {comparison.metric}   by {by}   {len(comparison.groups)} group(s), "
                      f"{runs} run(s)   spread: {SPREAD_NAMES[comparison.spread]}")
        # "Welch (seeds overlap partly: 2 of 3)" -> "Welch (seeds overlap partly)": one line.
        pairings = sorted({t.pairing.partition(":")[0] + (")" if ":" in t.pairing else "")
                           for t in comparison.tests})
        if comparison.baseline is not None or pairings:
            status.append("\n")
        if comparison.baseline is not None:
            status.append("baseline: ")
            status.append_text(safe(comparison.groups[comparison.baseline].label, 60))
            status.append("   ")
        if pairings:
            status.append(f"tests: {', '.join(pairings)}; Holm per load")
        for warning in comparison.warnings:
            status.append("\n")
            status.append_text(Text("warning: ", style="bold yellow"))
            status.append_text(safe(warning, 200))
        self.update(status)
