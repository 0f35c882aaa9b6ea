"""Results across runs: `compare` (a load x group table: mean and interval per cell,
differences to a baseline, significance marks; the tests behind them; `--long` per group
and load), `convergence` (running mean and interval over iterations, FUSION's stop rule),
`export` (a tidy long table, csv or json) and `plot` (the figure). Each takes a sweep, or
runs, or sweeps; each only reads."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base import output_path
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.numbers import (
    difference_text,
    interval_text,
    p_value_text,
    value_text,
)
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore
from fusion_tui.cli.output import columns, emit, write_out

if TYPE_CHECKING:
    from fusion_tui.comparison.compare import Comparison
    from fusion_tui.comparison.convergence import Series
    from fusion_tui.services import Services

SPREADS = ("interval", "sd", "minmax")  # comparison.stats.SPREADS, without importing it


def register(commands: Commands) -> None:
    for name, handler, text in (
            ("compare", cmd_compare, "a load x group table: mean and interval, differences "
                                     "to a baseline, tests"),
            ("convergence", cmd_convergence, "running mean and interval over iterations, "
                                             "with FUSION's stop rule"),
            ("plot", cmd_plot, "draw the figure (needs fusion-tui[plots])"),
            ("export", cmd_export, "a tidy long table of results (csv or json)")):
        v = commands.add(name, OnStore(handler, schedule=False), help=text)
        v.add_argument("ids", nargs="+", metavar="ID", help="a sweep, or runs (or sweeps)")
        if name != "export":
            v.add_argument("--by", help="group by these keys, any config or point key "
                                        "(comma-separated; default: the sweep's grid keys, "
                                        "or what differs between the runs)")
            v.add_argument("--metric", default="blocking",
                           choices=["blocking", "bit_rate_blocking"])
        if name == "compare":
            v.add_argument("--baseline", metavar="KEY=VALUE",
                           help="the group the others are compared with (its grouping "
                                "values, e.g. allocation_method=first_fit)")
            v.add_argument("--spread", choices=SPREADS, default="interval",
                           help="what the bounds around a mean are (default: its 95%% "
                                "interval)")
            shape = v.add_mutually_exclusive_group()
            shape.add_argument("--long", action="store_true",
                               help="one line per group and load instead of the table")
            shape.add_argument("--csv", action="store_true", help="the long table as CSV")
            shape.add_argument("--convergence", action="store_true",
                               help="as the convergence command")
            v.add_argument("--target-width", type=float, metavar="W",
                           help="per load, the seeds that would bring each group's 95%% "
                                "interval under W times its mean (e.g. 0.05)")
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


def _comparison(args: argparse.Namespace, svc: Services) -> tuple[Comparison, str]:
    # the comparison layer (SQLAlchemy): not at start-up
    from fusion_tui.comparison.compare import compare, default_keys, load_runs, resolve_keys
    from fusion_tui.comparison.targets import resolve_targets

    if getattr(args, "target_width", None) is not None and not 0 < args.target_width < 10:
        raise ConfigError(f"--target-width {args.target_width:g}: expected a relative width "
                          "above 0 (0.05 is 5% of the mean)")
    targets = resolve_targets(svc.sweeps, args.ids)
    data = load_runs(targets.runs)
    keys = (resolve_keys([k.strip() for k in args.by.split(",") if k.strip()], data)
            if args.by else default_keys(data, targets.grid_keys))
    title = " ".join(one_line(s.name or s.id, 60) for s in targets.sweeps) or "runs"
    return compare(data, metric=args.metric, keys=keys,
                   spread=getattr(args, "spread", "interval"),
                   baseline=getattr(args, "baseline", None)), title


def _short(key: str) -> str:
    return key.partition(".")[2] or key


def _tests_text(result: Comparison) -> list[str]:
    """The tests behind the table's marks: per load, each pair (or each group against the
    baseline) with the difference's interval, the test, p raw and Holm-adjusted, effect."""
    from fusion_tui.comparison.table import percent_text

    if not result.tests:
        return []
    lines = ["", f"tests per load (Ga - Gb), {result.family}; p Holm-adjusted over that "
                 "load's tests:"]
    rows: list[tuple[str, ...]] = [("ERLANG", "PAIR", "DIFFERENCE", "95% INTERVAL",
                                    "RELATIVE", "TEST", "P", "P (HOLM)", "EFFECT")]
    for t in result.tests:
        intervals = result.intervals_at(t.erlang)
        r = t.result
        interval = "-" if r.low is None or r.high is None else \
            f"[{difference_text(r.low, *intervals)}, {difference_text(r.high, *intervals)}]"
        relative = "-" if t.relative is None else percent_text(*t.relative)
        effect = "-" if r.effect is None else f"{r.effect_name} = {value_text(r.effect)}"
        rows.append((f"{t.erlang:g}", f"G{t.a + 1} - G{t.b + 1}",
                     difference_text(t.difference, *intervals), interval, relative,
                     t.pairing, p_value_text(t.p_value), p_value_text(t.p_adjusted), effect))
    return [*lines, columns(rows)]


