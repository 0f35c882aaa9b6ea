"""A run's result as the run list caches it (`Run.result_load`, `result_blocking`,
`result_low`, `result_high`): the mean blocking at its last load with its interval.

Empty columns mean nobody has looked yet. A finished run whose folder held no result is
marked once with `NONE_FOUND` as its load, so its files are not read again on every
refresh (a load is never negative). Plain Python: the app's first frame reads these
columns before SQLAlchemy loads.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE_FOUND = -1.0


@dataclass(frozen=True)
class CachedResult:
    """The mean blocking at `load` (Erlang) and its 95% interval (None when it has none)."""

    load: float
    blocking: float
    low: float | None = None
    high: float | None = None

    def columns(self) -> dict[str, float | None]:
        return {"result_load": self.load, "result_blocking": self.blocking,
                "result_low": self.low, "result_high": self.high}


NOTHING_FOUND_COLUMNS = {"result_load": NONE_FOUND, "result_blocking": None,
                         "result_low": None, "result_high": None}


def cached_result(load: float | None, blocking: float | None, low: float | None,
                  high: float | None) -> CachedResult | None:
    """The cached result held by the four columns; None when there is none (yet)."""
    if load is None or blocking is None or load == NONE_FOUND:
        return None
    return CachedResult(load, blocking, low, high)


def looked(load: float | None) -> bool:
    """Whether the run's result files have been read (found or not)."""
    return load is not None
