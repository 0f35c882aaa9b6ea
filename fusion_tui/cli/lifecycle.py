"""Ending and removing runs: `cancel`, `rm`, `restart` (each for several ids, one line
per id) and `clean` (your finished runs in bulk)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fusion_tui.base.faults import FaultError
from fusion_tui.base.ids import InvalidRunId
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import EXIT_USAGE, Commands, OnStore, UsageError
from fusion_tui.cli.output import emit, run_to_dict
from fusion_tui.runs.errors import RunError
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow

if TYPE_CHECKING:
    from fusion_tui.services import Services


def register(commands: Commands) -> None:
    for name, handler, text in (
            ("cancel", cmd_cancel, "cancel runs"),
            ("rm", cmd_rm, "delete finished runs and their directories"),
            ("restart", cmd_restart, "a new run with the same frozen config as each run")):
        commands.add(name, OnStore(handler), help=text).add_argument("ids", nargs="+",
                                                                     metavar="ID")
    s = commands.add("clean", OnStore(cmd_clean), help="delete your finished runs in bulk")
    s.add_argument("--status", action="append", default=[], type=str.upper,
                   choices=sorted(x.value for x in FINISHED_STATUSES),
                   help="only this status (repeatable; default: every finished status)")
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
        emit(args, results if len(args.ids) > 1 else results[0],
             lambda: "\n".join(line(r) for r in ok))
    return EXIT_USAGE if failed else 0


def cmd_cancel(args: argparse.Namespace, svc: Services) -> int:
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
    """Delete your finished runs in bulk (by status, by age); asks unless --yes."""
    statuses = frozenset(RunStatus(x) for x in args.status) or FINISHED_STATUSES
    if not statuses <= FINISHED_STATUSES:
        raise UsageError("clean removes finished runs only; cancel running runs first")
    cutoff = utcnow() - timedelta(seconds=args.older_than) if args.older_than else None
    runs = [r for r in svc.store.list_runs(RunQuery(statuses=statuses, owner=svc.manager.user),
                                           limit=1_000_000)
            if r.owner == svc.manager.user
            and (cutoff is None or (r.completed_at or r.created_at) < cutoff)]
    if runs and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"clean would delete {len(runs)} run(s): add --yes to confirm "
                             "(stdin is not a terminal to ask)")
        answer = input(f"Delete {len(runs)} finished run(s) and their folders? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            emit(args, {"deleted": []}, lambda: "nothing deleted")
            return 0
    deleted, failed = [], False
    for run in runs:
        try:
            svc.manager.delete(run.id)
            deleted.append(run.id)
        except (RunError, FaultError) as exc:
            failed = True
            print(f"fusion-tui: {one_line(str(exc), 1000)}", file=sys.stderr)
    emit(args, {"deleted": deleted}, lambda: f"deleted {len(deleted)} run(s)")
    return EXIT_USAGE if failed else 0