def _legend(result: Comparison) -> list[str]:
    return [f"G{i}  {one_line(g.label, 200)}  ({len(g.runs)} runs)"
            + ("  [baseline]" if i - 1 == result.baseline else "")
            + (f"  {one_line(g.pools_text, 200)}" if g.pools else "")
            + (f"  tags: {one_line(' '.join(g.tags), 300)}" if g.tags else "")
            for i, g in enumerate(result.groups, 1)]


def _notes(result: Comparison) -> list[str]:
    notes = [(i, run_id, note) for i, g in enumerate(result.groups, 1)
             for run_id, note in g.notes.items()]
    if not notes:
        return []
    return ["", "notes:", *(f"  G{i} {run_id}  {one_line(note, 300)}"
                            for i, run_id, note in notes)]


def _compare_table(result: Comparison, title: str) -> str:
    """The default: the paper table (comparison/table.py), the groups' legend, the tests."""
    from fusion_tui.comparison.table import build_table, render_text

    lines = [render_text(build_table(result, title=f"{title}: " + _by(result))), "",
             *_legend(result), *_notes(result), *_tests_text(result)]
    lines += [f"warning: {one_line(w, 300)}" for w in result.warnings]
    return "\n".join(lines)


def _by(result: Comparison) -> str:
    by = ", ".join(_short(k) for k in result.keys)
    return f"{result.metric} by {by}" if by else f"{result.metric} (one group)"


def _compare_text(result: Comparison) -> str:
    spread = {"interval": "95% interval", "sd": "mean +- 1 sd", "minmax": "min-max"}[
        result.spread]
    lines = [f"{_by(result)}; mean over runs with its {spread} (n = runs; "
             "a single run's interval is over its iterations)"]
    rows: list[tuple[str, ...]] = [("GROUP", "ERLANG", "MEAN", spread.upper(), "N")]
    for i, group in enumerate(result.groups, 1):
        for point in group.points:
            s = point.summary
            low, high = point.spread
            rows.append((f"G{i}", f"{point.erlang:g}", value_text(s.mean, low, high),
                         interval_text(low, high),
                         f"{s.n}" + (" (iter)" if point.basis == "iterations" else "")))
    lines += [*_legend(result), "", columns(rows), *_notes(result)]
    if result.differing:
        lines += ["", "parameters that differ between groups:"]
        lines += [f"  {key}  " + "  ".join(f"G{i}={one_line(v, 40)}" for i, v in
                                           enumerate(values, 1))
                  for key, values in result.differing]
    lines += _tests_text(result)
    lines += [f"warning: {one_line(w, 300)}" for w in result.warnings]
    return "\n".join(lines)


