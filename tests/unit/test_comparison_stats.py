"""Student's t and Welch's test against closed forms and published values, and the
grid parser's splitting of list-valued settings."""

from __future__ import annotations

import math

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.comparison.stats import summarize, welch
from fusion_tui.sim.student_t import t_critical, t_two_sided_p
from fusion_tui.sweeps.grid import Grid, parse_axis, parse_seeds, split_values


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0, 3.0, 12.7, 100.0])
def test_t_with_one_degree_of_freedom_is_cauchy(t: float) -> None:
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), abs=1e-12)


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5])
def test_t_with_two_degrees_of_freedom_has_its_closed_form(t: float) -> None:
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), abs=1e-12)


@pytest.mark.parametrize(("df", "critical"), [
    (1, 12.706204736174698), (2, 4.302652729911275), (5, 2.570581835636314),
    (10, 2.228138851986274), (30, 2.042272456301238), (120, 1.979930405082423)])
def test_critical_values_match_published_ones(df: int, critical: float) -> None:
    assert t_critical(df) == pytest.approx(critical, rel=1e-9)


def test_welch_on_a_textbook_pair() -> None:
    # Unequal sizes and spreads: t and df by the Welch-Satterthwaite formulas.
    a, b = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0,
            21.7, 21.4], [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9,
                          22.1, 22.9, 20.5, 24.4]
    result = welch(a, b)
    assert result.t == pytest.approx(-2.46, abs=0.005)
    assert result.df == pytest.approx(24.98, abs=0.02)  # Wikipedia, Welch example 1
    assert result.p_value == pytest.approx(0.021, abs=0.0005)


def test_welch_without_spread_or_samples_has_no_p_value() -> None:
    assert welch([0.1, 0.1], [0.2, 0.2]).p_value is None
    assert welch([0.1], [0.2, 0.3]).p_value is None
    assert summarize([0.5]).low is None


def test_list_valued_settings_are_one_value() -> None:
    assert split_values('1,[2,3],{"a": 1, "b": 2},"x,y"') == \
        ["1", "[2,3]", '{"a": 1, "b": 2}', '"x,y"']
    axis = parse_axis('general_settings.request_distribution={"50": 1.0},{"100": 1.0}')
    assert axis.values == ('{"50": 1.0}', '{"100": 1.0}')
    with pytest.raises(ConfigError, match="unbalanced"):
        split_values("[1,2")


def test_seeds_and_grid_points() -> None:
    assert parse_seeds("1-3,7") == (1, 2, 3, 7)
    for bad in ("", "a", "-1", "1-", "²", "3-1", "1,1"):
        with pytest.raises(ConfigError):
            parse_seeds(bad)
    grid = Grid((parse_axis("a.k=1,2"), parse_axis("b.m=x,y,z")), (5, 6))
    points = grid.combinations()
    assert grid.size == len(points) == 12
    assert points[0] == {"a.k": "1", "b.m": "x", "builtin_settings.seed": "5"}
    assert points[-1] == {"a.k": "2", "b.m": "z", "builtin_settings.seed": "6"}
    with pytest.raises(ConfigError, match="at most"):
        Grid((parse_axis("a.k=" + ",".join(map(str, range(200)))),
              parse_axis("b.m=" + ",".join(map(str, range(60))))))


def test_chart_ticks_are_few_distinct_and_cover_the_values() -> None:
    """Two labels on one terminal row overwrite each other: ticks come from decades, the
    1-2-5 series or 1..9 per decade, always at least two, distinct, and the data range
    lies within them or they lie within it."""
    from fusion_tui.tui.widgets.comparison.chart import log_ticks

    for low, high in [(0.006, 0.1), (1e-5, 0.3), (0.011, 0.019), (0.05, 0.05), (0.2, 0.9)]:
        ticks = log_ticks(math.log10(low), math.log10(high))
        assert len(ticks) >= 2 and ticks == sorted(set(ticks))
        labels = [f"{10 ** t:.3g}" for t in ticks]
        assert len(set(labels)) == len(labels)
        assert len(ticks) <= 6, labels
        inside = all(math.log10(low) - 1e-9 <= t <= math.log10(high) + 1e-9 for t in ticks)
        around = ticks[0] <= math.log10(low) and ticks[-1] >= math.log10(high)
        assert inside or around, labels
    assert [f"{10 ** t:.3g}" for t in log_ticks(math.log10(0.006), math.log10(0.1))] == \
        ["0.01", "0.02", "0.05", "0.1"]
