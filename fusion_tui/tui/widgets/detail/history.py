"""Where a run comes from and what happened to it: a one-line summary of its
configuration, and its timeline of events."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import Static

from fusion_tui.kinds.registry import kind_for
from fusion_tui.store.models import Run, RunEvent
from fusion_tui.store.status import local_text
from fusion_tui.tui.format import safe

CONFIG_SUMMARY = (
    ("general_settings", "erlang_start"), ("general_settings", "erlang_stop"),
    ("general_settings", "erlang_step"), ("general_settings", "max_iters"),
    ("general_settings", "num_requests"), ("topology_settings", "network"),
    ("topology_settings", "cores_per_link"), ("routing_settings", "k_paths"),
    ("general_settings", "allocation_method"), ("spectrum_settings", "c_band"),
)


class ConfigSummary(Static):
    def show(self, run: Run) -> None:
        try:
            sections = json.loads(run.config_json)
        except ValueError:
            sections = {}
        text = Text("Configuration: ", style="bold")
        kind = kind_for(run.simulator)
        kept = [kind.keeps(sec, key) for sec, key in CONFIG_SUMMARY]  # where its kind has it
        parts = [f"{key}={sections.get(sec, {}).get(key, '-')}" for sec, key in kept]
        text.append_text(safe("  ".join(parts), 1000))
        self.update(text)


class Timeline(Static):
    def show(self, events: list[RunEvent]) -> None:
        text = Text("Timeline\n", style="bold")
        for event in events:
            text.append(f"  {local_text(event.at, '%Y-%m-%d %H:%M:%S')}  {event.kind:<10}")
            text.append_text(safe(event.detail or "", 120))
            text.append("\n")
        self.update(text)
