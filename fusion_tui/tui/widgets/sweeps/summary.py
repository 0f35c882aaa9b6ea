"""What a sweep is and how far it got: its axes, seeds and overrides, its runs by
status, a progress bar and ETA, its tags and note; and the legend of its matrix."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import Static

from fusion_tui.sweeps.grid import Grid
from fusion_tui.sweeps.manager import SweepDetail
from fusion_tui.sweeps.progress import SweepProgress
from fusion_tui.tui.format import duration, progress_bar, safe
from fusion_tui.tui.widgets.detail.labels import labels_text
from fusion_tui.tui.widgets.sweeps.counts import counts_text


class SweepSummary(Static):
    def show(self, detail: SweepDetail, progress: SweepProgress) -> None:
        sweep, grid = detail.sweep, detail.grid
        meta = Text("sweep ")
        meta.append(sweep.id, style="bold")
        meta.append("  ")
        meta.append_text(safe(sweep.name or "-", 40))
        meta.append(f"  template {sweep.template}  {sweep.executor}\n")
        for axis in grid.axes:
            meta.append(f"{axis.key} = ")
            meta.append_text(safe(", ".join(axis.values), 60))
            meta.append("\n")
        extras = []
        if grid.seeds:
            extras.append("seeds " + ",".join(map(str, grid.seeds)))
        if grid.split_loads:
            extras.append("one run per load")
        overrides = json.loads(sweep.overrides_json)
        if overrides:
            extras.append("set " + " ".join(overrides))
        if extras:
            meta.append_text(safe("   ".join(extras), 100))
            meta.append("\n")
        meta.append(f"{progress.total} runs  ")
        meta.append_text(counts_text(progress.counts))
        if detail.replaced:
            meta.append(f"  ({detail.replaced} replaced by retries)")
        meta.append("\n")
        meta.append_text(progress_bar(progress.fraction, 20))
        eta = duration(progress.eta_seconds) if progress.eta_seconds is not None else "-"
        meta.append(f"   ETA {eta}\n")
        meta.append_text(labels_text(sweep.tag_names, sweep.note))
        self.update(meta)


class MatrixLegend(Static):
    def show(self, grid: Grid) -> None:
        legend = "cells: runs by status, then mean blocking at the highest load reached"
        if grid.seeds or grid.split_loads:
            legend += " (over seeds" + (" and loads" if grid.split_loads else "") + ")"
        self.update(Text(legend, style="dim"))
