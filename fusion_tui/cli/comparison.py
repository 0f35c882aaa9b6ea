"""Results across runs: `compare` (per group and load: mean, 95% interval, n; what
differs), `export` (a tidy long table, csv or json) and `plot` (the figure). Each takes a
sweep, or runs, or sweeps; each only reads."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base import output_path
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.numbers import difference_text, interval_text, p_value_text, value_text
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore
from fusion_tui.cli.output import columns, emit, write_out

if TYPE_CHECKING:
    from fusion_tui.comparison.compare import Comparison
    from fusion_tui.services import Services


def register(commands: Commands) -> None:
    for name, handler, text in (
            ("compare", cmd_compare, "per group and load: mean, 95%% interval, n; what differs"),
            ("plot", cmd_plot, "draw the figure (needs fusion-tui[plots])"),
            ("export", cmd_export, "a tidy long table of results (csv or json)")):
        v = commands.add(name, OnStore(handler, schedule=False), help=text)
        v.add_argument("ids", nargs="+", metavar="ID", help="a sweep, or runs (or sweeps)")
        if name != "export":
            v.add_argument("--by", help="group by these keys (comma-separated; default: the "
                                        "sweep's grid keys, or what differs between the runs)")
            v.add_argument("--metric", default="blocking",
                           choices=["blocking", "bit_rate_blocking"])
        if name == "compare":
            v.add_argument("--csv", action="store_true", help="the table as CSV")
        if name == "plot":
            v.add_argument("-o", "--output", required=True, metavar="FIGURE.pdf|png|svg|pgf")
            v.add_argument("--size", choices=["column", "page"], default="column",
                           help="an IEEE column (3.5 in wide) or a full page (7.16 in)")
            v.add_argument("--title", help="a title over the figure (none by default)")
        if name == "export":
            v.add_argument("--format", choices=["csv", "json"], default="csv")
            v.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
        if name != "compare":
            v.add_argument("--force", "-f", action="store_true",
                           help="replace an existing file at -o (never a link or a device)")


def _comparison(args: argparse.Namespace, svc: Services) -> Comparison:
    # the comparison layer (SQLAlchemy): not at start-up
    from fusion_tui.comparison.compare import compare, default_keys, load_runs, resolve_keys
    from fusion_tui.comparison.targets import resolve_targets

    targets = resolve_targets(svc.sweeps, args.ids)
    data = load_runs(targets.runs)
    keys = (resolve_keys([k.strip() for k in args.by.split(",") if k.strip()], data)
            if args.by else default_keys(data, targets.grid_keys))
    return compare(data, metric=args.metric, keys=keys)


def _compare_text(result: Comparison) -> str:
    by = ", ".join(k.partition(".")[2] or k for k in result.keys) or "nothing (one group)"
    lines = [f"{result.metric} by {by}; mean over runs with its 95% interval (n = runs; "
             "a single run's interval is over its iterations)"]
    rows: list[tuple[str, ...]] = [("GROUP", "ERLANG", "MEAN", "95% INTERVAL", "N")]
    for i, group in enumerate(result.groups, 1):
        for point in group.points:
            s = point.summary
            rows.append((f"G{i}", f"{point.erlang:g}", value_text(s.mean, s.low, s.high),
                         interval_text(s.low, s.high),
                         f"{s.n}" + (" (iter)" if point.basis == "iterations" else "")))
    legend = [f"G{i}  {one_line(g.label, 200)}  ({len(g.runs)} runs)"
              + (f"  tags: {one_line(' '.join(g.tags), 300)}" if g.tags else "")
              for i, g in enumerate(result.groups, 1)]
    lines += [*legend, "", columns(rows)]
    notes = [(i, run_id, note) for i, g in enumerate(result.groups, 1)
             for run_id, note in g.notes.items()]
    if notes:
        lines += ["", "notes:"]
        lines += [f"  G{i} {run_id}  {one_line(note, 300)}" for i, run_id, note in notes]
    if result.differing:
        lines += ["", "parameters that differ between groups:"]
        lines += [f"  {key}  " + "  ".join(f"G{i}={one_line(v, 40)}" for i, v in
                                           enumerate(values, 1))
                  for key, values in result.differing]
    if result.tests:
        lines += ["", "G1 - G2 per load, Welch's t-test:"]
        test_rows: list[tuple[str, ...]] = [("ERLANG", "DIFFERENCE", "P-VALUE", "BASIS")]
        test_rows += [(f"{t.erlang:g}",
                       difference_text(t.difference, *result.intervals_at(t.erlang)),
                       p_value_text(t.p_value), t.basis) for t in result.tests]
        lines.append(columns(test_rows))
    lines += [f"warning: {one_line(w, 300)}" for w in result.warnings]
    return "\n".join(lines)


def _compare_csv(result: Comparison) -> str:
    import csv  # only for --csv: not at start-up
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["group", *result.keys, "erlang", "mean", "ci95_low", "ci95_high", "n",
                     "basis", "tags"])
    for group in result.groups:
        for p in group.points:
            writer.writerow([group.label, *(group.values[k] for k in result.keys), p.erlang,
                             repr(p.summary.mean), "" if p.summary.low is None else
                             repr(p.summary.low), "" if p.summary.high is None else
                             repr(p.summary.high), p.summary.n, p.basis, " ".join(group.tags)])
    return buffer.getvalue().rstrip("\n")


def _warn(warnings: Sequence[str]) -> None:
    """Warnings (another user's closed folder, mixed simulator versions) go to stderr,
    so that what a script reads on stdout stays data."""
    for warning in warnings:
        print(f"fusion-tui: warning: {one_line(warning, 300)}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace, svc: Services) -> int:
    result = _comparison(args, svc)
    if args.json or args.csv:  # the text form ends with them already
        _warn(result.warnings)
    if args.csv and not args.json:
        write_out(_compare_csv(result) + "\n")
        return 0
    emit(args, result.as_dict(), lambda: _compare_text(result))
    return 0


def cmd_export(args: argparse.Namespace, svc: Services) -> int:
    # the comparison layer (SQLAlchemy): not at start-up
    from fusion_tui.comparison.compare import load_runs, unreadable
    from fusion_tui.comparison.export import rows, to_csv, to_json
    from fusion_tui.comparison.targets import resolve_targets

    path = None if args.output is None else Path(args.output).expanduser()
    if path is not None:
        output_path.check(path, force=args.force)
    data = load_runs(resolve_targets(svc.sweeps, args.ids).runs)
    _warn(unreadable(data))
    text = to_csv(data) if args.format == "csv" else to_json(data)
    if path is None:
        write_out(text)
        return 0
    output_path.write(path, text.encode("utf-8"), force=args.force)
    count = len(rows(data)[1])
    emit(args, {"path": str(path), "rows": count, "format": args.format},
         lambda: f"{count} rows written to {path}")
    return 0


def cmd_plot(args: argparse.Namespace, svc: Services) -> int:
    # the report's figure code (matplotlib when drawing): not at start-up
    from fusion_tui.report.figures import FiguresUnavailable, figure_format, render
    from fusion_tui.report.sizes import size_named

    path = Path(args.output).expanduser()
    fmt = figure_format(path)
    output_path.check(path, force=args.force)
    result = _comparison(args, svc)
    _warn(result.warnings)
    try:
        figures, lines = render(result, [fmt], size_named(args.size), title=args.title)
    except FiguresUnavailable as exc:
        raise ConfigError(str(exc)) from None
    output_path.write(path, figures[fmt], force=args.force)
    emit(args, {"path": str(path), "lines": lines},
         lambda: f"{path}: {lines} line(s)" + ("" if lines else
                                               " (no results with blocking above 0 yet)"))
    return 0
