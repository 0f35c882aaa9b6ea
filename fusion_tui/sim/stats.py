"""Statistics over iterations of one Erlang point: mean, variance, 95% confidence interval
(Student's t), and the aggregates written to FUSION's per-Erlang result file."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fusion_tui.sim.engine import IterationResult

# Two-sided 95% critical values of Student's t for 1..30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z95 = 1.959964


def t95(df: int) -> float:
    """Critical value for a 95% two-sided interval with `df` degrees of freedom."""
    if df < 1:
        return math.inf
    if df <= len(_T95):
        return _T95[df - 1]
    z = _Z95  # Cornish-Fisher expansion, accurate to ~1e-4 beyond 30 df
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


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
    def ci_percent(self) -> float | None:
        ci, mean = self.ci, self.mean
        if ci is None or mean <= 0:
            return None
        return ci / mean * 100.0

    def reached_target(self, target_percent: float) -> bool:
        percent = self.ci_percent
        return percent is not None and percent <= target_percent

    def to_fusion_json(self, link_names: tuple[str, ...], end_time: str) -> dict[str, object]:
        """The per-Erlang result document, with FUSION's top-level keys."""
        mean, var = mean_variance(self.blocking)
        br_mean, br_var = mean_variance(self.bit_rate_blocking)
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
            iter_stats[str(i)] = {
                "sim_block_list": self.blocking[: i + 1],
                "sim_br_block_list": self.bit_rate_blocking[: i + 1],
                "mods_used_dict": r.mods_used,
                "block_reasons_dict": {"distance": r.distance_blocked,
                                       "congestion": r.congestion_blocked},
                "hops_mean": r.hops_mean,
                "lengths_mean": r.lengths_mean,
                "num_requests": r.requests,
                "blocked_requests": r.blocked,
            }
        return {
            "erlang": self.erlang,
            "iterations": len(self.results),
            "blocking_mean": mean,
            "blocking_variance": var,
            "ci_rate_block": ci,
            "ci_percent_block": self.ci_percent,
            "bit_rate_blocking_mean": br_mean,
            "bit_rate_blocking_variance": br_var,
            "lightpath_utilization": accepted / requests if requests else 0.0,
            "link_usage": {
                name: {"usage_count": usage[i], "throughput": throughput[i], "link_num": i}
                for i, name in enumerate(link_names)
            },
            "sim_end_time": end_time,
            "iter_stats": iter_stats,
        }
