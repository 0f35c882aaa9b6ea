"""Following runs: `logs` (a run's log, or its tail as it grows) and `wait` (until runs
end, exiting like they did: 0 COMPLETED, the simulator's exit code for FAILED, 128+N when
killed by signal N, 130 CANCELLED, 124 on --timeout)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base.faults import FaultError
from fusion_tui.base.rundir import NOT_READABLE, RunPaths, folder_readable
from fusion_tui.base.textsafe import strip_escapes
from fusion_tui.cli.command import Commands, OnStore, Quick, UsageError
from fusion_tui.cli.output import emit, run_to_dict, write_out
from fusion_tui.cli.quick import find_quickly
from fusion_tui.runs.errors import RunNotFound
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus

UNFINISHED = (RunStatus.PENDING, RunStatus.RUNNING)

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.models import Run
    from fusion_tui.store.run_row import AnyRun


def register(commands: Commands) -> None:
    s = commands.add("logs", OnStore(cmd_logs, schedule=False, quick=quick_logs),
                     help="print a run's log")
    s.add_argument("id")
    s.add_argument("--follow", "-f", action="store_true", help="follow until the run ends")
    s.add_argument("--raw", action="store_true",
                   help="the log's lines exactly, escape sequences included (for files)")
    s.add_argument("--lines", "-n", type=int, metavar="N",
                   help="only the last N lines (with --follow: start from them)")
    s = commands.add("wait", OnStore(cmd_wait, quick=quick_wait),
                     help="wait for runs; exit like they did")
    s.add_argument("ids", nargs="*", metavar="ID",
                   help="a run, or a sweep (its current runs)")
    s.add_argument("--all", action="store_true", help="every unfinished run of yours")
    s.add_argument("--timeout", type=float)


def cmd_logs(args: argparse.Namespace, svc: Services) -> int:
    run = svc.manager.resolve(args.id)
    last_check = [0.0]

    def finished() -> bool:
        now = time.monotonic()
        if now - last_check[0] < 1.0:
            return False
        last_check[0] = now
        current = svc.manager.get(run.id)
        svc.manager.reconcile_run(current)
        return svc.manager.get(run.id).status in FINISHED_STATUSES

    _print_log(args, run, finished)
    return 0


def quick_logs(args: argparse.Namespace, q: Quick) -> int | None:
    """`logs` without --follow, read the quick way (following needs the run manager)."""
    if args.follow:
        return None
    _print_log(args, find_quickly(q, args.id), lambda: True)
    return 0


def _print_log(args: argparse.Namespace, run: AnyRun, finished: Callable[[], bool]) -> None:
    # an event loop and aiofiles: only for this command, not at start-up
    import asyncio

    from fusion_tui.monitor.log_stream import last_lines_offset, stream_log

    if not folder_readable(Path(run.run_dir)):
        raise FaultError(f"the log of run {run.id} is {NOT_READABLE}: the run belongs to "
                         f"{run.owner or '-'} and its folder is closed to you")
    path = RunPaths(Path(run.run_dir)).log
    clean = not args.raw
    start = last_lines_offset(path, args.lines) if args.lines is not None else None

    async def pump() -> None:
        async for line in stream_log(path, start=start, follow=args.follow,
                                     should_stop=finished):
            if args.json:
                write_out(json.dumps({"line": line}) + "\n", flush=args.follow)
            else:
                write_out((strip_escapes(line) if clean else line) + "\n", flush=args.follow)

    asyncio.run(pump())


def wait_exit_code(run: AnyRun) -> int:
    if run.status == RunStatus.COMPLETED:
        return 0
    if run.status == RunStatus.CANCELLED:
        return 130
    code = run.exit_code
    if code is None or code == 0:
        return 1
    return 128 - code if code < 0 else min(code, 255)


def _runs_of(svc: Services, ref: str) -> list[Run]:
    """The run `ref` names, else the current runs of the sweep it names."""
    try:
        return [svc.manager.resolve(ref)]
    except RunNotFound as not_a_run:
        try:
            sweep = svc.sweeps.resolve(ref)
        except RunNotFound:
            raise not_a_run from None
        return svc.sweeps.store.runs(sweep.id)


def cmd_wait(args: argparse.Namespace, svc: Services) -> int:
    """Wait for every given run (a sweep's id stands for its current runs; --all for every
    unfinished run of yours); exit like the first that did not complete (0 if all did)."""
    if bool(args.ids) == bool(args.all):
        raise UsageError("wait: give run or sweep ids, or --all")
    if args.all:
        runs = svc.store.list_runs(RunQuery(statuses=frozenset(UNFINISHED),
                                            owner=svc.manager.user), limit=100_000)
        if not runs:
            emit(args, [], lambda: "no unfinished runs")
            return 0
    else:
        runs = [run for ref in args.ids for run in _runs_of(svc, ref)]
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    done = []
    for run in runs:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            done.append(svc.manager.wait(run.id, timeout=left))
        except TimeoutError:  # said with the time asked for, not what was left of it
            current = svc.manager.get(run.id)
            print(f"fusion-tui: run {run.id} still {current.status} after --timeout "
                  f"{args.timeout:g} s", file=sys.stderr)
            return 124
    return _print_waited(args, done)


def quick_wait(args: argparse.Namespace, q: Quick) -> int | None:
    """`wait` for runs that have all ended already, read the quick way; None for anything
    still to wait for, and for an id that names no run (perhaps a sweep)."""
    if bool(args.ids) == bool(args.all):
        raise UsageError("wait: give run or sweep ids, or --all")
    if args.all:
        if any(r.owner in (None, q.user) for r in q.store.unfinished()):
            return None
        emit(args, [], lambda: "no unfinished runs")
        return 0
    done = []
    for ref in args.ids:
        try:
            run = find_quickly(q, ref)
        except RunNotFound:
            return None
        if run.status not in FINISHED_STATUSES:
            return None
        done.append(run)
    return _print_waited(args, done)


def _print_waited(args: argparse.Namespace, done: Sequence[AnyRun]) -> int:
    data = [run_to_dict(r) for r in done]
    emit(args, data if len(done) > 1 else data[0],
         lambda: "\n".join(f"{r.id} {r.status}" for r in done))
    return next((code for code in map(wait_exit_code, done) if code), 0)
