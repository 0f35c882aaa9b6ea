"""Runs: `runs` (the list), `new` (create, start or queue, and optionally wait) and
`show` (one run, its events and what became of its results)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.base.rundir import NOT_READABLE, RunPaths, folder_readable
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore, Quick
from fusion_tui.cli.executor_flags import add_executor_flags, executor_options
from fusion_tui.cli.filters import add_filter_flags, filter_from, flag_filter
from fusion_tui.cli.follow import wait_exit_code
from fusion_tui.cli.output import (
    duration_text,
    emit,
    iso,
    note_lines,
    progress_text,
    run_to_dict,
    where,
)
from fusion_tui.cli.quick import find_quickly
from fusion_tui.cli.start_flags import add_start_flags, runs_after, start_after
from fusion_tui.executors.description import Seconds
from fusion_tui.executors.descriptions import description_of
from fusion_tui.runs.waiting import short_waiting, waiting_text
from fusion_tui.store.event_kinds import results_note
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.result_cache import cached_result
from fusion_tui.store.status import RunStatus, local_text, utcnow
from fusion_tui.sweeps.labels import compact_label, name_without_point, point_label

if TYPE_CHECKING:
    from fusion_tui.runs.tail import RunSnapshot
    from fusion_tui.services import Services
    from fusion_tui.store.models import RunEvent
    from fusion_tui.store.run_row import AnyRun, EventRow


def register(commands: Commands) -> None:
    s = commands.add("runs", OnStore(cmd_runs, schedule=False, quick=quick_runs),
                     help="list runs")
    add_filter_flags(s, status_help="only runs in this status (repeatable, or a comma list: "
                                    "any of them)")
    s.add_argument("--limit", type=positive, default=100, help="at most this many (1 or more)")
    s.add_argument("--all", "-a", action="store_true", help="every user's runs, not just yours")
    s.add_argument("--before", metavar="ID",
                   help="only the runs listed after run ID (older): give a page's last id "
                        "for the next page")
    s = commands.add("new", OnStore(cmd_new), help="create (and start or queue) a run")
    s.add_argument("--template", "-t", required=True)
    s.add_argument("--name", "-n")
    s.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE")
    add_executor_flags(s)
    add_start_flags(s)
    s.add_argument("--wait", action="store_true", help="wait for the run to finish")
    s.add_argument("--plan", action="store_true",
                   help="check everything and print the plan (loads, command, warnings); "
                        "make nothing")
    commands.add("show", OnStore(cmd_show, schedule=False, quick=quick_show),
                 help="show one run").add_argument("id")


def positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def cmd_runs(args: argparse.Namespace, svc: Services) -> int:
    found = filter_from(args, svc)
    owner = None if args.all else svc.manager.user
    before = svc.manager.resolve(args.before).id if args.before else None
    query = RunQuery(filter=found, owner=owner, before=before)
    runs = svc.store.list_runs(query, limit=args.limit)
    if any(r.run_status.is_finished and r.result_load is None for r in runs):
        # the results of finished runs nobody has listed yet, read once and cached
        from fusion_tui.comparison.run_result import ResultFiller

        if ResultFiller(svc.store).fill([r.id for r in runs], limit=len(runs)):
            runs = svc.store.list_runs(query, limit=args.limit)
    _print_runs(args, runs, found, svc.store.waiting_on)
    return 0


def quick_runs(args: argparse.Namespace, q: Quick) -> int | None:
    """`runs` read the quick way; None for a filter it keeps no statement for, and when a
    listed run's results are still to be read (the usual way reads and caches them)."""
    if args.sweep:
        return None  # a sweep prefix is resolved by the sweeps' manager
    found = flag_filter(args, sweep=None)
    before = find_quickly(q, args.before).id if args.before else None
    runs = q.store.page(found, None if args.all else q.user, args.limit, before)
    if runs is None or any(r.run_status.is_finished and r.result_load is None for r in runs):
        return None
    _print_runs(args, runs, found, q.store.waiting_on)
    return 0


def _print_runs(args: argparse.Namespace, runs: Sequence[AnyRun], found: RunFilter,
                waiting_on: Callable[[Iterable[str]], dict[str, list[str]]]) -> None:
    needs = waiting_on([r.id for r in runs if r.status == RunStatus.PENDING])
    emit(args, [run_to_dict(r) for r in runs], lambda: _table(runs, bool(found), needs))


