"""The comparison's statistics against SciPy (the reference, in tests only): the paired
t-test and its interval (ttest_rel), Welch's test and its interval (ttest_ind with
equal_var=False), the effect sizes by their formulas, Holm's correction against its
definition and hand-computed values, the seeds a target width needs; and the table's
Markdown and LaTeX renderings (escaping, structure, pdflatex when it is installed)."""

from __future__ import annotations

import math
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion_tui.comparison.stats import (
    holm,
    paired,
    seeds_for_width,
    spread_of,
    welch_difference,
)
from fusion_tui.comparison.table import (
    ResultTable,
    TableCell,
    TableColumn,
    TableRow,
    mark_for,
    percent_text,
    render_text,
)
from fusion_tui.comparison.table_formats import latex_escape, render_latex, render_markdown

scipy_stats = pytest.importorskip("scipy.stats")

# Blocking of two algorithms on the same five seeds: the seeds' traffic moves both alike.
FIRST_FIT = [0.1812, 0.1644, 0.2031, 0.1755, 0.1929]
BEST_FIT = [0.1702, 0.1570, 0.1935, 0.1681, 0.1818]
SAMPLES = [
    (FIRST_FIT, BEST_FIT),
    ([0.39, 0.41, 0.38, 0.40], [0.31, 0.35, 0.30, 0.33]),
    ([1e-4, 3e-4, 2e-4, 5e-4, 1e-4, 2e-4], [2e-4, 2e-4, 4e-4, 5e-4, 3e-4, 1e-4]),
]


@pytest.mark.parametrize(("a", "b"), SAMPLES)
def test_paired_matches_scipy_ttest_rel(a: list[float], b: list[float]) -> None:
    ours = paired(a, b)
    ref = scipy_stats.ttest_rel(a, b)
    low, high = ref.confidence_interval(0.95)
    assert ours.test == "paired" and ours.n == len(a) and ours.effect_name == "d_z"
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.difference == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
    assert (ours.low, ours.high) == pytest.approx((low, high), rel=1e-9)
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    assert ours.effect == pytest.approx(statistics.fmean(diffs) / statistics.stdev(diffs))


@pytest.mark.parametrize(("a", "b"), [*SAMPLES, ([0.2, 0.25, 0.22], [0.1, 0.3, 0.12, 0.4, 0.2])])
def test_welch_matches_scipy_ttest_ind_unequal_variances(a: list[float], b: list[float]) -> None:
    ours = welch_difference(a, b)
    ref = scipy_stats.ttest_ind(a, b, equal_var=False)
    low, high = ref.confidence_interval(0.95)
    assert ours.test == "welch" and ours.effect_name == "d"
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (ours.low, ours.high) == pytest.approx((low, high), rel=1e-9)
    pooled = math.sqrt(((len(a) - 1) * statistics.variance(a) + (len(b) - 1)
                        * statistics.variance(b)) / (len(a) + len(b) - 2))
    assert ours.effect == pytest.approx((statistics.fmean(a) - statistics.fmean(b)) / pooled)


def test_common_random_numbers_narrow_the_interval() -> None:
    """The point of pairing: the same runs' difference is far better known paired."""
    on_pairs, apart = paired(FIRST_FIT, BEST_FIT), welch_difference(FIRST_FIT, BEST_FIT)
    assert on_pairs.low is not None and on_pairs.high is not None
    assert apart.low is not None and apart.high is not None
    assert (on_pairs.high - on_pairs.low) * 5 < apart.high - apart.low
    assert on_pairs.p_value is not None and on_pairs.p_value < 0.001 < 0.05 < (apart.p_value or 0)


def test_undefined_tests_have_no_p_value() -> None:
    same = paired([0.1, 0.2, 0.3], [0.1, 0.2, 0.3])
    assert same.p_value is None and same.low is None and same.difference == 0
    assert paired([0.1], [0.2]).p_value is None
    assert welch_difference([0.1], [0.2, 0.3]).low is None
    with pytest.raises(ValueError):
        paired([0.1, 0.2], [0.1])