def _seeds_text(result: Comparison, target: float) -> tuple[list[dict[str, object]], str]:
    from fusion_tui.comparison.convergence import seeds_needed

    found = seeds_needed(result, target)
    rows: list[tuple[str, ...]] = [("ERLANG", "GROUP", "RUNS", "WIDTH NOW", "NEEDED",
                                    "MORE")]
    index = {g.label: i for i, g in enumerate(result.groups, 1)}
    for s in sorted(found, key=lambda s: (s.erlang, index[s.label])):
        rows.append((f"{s.erlang:g}", f"G{index[s.label]}", str(s.have),
                     "-" if s.width is None else f"{value_text(s.width * 100)}%",
                     "-" if s.needed is None else str(s.needed),
                     "-" if s.more is None else str(s.more)))
    text = "\n".join(["", "", f"seeds for a 95% interval under {target:g} x the mean "
                          "(relative width; from the spread seen so far):", columns(rows)])
    data: list[dict[str, object]] = [
        {"erlang": s.erlang, "group": s.label, "seeds": s.have, "relative_width": s.width,
         "seeds_needed": s.needed, "more_seeds": s.more} for s in found]
    return data, text


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
    if args.convergence:
        return cmd_convergence(args, svc)
    result, title = _comparison(args, svc)
    if args.json or args.csv:  # the text form ends with them already
        _warn(result.warnings)
    if args.csv and not args.json:
        write_out(_compare_csv(result) + "\n")
        return 0
    data = result.as_dict()
    seeds_text = ""
    if args.target_width is not None:
        data["seeds_for_width"], seeds_text = _seeds_text(result, args.target_width)
        data["target_width"] = args.target_width
    shown = _compare_text if args.long else (lambda r: _compare_table(r, title))
    emit(args, data, lambda: shown(result) + seeds_text)
    return 0


def _series_text(series: list[Series], metric: str) -> str:
    from fusion_tui.comparison.convergence import STOP_PERCENT

    if not series:
        return f"{metric}: no per-iteration values kept for these runs"
    lines = [f"{metric}: running mean and 95% interval after each iteration; FUSION's "
             f"width (2 x its 90% half-width / mean) and its stop rule (at most "
             f"{STOP_PERCENT:g}%)"]
    for s in series:
        stop = s.first_stop
        lines += ["", f"{one_line(s.label, 200)}  at {s.erlang:g} Erlang  (over {s.over}; "
                      + (f"FUSION stops at iteration {stop})" if stop
                         else "FUSION's rule not met)")]
        rows: list[tuple[str, ...]] = [("ITER", "N", "MEAN", "95% INTERVAL", "FUSION WIDTH",
                                        "")]
        rows += [(str(p.iteration), str(p.n), value_text(p.mean, p.low, p.high),
                  interval_text(p.low, p.high),
                  "-" if p.fusion_percent is None else f"{value_text(p.fusion_percent)}%",
                  "<- stop" if p.iteration == stop else "") for p in s.steps]
        lines.append(columns(rows))
    return "\n".join(lines)


def cmd_convergence(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.comparison.convergence import STOP_PERCENT, convergence

    result, _ = _comparison(args, svc)
    _warn(result.warnings)
    series = convergence(result)
    data = {"metric": result.metric, "group_by": result.keys, "stop_percent": STOP_PERCENT,
            "series": [{"group": s.label, "erlang": s.erlang, "over": s.over,
                        "fusion_stop_iteration": s.first_stop,
                        "steps": [{"iteration": p.iteration, "n": p.n, "mean": p.mean,
                                   "ci95_low": p.low, "ci95_high": p.high,
                                   "fusion_ci_percent": p.fusion_percent, "stops": p.stops}
                                  for p in s.steps]} for s in series]}
    emit(args, data, lambda: _series_text(series, result.metric))
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
    result, _ = _comparison(args, svc)  # no title unless asked (--title)
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
