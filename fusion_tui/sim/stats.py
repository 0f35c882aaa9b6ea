"""Statistics over iterations of one Erlang point, with FUSION's meaning for FUSION's keys.

FUSION's `ci_rate_block` is the half-width of a 90% normal interval, 1.645 * s / sqrt(n),
and `ci_percent_block` is 2 * ci_rate_block / mean * 100; FUSION ends a load once that
is at most 5 (after two iterations or more, blocking above 0). Our own 95% interval
(Student's t) is written under the `fusion_tui` key, never under FUSION's names.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fusion_tui.sim.student_t import t_critical

if TYPE_CHECKING:  # the engine is the simulator's: readers of results need only the math
    from fusion_tui.sim.engine import IterationResult

Z90 = 1.645  # FUSION's critical value (fusion/core/metrics.py)
FUSION_STOP_PERCENT = 5.0


def t95(df: int) -> float:
    """Critical value for a 95% two-sided interval with `df` degrees of freedom."""
    return t_critical(df) if df >= 1 else math.inf


def mean_variance(values: list[float]) -> tuple[float, float]:
    """Mean and sample variance (n-1); variance 0 for fewer than two values."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = math.fsum(values) / n
    if n < 2:
        return mean, 0.0
    return mean, math.fsum((v - mean) ** 2 for v in values) / (n - 1)


def ci_half_width(values: list[float]) -> float | None:
    """Half-width of the 95% confidence interval of the mean; None below two values."""
    if len(values) < 2:
        return None
    _, var = mean_variance(values)
    return t95(len(values) - 1) * math.sqrt(var / len(values))


def fusion_interval(values: list[float]) -> tuple[float, float]:
    """(ci_rate, ci_percent) as FUSION computes them; zeros below two values or at 0."""
    mean, var = mean_variance(values)
    if len(values) < 2 or mean <= 0:
        return 0.0, 0.0
    rate = Z90 * math.sqrt(var) / math.sqrt(len(values))
    return rate, 2 * rate / mean * 100.0


@dataclass
class PointStats:
    """Accumulated results of one Erlang load.

    Each iteration's `iter_stats` entry is turned into JSON text once, when the iteration
    is added (most of it in the worker, see `EntryText`): the file is rewritten after
    every iteration, and re-serialising every earlier entry each time would cost more
    than simulating. Only what the top level and our summary need is kept besides: the
    per-iteration blocking values and the last iteration's link snapshot and lightpath
    utilisation. The text has one line per top-level key and per iteration (json's C
    encoder; indenting runs its Python one, four times slower).
    """

    erlang: float
    blocking: list[float] = field(default_factory=list)
    bit_rate_blocking: list[float] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    link_usage: str = "{}"
    utilisation: float | None = None

    @property
    def iterations(self) -> int:
        return len(self.blocking)

    def add(self, result: IterationResult) -> None:
        self.blocking.append(result.blocking)
        self.bit_rate_blocking.append(result.bit_rate_blocking)
        from fusion_tui.sim.engine import EntryText  # loaded already: we run in the simulator

        text = result.fusion or EntryText("{", "", "{}", None)
        ours = {"requests": result.requests, "blocked": result.blocked,
                "blocked_distance": result.distance_blocked,
                "blocked_congestion": result.congestion_blocked,
                "sliced": result.sliced, "sliced_after_failed_try": result.sliced_late}
        self.entries.append("".join((
            text.head, ", " if len(text.head) > 1 else "",
            '"sim_block_list": ', json.dumps(self.blocking),
            ', "sim_br_block_list": ', json.dumps(self.bit_rate_blocking),
            ", " if text.tail else "", text.tail, ', "fusion_tui": ', json.dumps(ours), "}")))
        self.link_usage, self.utilisation = text.link_usage, text.utilisation

    @property
    def mean(self) -> float:
        return mean_variance(self.blocking)[0]

    @property
    def ci(self) -> float | None:
        return ci_half_width(self.blocking)

    @property
    def bit_rate_ci(self) -> float | None:
        return ci_half_width(self.bit_rate_blocking)

    @property
    def fusion_ci(self) -> tuple[float, float]:
        return fusion_interval(self.blocking)

    def reached_fusion_target(self) -> bool:
        """FUSION's early stop: its interval is at most 5% of the mean."""
        rate, percent = self.fusion_ci
        return self.iterations >= 2 and rate >= 0 and self.mean > 0 \
            and percent <= FUSION_STOP_PERCENT

    def fusion_text(self, end_time: str, extras: dict[str, object], *,
                    statistics: bool = True) -> str:
        """The per-Erlang result file: FUSION's keys in FUSION's order, units and
        meaning, and ours under `fusion_tui`. Without `statistics` (FUSION's `is_training`) FUSION's
        eight blocking statistics are null, as FUSION writes them; our means stay under
        `fusion_tui`. `lightpath_utilization` and `link_usage` are the last iteration's,
        as in FUSION."""
        mean, var = mean_variance(self.blocking)
        br_mean, br_var = mean_variance(self.bit_rate_blocking)
        rate, percent = self.fusion_ci
        br_rate, br_percent = fusion_interval(self.bit_rate_blocking)
        ci, br_ci = self.ci, self.bit_rate_ci
        fusion_statistics: dict[str, float | None] = {
            "blocking_mean": mean,
            "blocking_variance": var,
            "ci_rate_block": rate,
            "ci_percent_block": percent,
            "bit_rate_blocking_mean": br_mean,
            "bit_rate_blocking_variance": br_var,
            "ci_rate_bit_rate_block": br_rate,
            "ci_percent_bit_rate_block": br_percent,
        }
        if not statistics:
            fusion_statistics = dict.fromkeys(fusion_statistics)
        rest = {
            **fusion_statistics,
            "lightpath_utilization": self.utilisation,
            "sim_end_time": end_time,
            "fusion_tui": {
                "erlang": self.erlang, "iterations": self.iterations,
                "blocking_mean": mean, "bit_rate_blocking_mean": br_mean,
                "ci95_half_width": ci,
                "ci95_low": None if ci is None else max(0.0, mean - ci),
                "ci95_high": None if ci is None else mean + ci,
                "bit_rate_ci95_half_width": br_ci,
                "bit_rate_ci95_low": None if br_ci is None else max(0.0, br_mean - br_ci),
                "bit_rate_ci95_high": None if br_ci is None else br_mean + br_ci,
                **extras,
            },
        }
        iterations = ",\n".join(f'    "{i}": {entry}' for i, entry in enumerate(self.entries))
        lines = ['  "iter_stats": ' + ("{\n" + iterations + "\n  }" if iterations else "{}"),
                 '  "link_usage": ' + self.link_usage]
        lines += [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in rest.items()]
        return "{\n" + ",\n".join(lines) + "\n}"
