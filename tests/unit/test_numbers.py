"""The one rule for printing results: decimals from the interval's width (its 2
significant digits), the same decimals for the mean and both ends, trailing zeros kept;
4 significant digits without an interval. The examples are the ones users reported."""

from __future__ import annotations

import doctest

import pytest

from fusion_tui.base import numbers
from fusion_tui.base.numbers import (
    decimals_for,
    difference_text,
    interval_text,
    p_statement,
    p_value_text,
    value_text,
)


def test_the_reported_intervals_print_with_the_same_decimals_at_both_ends() -> None:
    # Reported as `[0.1124, 0.12]` and `[0.136, 0.1423]`.
    assert interval_text(0.1124, 0.12) == "[0.1124, 0.1200]"
    assert interval_text(0.136, 0.1423) == "[0.1360, 0.1423]"
    assert value_text(0.1162, 0.1124, 0.12) == "0.1162"
    assert value_text(0.13916, 0.136, 0.1423) == "0.1392"


def test_the_reported_cells_print_with_four_significant_digits() -> None:
    # Reported as `0.2` / `0.19` / `0.196`: no interval, so the default rule.
    assert [value_text(v) for v in (0.2, 0.19, 0.196)] == ["0.2000", "0.1900", "0.1960"]


@pytest.mark.parametrize(("low", "high", "decimals"), [
    (0.1124, 0.12, 4),     # width 0.0076
    (0.10, 0.15, 3),       # width 0.050
    (0.0, 0.0012, 4),      # width 0.0012
    (0.2, 0.299, 3),       # width 0.099
    (0.2, 0.3, 2),         # width 0.10
    (1.0, 4.0, 1),         # width 3.0
    (10.0, 90.0, 0),       # width 80: never negative decimals
    (0.5, 0.5 + 1e-15, numbers.MAX_DECIMALS),  # float noise: capped
])
def test_decimals_show_the_width_to_two_significant_digits(
        low: float, high: float, decimals: int) -> None:
    assert decimals_for(high - low) == decimals
    shown = interval_text(low, high)
    assert all(len(end.partition(".")[2]) == decimals for end in shown[1:-1].split(", "))


def test_the_mean_and_both_ends_share_the_decimals_and_zero_keeps_them() -> None:
    assert (value_text(0.0, 0.0, 0.0012), interval_text(0.0, 0.0012)) == \
        ("0.0000", "[0.0000, 0.0012]")
    assert value_text(0.0) == "0"  # blocking exactly 0 without an interval


def test_tiny_values_are_never_printed_as_zero() -> None:
    assert value_text(1e-5) == "0.00001000"
    assert interval_text(0.8e-5, 1.2e-5) == "[0.0000080, 0.0000120]"
    assert value_text(1e-5, 0.8e-5, 1.2e-5) == "0.0000100"
    assert value_text(1e-15) == "1.000e-15"


def test_no_interval_or_a_zero_width_falls_back_to_the_default() -> None:
    assert value_text(0.25, 0.25, 0.25) == "0.2500"
    assert interval_text(0.25, 0.25) == "[0.2500, 0.2500]"
    assert value_text(0.25, None, None) == "0.2500"
    assert (value_text(None), interval_text(None, None)) == ("-", "-")


def test_differences_and_p_values() -> None:
    # A difference reads against the means it subtracts: the finer of their decimals.
    assert difference_text(0.1162 - 0.13916, (0.1124, 0.12), (0.10, 0.15)) == "-0.0230"
    assert difference_text(-0.00001, (0.1, 0.2)) == "0.00"  # never "-0.00"
    assert difference_text(0.0123) == "0.01230"
    assert [p_value_text(p) for p in (0.0213, 1.0, 0.0004, None)] == \
        ["0.021", "1.000", "<0.001", "-"]
    assert [p_statement(p) for p in (0.0213, 0.0004, None)] == \
        ["p = 0.021", "p < 0.001", "p = -"]


def test_the_docstring_examples_hold() -> None:
    failed, tried = doctest.testmod(numbers)
    assert tried > 0 and failed == 0
