"""Ending and removing runs: `cancel`, `rm`, `restart` (each for several ids, one line
per id) and `clean` (your finished runs in bulk)."""

from __future__ import annotations

import argparse
import gc
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import InvalidRunId
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import EXIT_USAGE, Commands, OnStore, UsageError
from fusion_tui.cli.filters import add_filter_flags, filter_from
from fusion_tui.cli.output import emit, run_to_dict
from fusion_tui.runs.errors import RunError
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow

if TYPE_CHECKING:
    from fusion_tui.services import Services


def register(commands: Commands) -> None:
    for name, handler, text in (
            ("cancel", cmd_cancel, "cancel runs (by id, or all of yours that the filters "
                                   "select: --status, --sweep, --tag, --template, --where)"),
            ("rm", cmd_rm, "delete finished runs and their directories"),
            ("restart", cmd_restart, "a new run with the same frozen config as each run "
                                     "(by id, or --failed of yours or of a --sweep)")):
        s = commands.add(name, OnStore(handler), help=text)
        s.add_argument("ids", nargs="+" if name == "rm" else "*", metavar="ID")
        if name == "cancel":
            add_filter_flags(s, status_help="every run of yours in this state, PENDING or "
                                            "RUNNING (repeatable; default: both)",
                             sweep_help="the unfinished runs of this sweep")
        if name == "restart":
            s.add_argument("--failed", action="store_true",
                           help="every failed run of yours (with --sweep: of that sweep)")
            s.add_argument("--sweep", metavar="SWEEP", help="the runs of this sweep")
    s = commands.add("clean", OnStore(cmd_clean), help="delete your finished runs in bulk")
    add_filter_flags(s, status_help="only this status (repeatable; default: every finished "
                                    "status)")
    s.add_argument("--older-than", type=_age, metavar="DURATION",
                   help="only runs that ended longer ago than this (30m, 12h, 7d, 2w)")
    s.add_argument("--yes", "-y", action="store_true", help="do not ask")


def _each(args: argparse.Namespace, act: Callable[[str], dict[str, Any]],
          line: Callable[[dict[str, Any]], str]) -> int:
    """Do `act` for every id given: one line (or JSON object) each, a failure reported and
    the others still done; exit 2 when any failed."""
    results: list[dict[str, Any]] = []
    failed = False
    for ref in args.ids:
        try:
            results.append(act(ref))
        except (RunError, InvalidRunId, FaultError) as exc:
            failed = True
            print(f"fusion-tui: {one_line(str(exc), 1000)}", file=sys.stderr)
            results.append({"id": ref, "error": one_line(str(exc), 1000)})
    ok = [r for r in results if "error" not in r]
    if ok or args.json:
        single = len(args.ids) == 1 and not getattr(args, "selected", False)
        emit(args, results[0] if single else results,
             lambda: "\n".join(line(r) for r in ok))
    return EXIT_USAGE if failed else 0


def _select(args: argparse.Namespace, svc: Services, chosen: RunFilter, what: str,
            statuses: frozenset[RunStatus]) -> bool:
    """Fill `args.ids` with your runs that `chosen` selects, in `statuses` unless it names
    its own (a sweep's current runs only: not those a retry replaced); False when that
    selects nothing (said in one line). Ids and a selection together are refused."""
    if bool(args.ids) == bool(chosen):
        raise UsageError(f"{args.command}: give run ids, or {what}")
    if args.ids:
        return True
    if not chosen.statuses:
        chosen = replace(chosen, statuses=statuses)
    runs = svc.store.list_runs(RunQuery(filter=chosen, owner=svc.manager.user), limit=100_000)
    if chosen.sweep:
        current = {r.id for r in svc.sweeps.store.runs(chosen.sweep)}
        runs = [r for r in runs if r.id in current]
    args.ids = [r.id for r in runs]
    args.selected = True  # a list in JSON, however many it found
    if not args.ids:
        emit(args, [], lambda: "no runs match")
        return False
    return True


def cmd_cancel(args: argparse.Namespace, svc: Services) -> int:
    unfinished = frozenset({RunStatus.PENDING, RunStatus.RUNNING})
    chosen = filter_from(args, svc, allowed=unfinished)
    if not _select(args, svc, chosen, "filters (--status PENDING|RUNNING, --sweep, --tag, "
                   "--template, --where)", unfinished):
        return 0

    def act(ref: str) -> dict[str, Any]:
        run = svc.manager.cancel(svc.manager.resolve(ref).id)
        return run_to_dict(run)

    return _each(args, act, lambda r: f"{r['id']} " + (
        r["status"] if RunStatus(r["status"]).is_finished else "cancel requested"))


def cmd_rm(args: argparse.Namespace, svc: Services) -> int:
    def act(ref: str) -> dict[str, Any]:
        run = svc.manager.resolve(ref)
        svc.manager.delete(run.id)
        return {"id": run.id, "deleted": True}

    return _each(args, act, lambda r: f"{r['id']} deleted")


def cmd_restart(args: argparse.Namespace, svc: Services) -> int:
    """A new run with the same frozen config as each given run, linked to it."""
    if args.sweep and not args.failed:
        raise UsageError("restart: --sweep picks the sweep's --failed runs; add --failed "
                         "(or name run ids)")
    failed = frozenset({RunStatus.FAILED})
    chosen = RunFilter(statuses=failed if args.failed else frozenset(),
                       sweep=svc.sweeps.resolve(args.sweep).id if args.sweep else None)
    if not _select(args, svc, chosen, "--failed [--sweep SWEEP]", failed):
        return 0

    def act(ref: str) -> dict[str, Any]:
        return run_to_dict(svc.manager.restart(svc.manager.resolve(ref).id))

    return _each(args, act, lambda r: f"{r['id']} {r['status']} (restart of "
                                      f"{r['origin_id']})")


def _age(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"expected a duration such as 30m, 12h or 7d, got "
                                         f"{text!r}")
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400,
                                "w": 604800}[m.group(2)]


def cmd_clean(args: argparse.Namespace, svc: Services) -> int:
    """Delete your finished runs in bulk (by status, tag, template, sweep, parameter, age);
    asks unless --yes."""
    chosen = filter_from(args, svc)
    if not chosen.statuses <= FINISHED_STATUSES:
        raise UsageError("clean removes finished runs only; cancel running runs first")
    chosen = replace(chosen, statuses=chosen.statuses or FINISHED_STATUSES)
    cutoff = utcnow() - timedelta(seconds=args.older_than) if args.older_than else None
    # Tens of thousands of runs, kept to the end: the garbage collector would walk them
    # again at each full collection while they load and while they are deleted (0.4 s).
    gc.disable()
    try:
        runs = [r for r in svc.store.runs_to_delete(RunQuery(filter=chosen,
                                                             owner=svc.manager.user))
                if r.owner == svc.manager.user
                and (cutoff is None or (r.completed_at or r.created_at) < cutoff)]
    finally:
        gc.freeze()
        gc.enable()
    if runs and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"clean would delete {len(runs)} run(s): add --yes to confirm "
                             "(stdin is not a terminal to ask)")
        answer = input(f"Delete {len(runs)} finished run(s) and their folders? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            emit(args, {"deleted": []}, lambda: "nothing deleted")
            return 0
    done = svc.manager.delete_many(runs)
    for problem in done.problems:
        print(f"fusion-tui: {one_line(problem, 1000)}", file=sys.stderr)
    emit(args, {"deleted": done.deleted}, lambda: f"deleted {len(done.deleted)} run(s)")
    return EXIT_USAGE if done.problems else 0
