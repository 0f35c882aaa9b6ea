"""Statistics over iterations of one Erlang point, with FUSION's meaning for FUSION's keys.

FUSION's `ci_rate_block` is the half-width of a 90% normal interval, 1.645 * s / sqrt(n),
and `ci_percent_block` is 2 * ci_rate_block / mean * 100; FUSION ends a load once that
is at most 5 (after two iterations or more, blocking above 0). Our own 95% interval
(Student's t) is written under the `fusion_tui` key, never under FUSION's names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fusion_tui.sim.engine import IterationResult
from fusion_tui.sim.student_t import t_critical

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
    """Accumulated results of one Erlang load."""

    erlang: float
    results: list[IterationResult] = field(default_factory=list)

    def add(self, result: IterationResult) -> None:
        self.results.append(result)

    @property
    def blocking(self) -> list[float]:
        return [r.blocking for r in self.results]

    @property
    def bit_rate_blocking(self) -> list[float]:
        return [r.bit_rate_blocking for r in self.results]

    @property
    def mean(self) -> float:
        return mean_variance(self.blocking)[0]

    @property
    def ci(self) -> float | None:
        return ci_half_width(self.blocking)

    @property
    def fusion_ci(self) -> tuple[float, float]:
        return fusion_interval(self.blocking)

    def reached_fusion_target(self) -> bool:
        """FUSION's early stop: its interval is at most 5% of the mean."""
        rate, percent = self.fusion_ci
        return len(self.results) >= 2 and rate >= 0 and self.mean > 0 \
            and percent <= FUSION_STOP_PERCENT

    def to_fusion_json(self, link_names: tuple[str, ...], end_time: str,
                       extras: dict[str, object], *,
                       statistics: bool = True) -> dict[str, object]:
        """The per-Erlang result document: FUSION's keys with FUSION's meaning, and ours
        under `fusion_tui`. Without `statistics` (FUSION's `is_training`) FUSION's eight
        blocking statistics are null, as FUSION writes them; our means stay under
        `fusion_tui`."""
        mean, var = mean_variance(self.blocking)
        br_mean, br_var = mean_variance(self.bit_rate_blocking)
        rate, percent = self.fusion_ci
        br_rate, br_percent = fusion_interval(self.bit_rate_blocking)
        ci = self.ci
        usage = [0] * len(link_names)
        throughput = [0.0] * len(link_names)
        for r in self.results:
            for i, count in enumerate(r.link_usage):
                usage[i] += count
                throughput[i] += r.link_throughput[i]
        requests = sum(r.requests for r in self.results)
        accepted = sum(r.accepted for r in self.results)
        iter_stats: dict[str, dict[str, object]] = {}
        for i, r in enumerate(self.results):
            reasons = {"distance": r.distance_blocked / r.blocked if r.blocked else 0.0,
                       "congestion": r.congestion_blocked / r.blocked if r.blocked else 0.0,
                       "xt_threshold": 0.0}
            iter_stats[str(i)] = {
                "sim_block_list": self.blocking[: i + 1],
                "sim_br_block_list": self.bit_rate_blocking[: i + 1],
                "mods_used_dict": r.mods_used,
                "block_reasons_dict": reasons,
                "hops_mean": r.hops_mean,
                "lengths_mean": r.lengths_mean,
                "fusion_tui": {"requests": r.requests, "blocked": r.blocked,
                               "blocked_distance": r.distance_blocked,
                               "blocked_congestion": r.congestion_blocked,
                               "sliced": r.sliced,
                               "sliced_after_failed_try": r.sliced_late},
            }
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
        return {
            **fusion_statistics,
            "lightpath_utilization": accepted / requests if requests else 0.0,
            "link_usage": {
                name: {"usage_count": usage[i], "throughput": throughput[i], "link_num": i}
                for i, name in enumerate(link_names)
            },
            "sim_end_time": end_time,
            "iter_stats": iter_stats,
            "fusion_tui": {
                "erlang": self.erlang, "iterations": len(self.results),
                "blocking_mean": mean, "bit_rate_blocking_mean": br_mean,
                "ci95_half_width": ci,
                "ci95_low": None if ci is None else max(0.0, mean - ci),
                "ci95_high": None if ci is None else mean + ci,
                **extras,
            },
        }