def _table(runs: Sequence[AnyRun], filtered: bool = False,
           needs: dict[str, list[str]] | None = None) -> str:
    if not runs:
        if filtered:
            return "No runs match."
        return "No runs yet. Start one with: fusion-tui new --template minimal"
    tagged = any(r.tags for r in runs)  # a TAGS column once there is something to show
    rows = [("ID", "STATUS", "PROGRESS", "BLOCKING", "INTERVAL", "TEMPLATE", "WHERE", "OWNER",
             "CREATED", *(("TAGS",) if tagged else ()), "RUN")]
    now = utcnow()
    for r in runs:
        why = short_waiting(r.status, r.start_after, (needs or {}).get(r.id, []), now)
        result = cached_result(r.result_load, r.result_blocking, r.result_low, r.result_high)
        blocking, interval = ("-", "-") if result is None else \
            (value_text(result.blocking, result.low, result.high),
             interval_text(result.low, result.high))
        rows.append((r.id, r.status, why or progress_text(r), blocking, interval,
                     one_line(r.template, 20), one_line(where(r), 24),
                     one_line(r.owner or "-", 16), local_text(r.created_at, "%Y-%m-%d %H:%M:%S"),
                     *((one_line(" ".join(r.tag_names) or "-", 40),) if tagged else ()),
                     _run_text(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def _run_text(run: AnyRun) -> str:
    """A sweep's run by its point (`k=2 ff s=3`) and its sweep's name, any other by its
    name (cut at 40 characters)."""
    point = json.loads(run.point_json) if run.point_json else None
    if not isinstance(point, dict) or not point:
        return one_line(run.name or "", 40)
    point = {str(k): str(v) for k, v in point.items()}
    return one_line(f"{compact_label(point)}  {name_without_point(run.name, point)}", 80)


def cmd_new(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.kinds.registry import kind_for  # loaded by create anyway

    if args.plan:
        return _print_plan(args, svc)
    at = start_after(args)
    run = svc.manager.create(args.template, name=args.name, overrides=args.set or [],
                             executor=args.executor, executor_options=executor_options(args),
                             after=runs_after(args, svc), start_after=at)
    for warning in kind_for(run.simulator).warnings(json.loads(run.config_json)):
        print(f"fusion-tui: warning: {one_line(warning, 500)}", file=sys.stderr)
    if args.wait:
        run = svc.manager.wait(run.id)
    why = None if args.wait else waiting(run, svc.store.waiting_on)
    emit(args, run_to_dict(run), lambda: f"{run.id} {run.status}" + (f" ({why})" if why else ""))
    return wait_exit_code(run) if args.wait else 0


def waiting(run: AnyRun, waiting_on: Callable[[Iterable[str]], dict[str, list[str]]]
            ) -> str | None:
    """Why a queued run waits (for runs to complete, for its start time), in words."""
    needs = waiting_on([run.id]).get(run.id, [])
    return waiting_text(run.status, run.start_after, needs, utcnow())


def _print_plan(args: argparse.Namespace, svc: Services) -> int:
    """What `new` would make, checked as `new` checks it; nothing is made."""
    from fusion_tui.kinds.registry import kind_for
    from fusion_tui.runs.evidence import load_list

    plan = svc.manager.plan(args.template, name=args.name, overrides=args.set or [],
                            executor=args.executor, executor_options=executor_options(args),
                            after=runs_after(args, svc), start_after=start_after(args))
    kind = kind_for(plan.config.simulator)
    loads = kind.loads(plan.config.sections)
    warnings = kind.warnings(plan.config.sections)
    data = {"template": plan.config.template.name, "simulator": plan.config.simulator,
            "loads": loads, "iterations": plan.config.iterations,
            "load_meaning": kind.load_meaning, "executor": plan.executor,
            "argv": plan.argv, "cwd": None if plan.cwd is None else str(plan.cwd),
            "warnings": warnings}
    emit(args, data, lambda: "\n".join([
        f"loads       {load_list(loads)} Erlang ({len(loads)} x {plan.config.iterations} "
        "iterations)",
        f"load        {kind.load_meaning}",
        f"executor    {plan.executor}",
        f"command     {one_line(' '.join(plan.argv), 500)}",
        *[f"warning     {one_line(w, 500)}" for w in warnings]]))
    return 0


def cmd_show(args: argparse.Namespace, svc: Services) -> int:
    run = svc.manager.resolve(args.id)
    _print_show(args, run, svc.store.events(run.id), svc.store.waiting_on)
    return 0


def quick_show(args: argparse.Namespace, q: Quick) -> int:
    """`show` read the quick way."""
    run = find_quickly(q, args.id)
    _print_show(args, run, q.store.events(run.id), q.store.waiting_on)
    return 0


def _print_show(args: argparse.Namespace, run: AnyRun, events: Sequence[EventRow | RunEvent],
                waiting_on: Callable[[Iterable[str]], dict[str, list[str]]]) -> None:
    data = run_to_dict(run, with_config=True)
    data["events"] = [{"kind": e.kind, "at": iso(e.at), "detail": e.detail} for e in events]
    data["folder_readable"] = readable = folder_readable(Path(run.run_dir))
    data["results_note"] = note = results_note(events)
    data["waiting"] = why = waiting(run, waiting_on)
    live = _live(run) if readable and run.status == RunStatus.RUNNING else None
    data["live"] = None if live is None else {
        "fraction_done": live.fraction_done, "current_erlang": live.current_erlang,
        "erlang_index": live.erlang_index, "current_iteration": live.current_iteration,
        "seconds_left": live.seconds_left,
        "loads": [{"erlang": p.erlang, "iterations_done": p.iterations_done,
                   "blocking": p.blocking, "ci_lower": p.ci_lower, "ci_upper": p.ci_upper,
                   "complete": p.complete} for p in live.points]}
    emit(args, data, lambda: _describe(run, readable, note, live, why))


def _version(run: AnyRun) -> str | None:
    """What produced the numbers, from the run's provenance: a version or a commit."""
    try:
        provenance = json.loads(run.provenance_json) if run.provenance_json else {}
    except ValueError:
        return None
    found = [f"{key} {provenance[key]}" for key in ("simulator_version", "fusion_commit")
             if isinstance(provenance, dict) and provenance.get(key)]
    return ", ".join(found) or None


def _live(run: AnyRun) -> RunSnapshot:
    """A running run's progress as its folder holds it now (the store hears of it only
    every so often), read as the app's detail screen reads it."""
    from fusion_tui.kinds.registry import kind_of_run
    from fusion_tui.runs.tail import RunTail

    paths = RunPaths(Path(run.run_dir))
    return RunTail(paths, kind_of_run(paths)).read_all()


def _describe(run: AnyRun, readable: bool = True, results: str | None = None,
              live: RunSnapshot | None = None, why: str | None = None) -> str:
    folder = run.run_dir if readable else f"{run.run_dir} ({NOT_READABLE})"
    erlang, index, iteration = (run.current_erlang, run.current_erlang_index,
                                run.current_iteration)
    progress = progress_text(run)
    if live is not None and live.fraction_done is not None:
        erlang, index, iteration = live.current_erlang, live.erlang_index, \
            live.current_iteration
        progress = f"{live.fraction_done * 100:5.1f}% (now, from the run folder)"
    lines = [f"{k:<16} {v}" for k, v in (
        ("id", run.id), ("name", one_line(run.name or "-")), ("status", run.status),
        ("template", run.template), ("tags", one_line(" ".join(run.tag_names) or "-", 2000)),
        ("simulator", run.simulator),
        ("progress", progress),
        ("erlang", f"{erlang} ({(index or 0) + 1}/{run.total_erlangs})"
                   if erlang is not None else "-"),
        ("iteration", f"{iteration}/{run.total_iterations}" if iteration is not None else "-"),
        ("created", local_text(run.created_at)), ("started", local_text(run.started_at)),
        ("completed", local_text(run.completed_at)),
        ("exit code", "-" if run.exit_code is None else run.exit_code),
        ("pid", run.pid or "-"), ("host", run.hostname or "-"), ("owner", run.owner or "-"),
        ("executor", run.executor), ("directory", folder),
        ("config hash", run.config_hash or "-"), ("seed", "-" if run.seed is None else run.seed),
    )]
    lines += [f"{k:<16} {duration_text(v.value) if isinstance(v, Seconds) else one_line(v)}"
              for k, v in description_of(run.executor).show_lines(run)]
    if run.needs:
        lines.append(f"{'after':<16} " + one_line(" ".join(n.needs_id for n in run.needs), 300))
    if run.start_after is not None:
        lines.append(f"{'not before':<16} {local_text(run.start_after)}")
    if why:
        lines.append(f"{'waiting':<16} {why}")
    if run.sweep_id:
        point = json.loads(run.point_json) if run.point_json else {}
        lines.append(f"{'sweep':<16} {run.sweep_id}"
                     + (f" ({one_line(point_label(point), 200)})" if point else ""))
    version = _version(run)
    if version:
        lines.append(f"{'version':<16} {one_line(version, 200)}")
    if live is not None:
        left = live.seconds_left
        lines.append(f"{'eta':<16} " + ("-" if left is None else duration_text(int(left))))
        lines += [f"{'load':<16} {p.erlang:g} Erlang: {p.iterations_done} iteration(s)"
                  + (", done" if p.complete else "")
                  + (f", blocking {value_text(p.blocking, p.ci_lower, p.ci_upper)}"
                     if p.blocking is not None else "")
                  + (f" {interval_text(p.ci_lower, p.ci_upper)}"
                     if p.ci_lower is not None and p.ci_upper is not None else "")
                  for p in live.points]
    if run.error_message:
        lines.append(f"{'error':<16} {one_line(run.error_message, 500)}")
    if results:
        lines.append(f"{'results':<16} {one_line(results, 1500)}")
    if run.note:
        lines += note_lines("note", run.note, 16)
    return "\n".join(lines)
