"""The report's figure rules on a drawn matplotlib figure: log ticks that read (10^k at
decades, plain decimals within less than two decades, never "2.2 x 10^-1"), bars dodged
apart, series that differ without colour, a legend that fits, no title by default."""

from __future__ import annotations

from typing import Any

import pytest

from fusion_tui.comparison.compare import Comparison, Group, GroupPoint
from fusion_tui.comparison.stats import Summary
from fusion_tui.report.escape import latex_text, markdown_code_block, markdown_text
from fusion_tui.report.figures import (
    _draw,
    _mathtext_literal,
    decimal_text,
    dodge_offsets,
    legend_columns,
    legend_labels,
    step_decimals,
)
from fusion_tui.report.sizes import SIZES, series_style

matplotlib = pytest.importorskip("matplotlib")


def _comparison(levels: list[float], groups: int = 3) -> Comparison:
    """`groups` groups over loads 100..len(levels)*100 at `levels` (x 1.1^g), +-10%."""
    out = []
    for g in range(groups):
        points = [GroupPoint(100.0 * (i + 1), Summary(m * 1.1**g, m * 1.1**g * 0.9,
                                                      m * 1.1**g * 1.1, 5), "runs",
                             (m * 1.1**g * 0.9, m * 1.1**g * 1.1))
                  for i, m in enumerate(levels)]
        out.append(Group(f"k_paths={g + 1} $x$", {}, [], points))
    return Comparison("blocking", ["routing_settings.k_paths"], out, [], [], [])


def _labels(levels: list[float], groups: int = 3) -> tuple[list[str], Any]:
    fig, _ = _draw(_comparison(levels, groups), SIZES["column"], None, _mathtext_literal)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()
              if t.get_text() and ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
    return labels, fig


def test_ticks_over_decades_are_powers_of_ten() -> None:
    labels, fig = _labels([1e-4, 1e-3, 1e-2, 5e-2])
    assert labels and all(t.startswith("$\\mathdefault{10^{") for t in labels), labels
    assert fig.axes[0].get_title() == ""


@pytest.mark.parametrize("levels", [[0.12, 0.15, 0.2, 0.25], [0.011, 0.013, 0.016],
                                    [0.002, 0.005, 0.009, 0.015], [0.00126, 0.00127]])
def test_ticks_within_two_decades_are_plain_decimals(levels: list[float]) -> None:
    labels, _ = _labels(levels)
    assert len(labels) >= 2, labels
    assert all("10^" not in t and "times" not in t and "e-" not in t for t in labels), labels
    assert all(float(t) > 0 for t in labels)


def test_a_narrow_range_gets_even_ticks_written_exactly() -> None:
    labels, _ = _labels([0.00126, 0.00127], groups=1)
    assert labels == ["0.00100", "0.00125", "0.00150"]
    assert step_decimals(0.00025) == 5 and step_decimals(0.1) == 1 and step_decimals(2) == 0


def test_decimal_text_is_plain() -> None:
    assert [decimal_text(v) for v in (0.2, 0.05, 0.002, 1.0, 20.0, 0.00015)] == [
        "0.2", "0.05", "0.002", "1", "20", "0.00015"]


def test_bars_are_dodged_within_the_gap_between_loads() -> None:
    offsets = dodge_offsets([100.0, 200.0, 300.0], 4)
    assert len(set(offsets)) == 4 and sum(offsets) == pytest.approx(0)
    assert max(offsets) - min(offsets) <= 100 * 0.4 + 1e-9
    assert dodge_offsets([100.0], 1) == [0.0]
    fig, _ = _draw(_comparison([0.01, 0.02, 0.03]), SIZES["page"], None, _mathtext_literal)
    xs = [tuple(line.get_xdata()) for line in fig.axes[0].get_lines() if line.get_marker()
          not in ("", "None", "_")]
    assert len({x[0] for x in xs}) == 3  # three groups, three x positions at one load


def test_series_differ_in_marker_and_line_style_not_only_colour() -> None:
    looks = [series_style(i) for i in range(8)]
    assert len({(s.marker, str(s.line)) for s in looks}) == 8
    assert len({s.marker for s in looks}) == 8


def test_legend_shows_the_grouping_keys_once_and_each_groups_values() -> None:
    groups = [Group("k_paths=1 allocation_method=a", {"r.k_paths": "1", "g.allocation_method":
                                                      "a"}),
              Group("k_paths=3 allocation_method=", {"r.k_paths": "3",
                                                     "g.allocation_method": ""})]
    assert legend_labels(["r.k_paths", "g.allocation_method"], groups) == (
        "k_paths, allocation_method", ["1, a", "3, -"])
    assert legend_labels([], [Group("all runs", {})]) == ("", ["all runs"])


def test_legend_columns_fit_the_labels_in_the_width() -> None:
    short, long = ["a=1", "a=2", "a=3", "a=4"], ["allocation_method=first_fit k=1"] * 4
    assert legend_columns(short, SIZES["column"]) == 4
    assert legend_columns(long, SIZES["column"]) == 1
    assert 1 < legend_columns(long, SIZES["page"]) < 4


def test_text_from_configs_is_literal_in_each_format() -> None:
    assert _mathtext_literal("cost $5$") == r"cost \$5\$"
    assert latex_text("a_b & 50% #1 {x} ~ ^ \\ --set") == (
        r"a\_b \& 50\% \#1 \{x\} \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} -{}-{}set")
    assert markdown_text("a|b *c* `d` [e](f) <g>") == (
        r"a\|b \*c\* \`d\` \[e\](f) \<g\>")
    block = markdown_code_block(["echo '```'"])
    assert block.startswith("````sh\n") and block.endswith("\n````")