def _holm_by_definition(p: list[float], alpha: float) -> list[bool]:
    """Holm's procedure as stated: test the k-th smallest p at alpha / (m - k + 1), stop at
    the first that fails; reject the ones before it."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    rejected = [False] * len(p)
    for k, i in enumerate(order):
        if p[i] > alpha / (len(p) - k):
            break
        rejected[i] = True
    return rejected


def test_holm_on_hand_computed_values() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.02]) == [0.02]
    assert holm([None, 0.01, 0.04]) == [None, 0.02, 0.04]  # None is not a test
    assert holm([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=1, max_size=12),
       st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_adjusted_p_rejects_what_the_procedure_rejects(p: list[float], alpha: float) -> None:
    adjusted = holm(p)
    assert [a is not None and a <= alpha for a in adjusted] == _holm_by_definition(p, alpha)
    assert all(a is not None and raw <= a <= 1.0 for raw, a in zip(p, adjusted, strict=True))


def test_seeds_for_width_is_the_fewest_that_reach_it() -> None:
    values = [0.181, 0.164, 0.203, 0.175]
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    for target in (0.05, 0.2, 0.5):
        n = seeds_for_width(values, target)
        assert n is not None

        def width(k: int) -> float:
            return float(2 * scipy_stats.t.ppf(0.975, k - 1) * sd / math.sqrt(k) / mean)
        assert width(n) <= target and (n == 2 or width(n - 1) > target)
    assert seeds_for_width([0.1], 0.05) is None and seeds_for_width([0.0, 0.0], 0.05) is None


def test_spreads() -> None:
    values = [0.1, 0.2, 0.4]
    assert spread_of(values, "minmax") == (0.1, 0.4)
    sd = statistics.stdev(values)
    assert spread_of(values, "sd") == pytest.approx((statistics.fmean(values) - sd,
                                                     statistics.fmean(values) + sd))
    low, high = spread_of(values, "interval")
    ref = scipy_stats.t.interval(0.95, 2, loc=statistics.fmean(values),
                                 scale=sd / math.sqrt(3))
    assert (low, high) == pytest.approx(ref)
    assert spread_of([0.3], "sd") == (None, None)


def test_marks_and_percentages_follow_the_digit_rule() -> None:
    assert [mark_for(p) for p in (0.0004, 0.004, 0.04, 0.06, None)] == \
        ["***", "**", "*", "", ""]
    assert percent_text(-0.23, -0.27, -0.19) == "-23.0% [-27.0%, -19.0%]"
    assert percent_text(-0.189, -0.2196, -0.1584) == "-18.9% [-22.0%, -15.8%]"
    assert percent_text(0.02, None, None) == "2.000%"


def _table() -> ResultTable:
    """A table as build_table makes it, with hostile group labels (from configs)."""
    def cell(mean: float, low: float, high: float, rel: str = "", mark: str = "") -> TableCell:
        return TableCell(mean, low, high, 4, f"{mean:.3f}", f"[{low:.3f}, {high:.3f}]",
                         "", rel, mark, None)
    columns = [TableColumn("k_paths=1", "baseline", True),
               TableColumn("name=a|b & 50% $x_1$ \\cmd{} #~^", "pools m=1,2", False)]
    rows = [TableRow(100.0, [cell(0.179, 0.161, 0.198), cell(0.107, 0.094, 0.121,
                                                               "-40% [-56%, -24%]", "**")]),
            TableRow(300.0, [cell(0.394, 0.381, 0.407), TableCell(None, None, None, 0, "-", "",
                                                                  "", "", "", None)])]
    return ResultTable("blocking by k_paths | name", "blocking", "interval", columns, rows, 0,
                       True, ["* p < 0.05, ** p < 0.01 (Holm)", "tests: paired (4 seeds)"])


def test_markdown_table_escapes_labels_and_keeps_its_columns() -> None:
    text = render_markdown(_table())
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 + 2 * 2  # header, rule, per load: values and differences
    for line in table_lines:  # an unescaped | would add a column
        assert len(line.replace("\\|", "").split("|")) == 2 + 3
    assert "name=a\\|b & 50% $x\\_1$ \\\\cmd\\{\\} \\#\\~^ (pools m=1,2)" in text
    assert "| 100 | 0.179 \\[0.161, 0.198\\] | 0.107 \\[0.094, 0.121\\] \\*\\* |" in text
    assert "| vs baseline |  | -40% \\[-56%, -24%\\] |" in text


def test_latex_table_is_booktabs_escaped_and_compiles(tmp_path: Path) -> None:
    text = render_latex(_table(), caption="Blocking & more", label="tab:blocking")
    assert latex_escape("a&b_c%$#{}~^\\") == \
        r"a\&b\_c\%\$\#\{\}\textasciitilde{}\textasciicircum{}\textbackslash{}"
    assert r"\toprule" in text and r"\midrule" in text and r"\bottomrule" in text
    assert r"\begin{tabular}{rrr}" in text and r"\caption{Blocking \& more}" in text
    assert r"0.107 [0.094, 0.121]$^{**}$" in text and r"$-$40\% [$-$56\%, $-$24\%]" in text
    assert text.count(r"\begin{") == text.count(r"\end{")
    body = text.split(r"\midrule")[1].split(r"\bottomrule")[0]
    assert all(line.count("&") == 2 for line in body.strip().splitlines())
    if shutil.which("pdflatex") is None:
        pytest.skip("no pdflatex: structure checked only")
    document = tmp_path / "t.tex"
    document.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n"
                        "\\begin{document}\n" + text + "\\end{document}\n")
    built = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                            "-no-shell-escape", document.name], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout[-2000:]
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")


def test_text_table_has_a_row_per_load_and_the_legend() -> None:
    text = render_text(_table())
    lines = text.splitlines()
    assert lines[0] == "blocking by k_paths | name"
    assert lines[1].split()[:3] == ["Load", "(Erlang)", "k_paths=1"]
    assert lines[3].startswith("100") and "0.107 [0.094, 0.121] **" in lines[3]
    assert lines[4].startswith("  vs baseline") and lines[4].endswith("-40% [-56%, -24%]")
    assert lines[5].startswith("300") and lines[5].rstrip().endswith("-")
    assert lines[-1] == "tests: paired (4 seeds)"


@pytest.mark.parametrize("df", [1.0, 1.37, 2.5, 4.0, 7.93, 24.98, 120.4, 1e4 + 0.5])
def test_critical_value_for_any_degrees_of_freedom(df: float) -> None:
    from fusion_tui.comparison.stats import t95

    assert t95(df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-12)


def _runs(groups: int, seeds: tuple[int, ...]) -> list[Any]:
    """In-memory runs (not stored) with results, `groups` values of k_paths x seeds."""
    from fusion_tui.comparison.compare import RunData
    from fusion_tui.runs.results import LoadResult
    from fusion_tui.store.models import Run

    out = []
    for k in range(1, groups + 1):
        for seed in seeds:
            run = Run(id=f"{k:04d}{seed:08d}", seed=seed, run_dir="/nonexistent",
                      config_json="{}", simulator="builtin", provenance_json=None)
            value = 0.01 * k + 0.001 * seed + 0.0001 * ((k * seed) % 3)
            out.append(RunData(run, {"routing_settings.k_paths": str(k)},
                               {100.0: LoadResult(100.0, {"blocking": value}, {}, 2)}))
    return out


def test_many_groups_are_tested_against_the_first_and_few_in_all_pairs() -> None:
    from fusion_tui.comparison.compare import MAX_PAIRWISE, compare

    few = compare(_runs(4, (1, 2, 3)), keys=["routing_settings.k_paths"])
    assert few.family == "all pairs" and len(few.tests) == 6
    assert {(t.a, t.b) for t in few.tests} == {(a, b) for a in range(4) for b in range(a + 1, 4)}
    many = compare(_runs(MAX_PAIRWISE + 2, (1, 2, 3)), keys=["routing_settings.k_paths"])
    assert many.family.startswith(f"each group against G1 ({MAX_PAIRWISE + 2} groups")
    assert [(t.a, t.b) for t in many.tests] == [(i, 0) for i in range(1, MAX_PAIRWISE + 2)]
    assert [t.p_adjusted for t in many.tests] == holm([t.p_value for t in many.tests])
    chosen = compare(_runs(MAX_PAIRWISE + 2, (1, 2, 3)), keys=["routing_settings.k_paths"],
                     baseline="k_paths=3")
    assert chosen.baseline == 2 and chosen.family == "each group against the baseline"
    assert all(t.b == 2 for t in chosen.tests) and len(chosen.tests) == MAX_PAIRWISE + 1


def test_text_table_shows_terminal_escapes_in_labels_as_text() -> None:
    from dataclasses import replace

    table = _table()
    hostile = replace(table, columns=[TableColumn("k=\x1b[31mred\x1b]52;c;eA==\x07", "", True),
                                      table.columns[1]])
    text = render_text(hostile)
    assert "\x1b" not in text and "\x07" not in text and "red" in text.splitlines()[1]
    assert "\x1b" not in render_markdown(hostile) and "\x1b" not in render_latex(hostile)
