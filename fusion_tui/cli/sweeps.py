"""Sweeps: `sweep new|extend|list|show|cancel|retry|rm`, a grid of runs from one
template."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore, Quick
from fusion_tui.cli.executor_flags import add_executor_flags, batch_limit_help, executor_options
from fusion_tui.cli.output import (
    columns,
    duration_text,
    emit,
    iso,
    note_lines,
    progress_text,
)
from fusion_tui.cli.start_flags import add_start_flags, runs_after, start_after
from fusion_tui.executors.descriptions import DESCRIPTIONS, description_of
from fusion_tui.store.query import LISTED_SWEEPS
from fusion_tui.sweeps.detail import DetailView, current_runs, grid_of, point_of
from fusion_tui.sweeps.grid import Grid

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.run_row import RunRow, SweepRecord
    from fusion_tui.sweeps.manager import SweepDetail
    from fusion_tui.sweeps.progress import SweepProgress


def register(commands: Commands) -> None:
    verbs = commands.group("sweep", help="sweeps: a grid of runs from one template",
                           dest="sweep_command")
    v = verbs.add("new", OnStore(sweep_new), help="make a sweep's runs and start them")
    v.add_argument("--template", "-t", required=True)
    v.add_argument("--name", "-n")
    v.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="the same override for every point")
    v.add_argument("--grid", "-g", action="append", default=[],
                   metavar="SECTION.KEY=V1,V2,...", help="a swept setting (repeatable)")
    v.add_argument("--seeds", metavar="1-5|1,4,9", help="one run per seed (built-in simulator)")
    v.add_argument("--split-loads", action="store_true",
                   help="one run per Erlang load as well, so loads run in parallel")
    v.add_argument("--zip", metavar="KEY1,KEY2",
                   help="pair these grid axes (equal lengths) instead of crossing them")
    v.add_argument("--reuse", action="store_true",
                   help="a point whose frozen config has a COMPLETED run reuses it")
    v.add_argument("--dry-run", action="store_true",
                   help="say how many runs, the first points and the estimated time; "
                        "make nothing")
    v.add_argument("--array-limit", type=int, metavar="N",
                   help=batch_limit_help())
    add_executor_flags(v)
    add_start_flags(v)
    v = verbs.add("extend", OnStore(sweep_extend),
                  help="add points to a sweep (more seeds, grid values or loads)")
    v.add_argument("id")
    v.add_argument("--grid", "-g", action="append", default=[],
                   metavar="SECTION.KEY=V1,V2,...", help="more values of a swept key")
    v.add_argument("--seeds", metavar="4-6|7,9", help="more seeds")
    v.add_argument("--loads", metavar="700,800",
                   help="more loads (a sweep made with --split-loads)")
    v.add_argument("--rerun", action="store_true",
                   help="run every new point, even one whose config has a COMPLETED run")
    v = verbs.add("list", OnStore(sweep_list, schedule=False, quick=quick_sweep_list),
                  help="sweeps, newest first")
    v.add_argument("--all", "-a", action="store_true", help="every user's sweeps")
    for name, handler, text in (
            ("show", OnStore(sweep_show, schedule=False),
             "a sweep: counts by status, ETA, its grid"),
            ("cancel", OnStore(sweep_cancel), "cancel a sweep's unfinished runs"),
            ("retry", OnStore(sweep_retry),
             "re-run a sweep's failed, cancelled, timed-out or deleted points"),
            ("rm", OnStore(sweep_rm), "delete a finished sweep, its runs and their folders")):
        verbs.add(name, handler, help=text).add_argument("id")


def sweep_to_dict(detail: DetailView, progress: SweepProgress, *,
                  with_runs: bool = True) -> dict[str, Any]:
    sweep = detail.sweep
    data: dict[str, Any] = {
        "id": sweep.id, "name": sweep.name, "template": sweep.template,
        "executor": sweep.executor, "owner": sweep.owner, "created_at": iso(sweep.created_at),
        "grid": [{"key": a.key, "values": list(a.values)} for a in detail.grid.axes],
        "seeds": list(detail.grid.seeds) or None, "split_loads": sweep.split_loads,
        "paired": list(detail.grid.zipped) or None, "loads": list(detail.grid.loads) or None,
        "reused_runs_count": len(detail.reused),
        "overrides": json.loads(sweep.overrides_json), "array_limit": sweep.array_limit,
        "counts": progress.counts, "total": progress.total, "finished": progress.finished,
        "fraction_done": progress.fraction, "eta_seconds": progress.eta_seconds,
        "replaced_runs": detail.replaced, "tags": sweep.tag_names, "note": sweep.note,
    }
    if with_runs:
        data["runs"] = [{"id": r.id, "status": r.status, "point": point_of(r),
                         "fraction_done": r.fraction_done, "origin_id": r.origin_id,
                         "reused": r.id in detail.reused,
                         **{f"{d.job_key}_job": d.job_id(r) for d in DESCRIPTIONS.values()
                            if d.job_key}}
                        for r in detail.runs]
    return data


def _eta(progress: SweepProgress) -> str:
    if progress.eta_seconds is None:
        return "-"
    return duration_text(round(progress.eta_seconds))


def sweep_new(args: argparse.Namespace, svc: Services) -> int:
    # the sweep layer (SQLAlchemy): not at start-up
    from fusion_tui.sweeps.grid import Grid, parse_axis, parse_seeds, parse_zip
    from fusion_tui.sweeps.progress import sweep_progress

    grid = Grid(tuple(parse_axis(g) for g in args.grid),
                parse_seeds(args.seeds) if args.seeds is not None else (), args.split_loads,
                parse_zip(args.zip) if args.zip is not None else ())
    if args.dry_run:
        return _dry_run(args, svc, grid)
    at = start_after(args)
    made = svc.sweeps.make(args.template, grid, name=args.name, overrides=args.set or [],
                           executor=args.executor, executor_options=executor_options(args),
                           array_limit=args.array_limit, after=runs_after(args, svc),
                           start_after=at, reuse=args.reuse)
    detail = made.detail
    progress = sweep_progress(detail.runs)

    def text() -> str:
        head = f"sweep {detail.sweep.id}: {progress.total} runs"
        if args.reuse:
            head = f"sweep {detail.sweep.id}: {made.text()}"
        return head + _started(svc, made.new, progress)

    emit(args, {**sweep_to_dict(detail, progress), "new_runs": made.new,
                "reused_runs": made.reused}, text)
    return 0


def _started(svc: Services, new: list[str], progress: SweepProgress) -> str:
    """How the new runs went to their executor: ` submitted as job array 42`, or the
    counts by status."""
    if not new:
        return f" ({progress.counts_text()})"
    first = svc.manager.get(new[0])
    submitted = description_of(first.executor).batch_submitted(first)
    return f" {submitted}" if submitted else f" ({progress.counts_text()})"


def _dry_run(args: argparse.Namespace, svc: Services, grid: Grid) -> int:
    from fusion_tui.sweeps.preview import preview  # SQLAlchemy: not at start-up

    start_after(args)  # checked as the real command would; nothing made
    runs_after(args, svc)
    shown = preview(svc.sweeps, args.template, grid, name=args.name,
                    overrides=args.set or [], executor=args.executor,
                    executor_options=executor_options(args), array_limit=args.array_limit,
                    reuse=args.reuse)
    emit(args, {"dry_run": True, **shown.as_dict()},
         lambda: shown.text(lambda s: duration_text(round(s))))
    return 0


def sweep_extend(args: argparse.Namespace, svc: Services) -> int:
    # the sweep layer (SQLAlchemy): not at start-up
    from fusion_tui.sweeps.grid import parse_axis, parse_loads, parse_seeds
    from fusion_tui.sweeps.progress import sweep_progress

    axes = tuple(parse_axis(g) for g in args.grid)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else ()
    loads = parse_loads(args.loads) if args.loads is not None else ()
    made = svc.sweeps.extend(args.id, axes=axes, seeds=seeds, loads=loads, rerun=args.rerun)
    detail = made.detail
    progress = sweep_progress(detail.runs)
    emit(args, {**sweep_to_dict(detail, progress), "new_runs": made.new,
                "reused_runs": made.reused},
         lambda: f"sweep {detail.sweep.id} extended: {made.text()}"
         + _started(svc, made.new, progress))
    return 0


def sweep_list(args: argparse.Namespace, svc: Services) -> int:
    listing = svc.sweeps.listing(everyone=args.all)
    _print_sweep_list(args, [svc.sweeps.detail(row.sweep.id) for row in listing])
    return 0


@dataclass(frozen=True)
class _QuickDetail:
    """A sweep and its current runs as the quick read path has them (`DetailView`)."""

    sweep: SweepRecord
    runs: list[RunRow]
    replaced: int

    @property
    def grid(self) -> Grid:
        return grid_of(self.sweep)

    @property
    def reused(self) -> frozenset[str]:
        return frozenset(r.id for r in self.runs if r.sweep_id != self.sweep.id)


def quick_sweep_list(args: argparse.Namespace, q: Quick) -> int:
    """`sweep list` read the quick way."""
    details = []
    for sweep in q.store.sweeps(None if args.all else q.user, LISTED_SWEEPS):
        runs, replaced = current_runs(q.store.sweep_runs(sweep.id), sweep.id)
        details.append(_QuickDetail(sweep, runs, replaced))
    _print_sweep_list(args, details)
    return 0


def _print_sweep_list(args: argparse.Namespace, details: Sequence[DetailView]) -> None:
    from fusion_tui.sweeps.progress import sweep_progress

    tagged = any(d.sweep.tags for d in details)  # a TAGS column once there are some
    rows: list[tuple[str, ...]] = [("ID", "NAME", "TEMPLATE", "RUNS", "PROGRESS", "ETA",
                                    *(("TAGS",) if tagged else ()), "STATUS")]
    out = []
    for detail in details:
        progress = sweep_progress(detail.runs)
        out.append(sweep_to_dict(detail, progress, with_runs=False))
        rows.append((detail.sweep.id, one_line(detail.sweep.name or "-", 30),
                     detail.sweep.template, str(progress.total),
                     f"{progress.fraction * 100:.1f}%", _eta(progress),
                     *((one_line(" ".join(detail.sweep.tag_names) or "-", 40),)
                       if tagged else ()),
                     progress.counts_text()))
    emit(args, out, lambda: columns(rows) if out else
         "No sweeps yet. Make one with: fusion-tui sweep new -t minimal --seeds 1-3")


def sweep_show(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.sweeps.progress import sweep_progress  # SQLAlchemy: not at start-up

    detail = svc.sweeps.detail(args.id)
    progress = sweep_progress(detail.runs)
    emit(args, sweep_to_dict(detail, progress), lambda: _show_text(detail, progress))
    return 0


def _show_text(detail: SweepDetail, progress: SweepProgress) -> str:
    sweep, grid = detail.sweep, detail.grid
    lines = [f"{'sweep':<11}{sweep.id}", f"{'name':<11}{one_line(sweep.name or '-')}",
             f"{'template':<11}{sweep.template}  (executor {sweep.executor})",
             f"{'tags':<11}" + (one_line(" ".join(sweep.tag_names), 2000) or "-")]
    for i, axis in enumerate(grid.axes):
        lines.append(f"{'grid' if i == 0 else '':<11}{axis.key} = "
                     + one_line(", ".join(axis.values), 200))
    if grid.seeds:
        lines.append(f"{'seeds':<11}{', '.join(map(str, grid.seeds))}")
    if grid.zipped:
        lines.append(f"{'paired':<11}" + ", ".join(grid.zipped))
    if grid.split_loads:
        lines.append(f"{'loads':<11}one run per load"
                     + (f": {', '.join(grid.loads)}" if grid.loads else ""))
    overrides = json.loads(sweep.overrides_json)
    if overrides:
        lines.append(f"{'overrides':<11}" + one_line(" ".join(overrides), 300))
    replaced = f"  ({detail.replaced} replaced by retries)" if detail.replaced else ""
    if detail.reused:
        replaced += f"  ({len(detail.reused)} reused from earlier runs)"
    lines.append(f"{'runs':<11}{progress.total}: {progress.counts_text()}{replaced}")
    lines.append(f"{'progress':<11}{progress.fraction * 100:.1f}%  ETA {_eta(progress)}")
    if sweep.note:
        lines += note_lines("note", sweep.note, 10)
    keys = grid.keys
    rows: list[tuple[str, ...]] = [(*(k.partition(".")[2].upper() or k.upper() for k in keys),
                                    "RUN", "STATUS", "PROGRESS")]
    for run in detail.runs:
        point = point_of(run)
        rows.append((*(one_line(point.get(k, "-"), 30) for k in keys), run.id, run.status,
                     progress_text(run)))
    return "\n".join(lines) + "\n\n" + columns(rows)


def sweep_cancel(args: argparse.Namespace, svc: Services) -> int:
    sweep_id = svc.sweeps.resolve(args.id).id
    ids = svc.sweeps.cancel(sweep_id)
    emit(args, {"id": sweep_id, "cancelled": ids},
         lambda: f"sweep {sweep_id}: cancel requested for {len(ids)} run(s)")
    return 0


def sweep_retry(args: argparse.Namespace, svc: Services) -> int:
    sweep_id = svc.sweeps.resolve(args.id).id
    done = svc.sweeps.retry(sweep_id)
    emit(args, {"id": sweep_id, "new_runs": done.ids, "retried": done.retried,
                "recreated": done.recreated}, lambda: done.text(sweep_id))
    return 0


def sweep_rm(args: argparse.Namespace, svc: Services) -> int:
    sweep_id = svc.sweeps.resolve(args.id).id
    done = svc.sweeps.delete(sweep_id)
    emit(args, {"id": sweep_id, "deleted": True, "runs": done.deleted, "kept_runs": done.kept},
         lambda: done.text(sweep_id))
    return 0
