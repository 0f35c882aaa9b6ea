"""The comparison as a paper's table: one row per load, one column per group, each cell the
mean with its spread, its difference to the reference group and a significance mark; and
its rendering as terminal text. Markdown and LaTeX renderings of the same model are in
`table_formats.py`. All numbers follow `base/numbers.py`'s digit rule.

Stable signatures (the report and the CLI call them; keep them):

    build_table(comparison: Comparison, *, title: str = "") -> ResultTable
    render_text(table: ResultTable) -> str
    table_formats.render_markdown(table: ResultTable) -> str
    table_formats.render_latex(table: ResultTable, *, caption: str | None = None,
                               label: str | None = None) -> str

`ResultTable.rows[i].cells[j]` is load `rows[i].erlang` of group `columns[j]`; a cell's
`mean`/`low`/`high` are numbers (low/high: the comparison's spread), `value`/`bounds`
their display text, `difference`/`relative` the text of mean(group) - mean(reference)
and of that difference over the reference's mean, each with its 95% interval ("" for
the reference itself, or with no reference), `mark` the significance mark (`*`, `**`,
`***`, or ""). The reference is the baseline when one was chosen, else the first group
(marks only; differences are shown against a chosen baseline). `legend` holds the lines
that explain the table (spread, marks, the tests used, pooled settings); renderers print
them under it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fusion_tui.base.numbers import (
    decimals_for,
    default_decimals,
    difference_text,
    fixed,
    interval_text,
    value_text,
)
from fusion_tui.base.textsafe import one_line
from fusion_tui.comparison.compare import Comparison, LoadTest

# Marks for Holm-adjusted p-values below each level, strongest first.
MARKS = (("***", 0.001), ("**", 0.01), ("*", 0.05))
MARK_LEGEND = "* p < 0.05, ** p < 0.01, *** p < 0.001"
SPREAD_NAMES = {"interval": "95% interval", "sd": "mean +- 1 sd", "minmax": "min-max"}
METRIC_NAMES = {"blocking": "blocking probability",
                "bit_rate_blocking": "bit-rate blocking probability"}


@dataclass(frozen=True)
class TableCell:
    mean: float | None
    low: float | None
    high: float | None
    n: int
    value: str  # "0.1162" ("-" for no result at this load)
    bounds: str  # "[0.1124, 0.1200]" ("" without one)
    difference: str  # "-0.0230 [-0.0270, -0.0190]" vs the baseline ("" when none)
    relative: str  # "-23% [-27%, -19%]" vs the baseline ("" when none)
    mark: str  # "***", "**", "*" or ""
    p_value: float | None  # Holm-adjusted, against the reference


@dataclass(frozen=True)
class TableColumn:
    label: str  # the group's label (data: renderers escape it)
    note: str  # "pools k_paths=1,3", "baseline", "" ...
    is_reference: bool


@dataclass(frozen=True)
class TableRow:
    erlang: float
    cells: list[TableCell]


@dataclass(frozen=True)
class ResultTable:
    title: str
    metric: str
    spread: str  # a key of SPREAD_NAMES
    columns: list[TableColumn]
    rows: list[TableRow]
    reference: int | None  # the column the marks (and differences) are against
    has_baseline: bool  # differences are shown (a baseline was chosen)
    legend: list[str]

    @property
    def erlang_header(self) -> str:
        return "Load (Erlang)"


def mark_for(p: float | None) -> str:
    """The significance mark of a (Holm-adjusted) p-value."""
    if p is None:
        return ""
    return next((mark for mark, level in MARKS if p < level), "")


def oriented(comparison: Comparison, a: int, b: int, erlang: float) -> LoadTest | None:
    """The test of group a against group b at a load, whichever way round it was made
    (a test of b against a is turned: its difference and interval negated)."""
    test = comparison.test_between(a, b, erlang)
    if test is not None:
        return test
    test = comparison.test_between(b, a, erlang)
    if test is None:
        return None
    result = test.result
    turned = replace(result, difference=-result.difference,
                     low=None if result.high is None else -result.high,
                     high=None if result.low is None else -result.low,
                     effect=None if result.effect is None else -result.effect)
    point = comparison.groups[b].point_at(erlang)
    return replace(test, a=a, b=b, result=turned,
                   reference=point.summary.mean if point else 0.0)


def percent_text(value: float, low: float | None, high: float | None) -> str:
    """`-23% [-27%, -19%]`: fractions as percentages, by the digit rule (decimals from
    the interval's width)."""
    v, lo, hi = (None if x is None else x * 100 for x in (value, low, high))
    assert v is not None
    if lo is None or hi is None:
        return f"{value_text(v)}%"
    decimals = decimals_for(hi - lo)
    plain = default_decimals(v)
    if decimals is not None and plain is not None:
        decimals = min(decimals, plain)  # a width of float noise: 4 significant digits
    if decimals is None:
        return f"{value_text(v)}% [{value_text(lo)}%, {value_text(hi)}%]"
    return f"{fixed(v, decimals)}% [{fixed(lo, decimals)}%, {fixed(hi, decimals)}%]"


def _cell(comparison: Comparison, column: int, erlang: float,
          reference: int | None) -> TableCell:
    group = comparison.groups[column]
    point = group.point_at(erlang)
    if point is None:
        return TableCell(None, None, None, 0, "-", "", "", "", "", None)
    low, high = point.spread
    bounds = "" if low is None or high is None else interval_text(low, high)
    difference = relative = mark = ""
    p = None
    if reference is not None and reference != column:
        test = oriented(comparison, column, reference, erlang)
        if test is not None:
            p = test.p_adjusted
            mark = mark_for(p)
            if comparison.baseline is not None:
                r = test.result
                intervals = comparison.intervals_at(erlang)
                difference = difference_text(r.difference, *intervals)
                if r.low is not None and r.high is not None:
                    difference += " " + _difference_interval(r.low, r.high, intervals)
                rel = test.relative
                relative = "" if rel is None else percent_text(*rel)
    return TableCell(point.summary.mean, low, high, point.summary.n,
                     value_text(point.summary.mean, low, high), bounds, difference,
                     relative, mark, p)


def _difference_interval(low: float, high: float,
                         intervals: list[tuple[float | None, float | None]]) -> str:
    return f"[{difference_text(low, *intervals)}, {difference_text(high, *intervals)}]"


def build_table(comparison: Comparison, *, title: str = "") -> ResultTable:
    """The load x group table of `comparison` (its spread, baseline and tests)."""
    groups = comparison.groups
    reference = comparison.baseline if comparison.baseline is not None else (
        0 if len(groups) > 1 else None)
    columns = []
    for i, group in enumerate(groups):
        notes = [n for n in (("baseline" if i == comparison.baseline else ""),
                             group.pools_text) if n]
        columns.append(TableColumn(group.label, "; ".join(notes), i == reference))
    rows = [TableRow(erlang, [_cell(comparison, j, erlang, reference)
                              for j in range(len(groups))])
            for erlang in comparison.erlangs]
    legend = [f"cells: mean and {SPREAD_NAMES[comparison.spread]} over runs (n = "
              + _n_text(rows) + ")"]
    if reference is not None:
        pairings = sorted({t.pairing for t in comparison.tests
                           if reference in (t.a, t.b)})
        against = groups[reference].label
        family = comparison.family
        legend.append(f"{MARK_LEGEND} vs {against}, Holm-adjusted over {family} at each "
                      f"load; tests: {', '.join(pairings) or 'none'}")
        if comparison.baseline is not None:
            legend.append(f"differences: group - {against}, and as % of {against}, "
                          "with 95% intervals")
    by = ", ".join(k.partition('.')[2] or k for k in comparison.keys)
    title = title or (METRIC_NAMES.get(comparison.metric, comparison.metric)
                      + (f" by {by}" if by else ""))
    return ResultTable(title, comparison.metric, comparison.spread, columns, rows, reference,
                       comparison.baseline is not None, legend)


def _n_text(rows: list[TableRow]) -> str:
    ns = sorted({c.n for r in rows for c in r.cells if c.mean is not None})
    if not ns:
        return "-"
    return str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"


def cell_text(cell: TableCell) -> str:
    """A cell on one line: `0.1162 [0.1124, 0.1200] **`."""
    return " ".join(t for t in (cell.value, cell.bounds, cell.mark) if t)


def render_text(table: ResultTable) -> str:
    """The table for a terminal: a header of group labels, a row per load, and under each
    load a row of differences to the baseline when there is one; legend lines last."""
    header = [table.erlang_header, *(one_line(c.label, 60) for c in table.columns)]
    notes = [c.note for c in table.columns]
    rows: list[list[str]] = [header]
    if any(notes):
        rows.append(["", *(one_line(n, 60) for n in notes)])
    for row in table.rows:
        rows.append([f"{row.erlang:g}", *(cell_text(c) for c in row.cells)])
        if table.has_baseline:
            rows.append(["  vs baseline", *(c.relative for c in row.cells)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [one_line(table.title, 200)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    if table.legend:
        lines += ["", *(one_line(text, 400) for text in table.legend)]
    return "\n".join(lines)
