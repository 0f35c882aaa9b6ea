"""A sweep's dry run: how many runs it would make, its first points, and how long it
would take, estimated from earlier COMPLETED runs of the same template (the median
duration x the runs to make / how many run at once). Nothing is created."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fusion_tui.base.textsafe import one_line
from fusion_tui.executors.executor import QueuedExecutor
from fusion_tui.kinds.registry import kind_for
from fusion_tui.sweeps.grid import Grid
from fusion_tui.sweeps.labels import point_label
from fusion_tui.sweeps.manager import SweepManager

FIRST_POINTS = 5


@dataclass(frozen=True)
class Preview:
    """What `sweep new` would do, and the evidence of its time estimate."""

    template: str
    runs: int
    reused: int
    first: list[str]  # the first points, as `k_paths=1 seed=2`
    median_seconds: float | None  # of the earlier runs; None without any
    samples: int
    slots: int  # runs at once: the queue's limit, or the job array's

    @property
    def estimate_seconds(self) -> float | None:
        if self.median_seconds is None:
            return None
        return self.median_seconds * (self.runs - self.reused) / self.slots

    def as_dict(self) -> dict[str, object]:
        return {"runs": self.runs, "reused": self.reused, "new": self.runs - self.reused,
                "first_points": self.first, "estimate_seconds": self.estimate_seconds,
                "median_seconds": self.median_seconds, "samples": self.samples,
                "slots": self.slots, "template": self.template}

    def estimate_text(self, duration: Callable[[float], str]) -> str:
        """`about 00:04:10 (median 41.7 s of 7 completed runs of minimal x 12 runs / 2 at
        once)`, or why there is no estimate."""
        to_run = self.runs - self.reused
        if self.estimate_seconds is None or self.median_seconds is None:
            return f"no estimate (no completed run of template {one_line(self.template)} yet)"
        return (f"about {duration(self.estimate_seconds)} (median "
                f"{self.median_seconds:.1f} s of {self.samples} completed run"
                f"{'' if self.samples == 1 else 's'} of {one_line(self.template)} x "
                f"{to_run} run{'' if to_run == 1 else 's'} / {self.slots} at once)")

    def text(self, duration: Callable[[float], str]) -> str:
        """The dry run's lines: nothing was made."""
        head = f"dry run: {self.runs} run{'' if self.runs == 1 else 's'}"
        if self.reused:
            head += f" ({self.reused} reused from earlier runs, {self.runs - self.reused} new)"
        more = self.runs - len(self.first)
        return "\n".join([
            head + "; nothing made",
            "first points: " + "; ".join(one_line(p, 80) for p in self.first)
            + (f"; … {more} more" if more > 0 else ""),
            "estimated time: " + self.estimate_text(duration)])


def preview(sweeps: SweepManager, template: str, grid: Grid, *, name: str | None = None,
            overrides: Sequence[str] = (), executor: str | None = None,
            executor_options: Mapping[str, str | None] | None = None,
            array_limit: int | None = None, reuse: bool = False) -> Preview:
    """Plan every point (all validated, as `sweep new` does) and estimate; nothing is
    made, no process started."""
    plans = sweeps.plan(template, grid, name=name, overrides=overrides, executor=executor,
                        executor_options=executor_options)
    first = plans[0]
    reused = len(sweeps.matches(plans)) if reuse else 0
    loads = len(kind_for(first.config.simulator).loads(first.config.sections))
    durations = sweeps.store.durations(first.config.template.name, loads)
    chosen = sweeps.runs.executor(first.executor)
    if isinstance(chosen, QueuedExecutor):
        slots = sweeps.runs.store.queue(sweeps.runs.user).max_concurrent
    else:
        slots = array_limit or len(plans)
    return Preview(first.config.template.name, len(plans), reused,
                   [point_label(p.point or {}) for p in plans[:FIRST_POINTS]],
                   statistics.median(durations) if durations else None, len(durations),
                   max(1, min(slots, len(plans))))
