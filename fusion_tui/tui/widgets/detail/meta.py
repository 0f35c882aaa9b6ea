"""A run's metadata (status, name, times, ETA, host, executor, its job there) and its
activity line (how long it has been silent, STALLED, a folder closed to us)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from fusion_tui.base.rundir import NOT_READABLE
from fusion_tui.base.settings import Settings
from fusion_tui.executors.description import Seconds
from fusion_tui.executors.descriptions import description_of
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus
from fusion_tui.tui.format import duration, eta, safe, status_text, timestamp


@dataclass(frozen=True)
class Liveness:
    """What the detail knows of a run's life at one moment."""

    now: datetime
    silent: float | None  # seconds since its last sign of life
    stalled: bool
    fraction: float | None
    seconds_left: float | None


class RunMeta(Static):
    """The run's facts, two pairs per line; its job on its executor (a batch job) below
    them, as the executor's description tells it."""

    def show(self, run: Run, live: Liveness, settings: Settings) -> None:
        now = live.now
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_column(style="bold")
        grid.add_column()
        end = run.completed_at or now
        rows = [
            ("Run", Text(run.id), "Status", status_text(run.status, live.stalled)),
            ("Name", safe(run.name or "-", 60), "Template", safe(run.template, 40)),
            ("Created", Text(timestamp(run.created_at)), "Started",
             Text(timestamp(run.started_at))),
            ("Completed", Text(timestamp(run.completed_at)), "Duration",
             Text(duration((end - run.started_at).total_seconds()) if run.started_at else "-")),
            ("Exit code", Text("-" if run.exit_code is None else str(run.exit_code)), "ETA",
             Text(eta(run.started_at, live.fraction, now, live.seconds_left)
                  if run.status == RunStatus.RUNNING else "-")),
            ("Host / pid", safe(f"{run.hostname or '-'} / {run.pid or '-'}"), "Simulator",
             safe(run.simulator)),
            ("Executor", safe(run.executor), "Owner", safe(run.owner or "-")),
        ]
        facts = [(label, Text(duration(value.value)) if isinstance(value, Seconds)
                  else safe(value, 60))
                 for label, value in description_of(run.executor).panel(run, now, settings)]
        rows += [(*left, *right) for left, right in zip(facts[::2], facts[1::2], strict=True)]
        for row in rows:
            grid.add_row(*row)
        self.update(grid)


class ActivityLine(Static):
    """`last activity: 2m ago`, why a queued run waits (for runs to complete, for its
    start time), and what is wrong: STALLED, or a folder that is another user's."""

    def show(self, run: Run, live: Liveness, readable: bool, stall_seconds: float,
             waiting: str | None = None) -> None:
        silent = live.silent
        activity = Text(f"last activity: {'-' if silent is None else duration(silent) + ' ago'}")
        if waiting:
            activity.append(f"   queued, {waiting}", style="bold")
        if not readable:
            activity.append(f"   run folder {NOT_READABLE} (it belongs to ")
            activity.append_text(safe(run.owner or "-", 64))
            activity.append("): live progress and files are theirs to see")
        if live.stalled:
            activity.append("   STALLED: no progress or log output for longer than "
                            f"{duration(stall_seconds)}", style="bold red reverse")
        self.update(activity)
