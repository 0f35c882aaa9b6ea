"""Numbers for people: a blocking probability and its interval, in as many digits as
the interval warrants. Plain Python, so the CLI's listings use the rule the app uses
(`tui.format` gives it to the app) without loading Rich."""

from __future__ import annotations

import math


def blocking_numbers(mean: float, low: float | None, high: float | None) -> tuple[str, str]:
    """A blocking probability and its interval as `("0.118", "[0.112, 0.120]")`: as many
    decimals as the interval's width warrants, trailing zeros kept (`-` for no interval;
    three significant digits without one). The one rule for these numbers on screen."""
    width = None if low is None or high is None else high - low
    if width is None or not width > 0 or not math.isfinite(width):
        interval = "-" if width is None else f"[{low:.3g}, {high:.3g}]"
        return f"{mean:.3g}", interval
    decimals = -math.floor(math.log10(width))
    if decimals > 5:  # tiny numbers: the same digits in scientific notation
        digits = max(0, math.floor(math.log10(abs(mean))) + decimals if mean else 0)
        shown = [f"{v:.{digits}e}" for v in (mean, low, high)]
    else:
        shown = [f"{v:.{max(0, decimals)}f}" for v in (mean, low, high)]
    return shown[0], f"[{shown[1]}, {shown[2]}]"
