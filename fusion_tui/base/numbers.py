"""How results (blocking probabilities, their means and 95% intervals) are printed for
people: one rule for the app, `compare` and `show`, so the same number reads the same
everywhere. Exports and `--json` keep full precision; this is display text only.

The rule:
- With an interval, the number of decimals is the one that shows the interval's width
  to 2 significant digits, and the mean and both ends get those same decimals, trailing
  zeros kept: [0.1124, 0.12] (width 0.0076) prints as `0.1162 [0.1124, 0.1200]`.
- Without an interval (one iteration, a sweep cell, a zero-width interval), 4
  significant digits, trailing zeros kept: 0.2, 0.19 and 0.196 print as `0.2000`,
  `0.1900` and `0.1960`; 1e-5 as `0.00001000`.
- Exactly zero is `0` without an interval; with one, zero gets the interval's decimals
  (`0.0000 [0.0000, 0.0012]`).
- Never more than `MAX_DECIMALS` decimals (no float noise from a near-zero width); a
  nonzero value too small for them prints in scientific notation (`1.000e-15`), never
  as zero.
"""

from __future__ import annotations

import math

WIDTH_DIGITS = 2  # significant digits of an interval's width
DEFAULT_DIGITS = 4  # significant digits of a value without an interval
MAX_DECIMALS = 12
P_FLOOR = 0.001  # p-values below this print as `<0.001`


def decimals_for(width: float) -> int | None:
    """Decimals that show `width` to 2 significant digits (None for a width that is
    not positive or not finite: then the default rule applies).

    >>> decimals_for(0.0076), decimals_for(0.0063), decimals_for(0.05), decimals_for(3.0)
    (4, 4, 3, 1)
    >>> decimals_for(0.0) is None
    True
    """
    if not math.isfinite(width) or width <= 0:
        return None
    return min(MAX_DECIMALS, max(0, WIDTH_DIGITS - 1 - math.floor(math.log10(width))))


def default_decimals(value: float) -> int | None:
    """Decimals that show `value` to 4 significant digits; None when even
    `MAX_DECIMALS` cannot show it (zero and too-small values are handled by callers).

    >>> default_decimals(0.196), default_decimals(0.2), default_decimals(1e-5)
    (4, 4, 8)
    """
    if value == 0 or not math.isfinite(value):
        return None
    decimals = max(0, DEFAULT_DIGITS - 1 - math.floor(math.log10(abs(value))))
    return decimals if decimals <= MAX_DECIMALS else None


def fixed(value: float, decimals: int) -> str:
    """`value` with exactly `decimals` decimals; never `-0.000`.

    >>> fixed(0.12, 4), fixed(-0.00001, 3)
    ('0.1200', '0.000')
    """
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def _plain(value: float) -> str:
    """A value on its own: 4 significant digits, trailing zeros kept."""
    if value == 0:
        return "0"
    decimals = default_decimals(value)
    if decimals is None:
        return f"{value:.{DEFAULT_DIGITS - 1}e}" if math.isfinite(value) else str(value)
    return fixed(value, decimals)


def value_text(value: float | None, low: float | None = None,
               high: float | None = None) -> str:
    """A mean with the decimals of its interval [low, high], or 4 significant digits
    without one; `-` for no value.

    >>> value_text(0.1162, 0.1124, 0.12), value_text(0.196), value_text(0.0), value_text(None)
    ('0.1162', '0.1960', '0', '-')
    >>> value_text(1e-5), value_text(1e-15)
    ('0.00001000', '1.000e-15')
    """
    if value is None:
        return "-"
    decimals = None if low is None or high is None else decimals_for(high - low)
    return _plain(value) if decimals is None else fixed(value, decimals)


def interval_text(low: float | None, high: float | None) -> str:
    """`[low, high]`, both ends with the decimals chosen from the width; `-` for none.

    >>> interval_text(0.1124, 0.12), interval_text(0.136, 0.1423)
    ('[0.1124, 0.1200]', '[0.1360, 0.1423]')
    >>> interval_text(0.0, 0.0012), interval_text(0.25, 0.25), interval_text(None, None)
    ('[0.0000, 0.0012]', '[0.2500, 0.2500]', '-')
    """
    if low is None or high is None:
        return "-"
    decimals = decimals_for(high - low)
    if decimals is None:
        return f"[{_plain(low)}, {_plain(high)}]"
    return f"[{fixed(low, decimals)}, {fixed(high, decimals)}]"


def difference_text(difference: float, *intervals: tuple[float | None, float | None]) -> str:
    """A difference of two means, with the finer decimals of the two means' intervals
    (so that it reads against them); 4 significant digits when neither has one.

    >>> difference_text(-0.023, (0.1124, 0.12), (0.136, 0.1423))
    '-0.0230'
    """
    known = [d for low, high in intervals if low is not None and high is not None
             if (d := decimals_for(high - low)) is not None]
    return fixed(difference, max(known)) if known else _plain(difference)


def p_value_text(p: float | None) -> str:
    """A p-value to 3 decimals, `<0.001` below that; `-` when there is none.

    >>> p_value_text(0.0213), p_value_text(0.5), p_value_text(2e-7), p_value_text(None)
    ('0.021', '0.500', '<0.001', '-')
    """
    if p is None:
        return "-"
    return f"<{P_FLOOR:g}" if p < P_FLOOR else f"{p:.3f}"


def p_statement(p: float | None) -> str:
    """`p = 0.021` or `p < 0.001` (`p = -` when there is none), for running text.

    >>> p_statement(0.0213), p_statement(2e-7)
    ('p = 0.021', 'p < 0.001')
    """
    text = p_value_text(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"
