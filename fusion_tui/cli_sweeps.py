"""The sweep and comparison commands: `sweep new|list|show|cancel|retry|rm`, `compare`,
`export` and `plot`. Bad input is one line and exit 2 (raised to `cli.main`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusion_tui.base import output_path
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli_output import duration_text, emit, iso, progress_text, write_out

if TYPE_CHECKING:
    from fusion_tui.comparison.compare import Comparison
    from fusion_tui.services import Services
    from fusion_tui.sweeps.manager import SweepDetail
    from fusion_tui.sweeps.progress import SweepProgress

SLURM_FLAGS = ("partition", "account", "qos", "time", "mem", "cpus_per_task", "extra_args")


def add_slurm_flags(s: argparse.ArgumentParser) -> None:
    """`new` and `sweep new`: what a run asks of Slurm (the [fusion_tui] keys' names)."""
    s.add_argument("--executor", "-x", choices=["local", "slurm"],
                   help="where the runs execute (default: the template's, else the setting)")
    slurm = s.add_argument_group("Slurm (with --executor slurm; override settings/template)")
    slurm.add_argument("--partition", "-p")
    slurm.add_argument("--account", "-A")
    slurm.add_argument("--qos")
    slurm.add_argument("--time", help="time limit, e.g. 30, 4:00:00, 2-00:00:00")
    slurm.add_argument("--mem", help="memory per node, e.g. 8G")
    slurm.add_argument("--cpus-per-task", "-c")
    slurm.add_argument("--sbatch-args", dest="extra_args", metavar="ARGS",
                       help="more sbatch options, e.g. '--gres=gpu:1 --constraint=avx2'")


def add_parsers(sub: Any, common: argparse.ArgumentParser,
                parser_class: type[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("sweep", help="sweeps: a grid of runs from one template")
    verbs = s.add_subparsers(dest="sweep_command", parser_class=parser_class, required=True)
    v = verbs.add_parser("new", parents=[common], help="make a sweep's runs and start them")
    v.add_argument("--template", "-t", required=True)
    v.add_argument("--name", "-n")
    v.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="the same override for every point")
    v.add_argument("--grid", "-g", action="append", default=[],
                   metavar="SECTION.KEY=V1,V2,...", help="a swept setting (repeatable)")
    v.add_argument("--seeds", metavar="1-5|1,4,9", help="one run per seed (built-in simulator)")
    v.add_argument("--split-loads", action="store_true",
                   help="one run per Erlang load as well, so loads run in parallel")
    v.add_argument("--array-limit", type=int, metavar="N",
                   help="Slurm: at most N array tasks at once (sbatch --array=...%%N)")
    add_slurm_flags(v)
    v = verbs.add_parser("list", parents=[common], help="sweeps, newest first")
    v.add_argument("--all", "-a", action="store_true", help="every user's sweeps")
    for name, text in (("show", "a sweep: counts by status, ETA, its grid"),
                       ("cancel", "cancel a sweep's unfinished runs"),
                       ("retry", "re-run a sweep's failed, cancelled, timed-out or deleted points"),
                       ("rm", "delete a finished sweep, its runs and their folders")):
        verbs.add_parser(name, parents=[common], help=text).add_argument("id")

    for name, text in (("compare", "per group and load: mean, 95%% interval, n; what differs"),
                       ("plot", "draw the figure (needs fusion-tui[plots])"),
                       ("export", "a tidy long table of results (csv or json)")):
        v = sub.add_parser(name, parents=[common], help=text)
        v.add_argument("ids", nargs="+", metavar="ID", help="a sweep, or runs (or sweeps)")
        if name != "export":
            v.add_argument("--by", help="group by these keys (comma-separated; default: the "
                                        "sweep's grid keys, or what differs between the runs)")
            v.add_argument("--metric", default="blocking",
                           choices=["blocking", "bit_rate_blocking"])
        if name == "compare":
            v.add_argument("--csv", action="store_true", help="the table as CSV")
        if name == "plot":
            v.add_argument("-o", "--output", required=True, metavar="FIGURE.pdf|png|svg")
            v.add_argument("--title")
        if name == "export":
            v.add_argument("--format", choices=["csv", "json"], default="csv")
            v.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
        if name != "compare":
            v.add_argument("--force", "-f", action="store_true",
                           help="replace an existing file at -o (never a link or a device)")


# -- sweeps ----------------------------------------------------------------------------


def sweep_to_dict(detail: SweepDetail, progress: SweepProgress, *,
                  with_runs: bool = True) -> dict[str, Any]:
    from fusion_tui.sweeps.manager import point_of

    sweep = detail.sweep
    data: dict[str, Any] = {
        "id": sweep.id, "name": sweep.name, "template": sweep.template,
        "executor": sweep.executor, "owner": sweep.owner, "created_at": iso(sweep.created_at),
        "grid": [{"key": a.key, "values": list(a.values)} for a in detail.grid.axes],
        "seeds": list(detail.grid.seeds) or None, "split_loads": sweep.split_loads,
        "overrides": json.loads(sweep.overrides_json), "array_limit": sweep.array_limit,
        "counts": progress.counts, "total": progress.total, "finished": progress.finished,
        "fraction_done": progress.fraction, "eta_seconds": progress.eta_seconds,
        "replaced_runs": detail.replaced,
    }
    if with_runs:
        data["runs"] = [{"id": r.id, "status": r.status, "point": point_of(r),
                         "fraction_done": r.fraction_done, "origin_id": r.origin_id,
                         "slurm_job": r.slurm.job_id if r.slurm else None}
                        for r in detail.runs]
    return data


def _eta(progress: SweepProgress) -> str:
    if progress.eta_seconds is None:
        return "-"
    return duration_text(round(progress.eta_seconds))


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _show_text(detail: SweepDetail, progress: SweepProgress) -> str:
    from fusion_tui.sweeps.manager import point_of

    sweep, grid = detail.sweep, detail.grid
    lines = [f"{'sweep':<11}{sweep.id}", f"{'name':<11}{one_line(sweep.name or '-')}",
             f"{'template':<11}{sweep.template}  (executor {sweep.executor})"]
    for i, axis in enumerate(grid.axes):
        lines.append(f"{'grid' if i == 0 else '':<11}{axis.key} = "
                     + one_line(", ".join(axis.values), 200))
    if grid.seeds:
        lines.append(f"{'seeds':<11}{', '.join(map(str, grid.seeds))}")
    if grid.split_loads:
        lines.append(f"{'loads':<11}one run per load")
    overrides = json.loads(sweep.overrides_json)
    if overrides:
        lines.append(f"{'overrides':<11}" + one_line(" ".join(overrides), 300))
    replaced = f"  ({detail.replaced} replaced by retries)" if detail.replaced else ""
    lines.append(f"{'runs':<11}{progress.total}: {progress.counts_text()}{replaced}")
    lines.append(f"{'progress':<11}{progress.fraction * 100:.1f}%  ETA {_eta(progress)}")
    keys = grid.keys
    rows: list[tuple[str, ...]] = [(*(k.partition(".")[2].upper() or k.upper() for k in keys),
                                    "RUN", "STATUS", "PROGRESS")]
    for run in detail.runs:
        point = point_of(run)
        rows.append((*(one_line(point.get(k, "-"), 30) for k in keys), run.id, run.status,
                     progress_text(run)))
    return "\n".join(lines) + "\n\n" + _columns(rows)


def cmd_sweep(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.sweeps.progress import sweep_progress

    verb = args.sweep_command
    if verb == "new":
        return _sweep_new(args, svc)
    if verb == "list":
        rows: list[tuple[str, ...]] = [("ID", "NAME", "TEMPLATE", "RUNS", "PROGRESS", "ETA",
                                        "STATUS")]
        out = []
        for row in svc.sweeps.listing(everyone=args.all):
            detail = svc.sweeps.detail(row.sweep.id)
            progress = sweep_progress(detail.runs)
            out.append(sweep_to_dict(detail, progress, with_runs=False))
            rows.append((row.sweep.id, one_line(row.sweep.name or "-", 30), row.sweep.template,
                         str(progress.total), f"{progress.fraction * 100:.1f}%",
                         _eta(progress), progress.counts_text()))
        emit(args, out, lambda: _columns(rows) if out else
             "No sweeps yet. Make one with: fusion-tui sweep new -t minimal --seeds 1-3")
        return 0
    if verb == "show":
        detail = svc.sweeps.detail(args.id)
        progress = sweep_progress(detail.runs)
        emit(args, sweep_to_dict(detail, progress), lambda: _show_text(detail, progress))
        return 0
    if verb == "cancel":
        sweep_id = svc.sweeps.resolve(args.id).id
        ids = svc.sweeps.cancel(sweep_id)
        emit(args, {"id": sweep_id, "cancelled": ids},
             lambda: f"sweep {sweep_id}: cancel requested for {len(ids)} run(s)")
        return 0
    if verb == "retry":
        sweep_id = svc.sweeps.resolve(args.id).id
        done = svc.sweeps.retry(sweep_id)
        emit(args, {"id": sweep_id, "new_runs": done.ids, "retried": done.retried,
                    "recreated": done.recreated}, lambda: done.text(sweep_id))
        return 0
    sweep_id = svc.sweeps.resolve(args.id).id
    count = svc.sweeps.delete(sweep_id)
    emit(args, {"id": sweep_id, "deleted": True, "runs": count},
         lambda: f"sweep {sweep_id} deleted with its {count} run(s)")
    return 0


def _sweep_new(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.sweeps.grid import Grid, parse_axis, parse_seeds
    from fusion_tui.sweeps.progress import sweep_progress

    grid = Grid(tuple(parse_axis(g) for g in args.grid),
                parse_seeds(args.seeds) if args.seeds is not None else (), args.split_loads)
    slurm = {key: getattr(args, key) for key in SLURM_FLAGS}
    detail = svc.sweeps.create(args.template, grid, name=args.name, overrides=args.set or [],
                               executor=args.executor, executor_options=slurm,
                               array_limit=args.array_limit)
    progress = sweep_progress(detail.runs)
    first = detail.runs[0]

    def text() -> str:
        head = f"sweep {detail.sweep.id}: {progress.total} runs"
        if first.slurm is not None and first.slurm.job_id:
            return f"{head} submitted as Slurm job array {first.slurm.job_id.split('_')[0]}"
        return f"{head} ({progress.counts_text()})"

    emit(args, sweep_to_dict(detail, progress), text)
    return 0


# -- comparison ------------------------------------------------------------------------


def _comparison(args: argparse.Namespace, svc: Services) -> tuple[Comparison, str]:
    from fusion_tui.comparison.compare import compare, default_keys, load_runs, resolve_keys
    from fusion_tui.comparison.targets import resolve_targets

    targets = resolve_targets(svc.sweeps, args.ids)
    data = load_runs(targets.runs)
    keys = (resolve_keys([k.strip() for k in args.by.split(",") if k.strip()], data)
            if args.by else default_keys(data, targets.grid_keys))
    title = " ".join(one_line(s.name or s.id, 60) for s in targets.sweeps) or "runs"
    return compare(data, metric=args.metric, keys=keys), title


def _number(value: float | None, digits: int = 5) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _compare_text(result: Comparison) -> str:
    by = ", ".join(k.partition(".")[2] or k for k in result.keys) or "nothing (one group)"
    lines = [f"{result.metric} by {by}; mean over runs with its 95% interval (n = runs; "
             "a single run's interval is over its iterations)"]
    rows: list[tuple[str, ...]] = [("GROUP", "ERLANG", "MEAN", "95% INTERVAL", "N")]
    for i, group in enumerate(result.groups, 1):
        for point in group.points:
            s = point.summary
            interval = "-" if s.low is None else f"[{_number(s.low)}, {_number(s.high)}]"
            rows.append((f"G{i}", f"{point.erlang:g}", _number(s.mean), interval,
                         f"{s.n}" + (" (iter)" if point.basis == "iterations" else "")))
    legend = [f"G{i}  {one_line(g.label, 200)}  ({len(g.runs)} runs)"
              for i, g in enumerate(result.groups, 1)]
    lines += [*legend, "", _columns(rows)]
    if result.differing:
        lines += ["", "parameters that differ between groups:"]
        lines += [f"  {key}  " + "  ".join(f"G{i}={one_line(v, 40)}" for i, v in
                                           enumerate(values, 1))
                  for key, values in result.differing]
    if result.tests:
        lines += ["", "G1 - G2 per load, Welch's t-test:"]
        test_rows: list[tuple[str, ...]] = [("ERLANG", "DIFFERENCE", "P-VALUE", "BASIS")]
        test_rows += [(f"{t.erlang:g}", _number(t.difference), _number(t.p_value, 3), t.basis)
                      for t in result.tests]
        lines.append(_columns(test_rows))
    lines += [f"warning: {one_line(w, 300)}" for w in result.warnings]
    return "\n".join(lines)


def _compare_csv(result: Comparison) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["group", *result.keys, "erlang", "mean", "ci95_low", "ci95_high", "n",
                     "basis"])
    for group in result.groups:
        for p in group.points:
            writer.writerow([group.label, *(group.values[k] for k in result.keys), p.erlang,
                             repr(p.summary.mean), "" if p.summary.low is None else
                             repr(p.summary.low), "" if p.summary.high is None else
                             repr(p.summary.high), p.summary.n, p.basis])
    return buffer.getvalue().rstrip("\n")


def _warn(warnings: Sequence[str]) -> None:
    """Warnings (another user's closed folder, mixed simulator versions) go to stderr,
    so that what a script reads on stdout stays data."""
    for warning in warnings:
        print(f"fusion-tui: warning: {one_line(warning, 300)}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace, svc: Services) -> int:
    result, _ = _comparison(args, svc)
    if args.json or args.csv:  # the text form ends with them already
        _warn(result.warnings)
    if args.csv and not args.json:
        write_out(_compare_csv(result) + "\n")
        return 0
    emit(args, result.as_dict(), lambda: _compare_text(result))
    return 0


def cmd_export(args: argparse.Namespace, svc: Services) -> int:
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
    from fusion_tui.comparison.plot import PlotUnavailable, figure_format, plot

    path = Path(args.output).expanduser()
    fmt = figure_format(path)
    output_path.check(path, force=args.force)
    result, title = _comparison(args, svc)
    _warn(result.warnings)
    try:
        figure, lines = plot(result, fmt, title=args.title or title)
    except PlotUnavailable as exc:
        raise ConfigError(str(exc)) from None
    output_path.write(path, figure, force=args.force)
    emit(args, {"path": str(path), "lines": lines},
         lambda: f"{path}: {lines} line(s)" + ("" if lines else
                                               " (no results with blocking above 0 yet)"))
    return 0


COMMANDS = {"sweep": cmd_sweep, "compare": cmd_compare, "export": cmd_export,
            "plot": cmd_plot}
READ_ONLY = frozenset({"compare", "export", "plot"})


def looks_only(args: argparse.Namespace) -> bool:
    """Commands that only look (never start a queued run)."""
    return args.command in READ_ONLY or (args.command == "sweep"
                                         and args.sweep_command in ("list", "show"))

