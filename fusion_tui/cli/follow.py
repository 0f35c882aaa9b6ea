"""Following runs: `logs` (a run's log, or its tail as it grows) and `wait` (until runs
end, exiting like they did: 0 COMPLETED, the simulator's exit code for FAILED, 128+N when
killed by signal N, 130 CANCELLED, 124 on --timeout)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base.faults import FaultError
from fusion_tui.base.rundir import NOT_READABLE, folder_readable
from fusion_tui.base.textsafe import strip_escapes
from fusion_tui.cli.command import Commands, OnStore, UsageError
from fusion_tui.cli.output import emit, run_to_dict, write_out
from fusion_tui.runs.errors import RunNotFound
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus

UNFINISHED = (RunStatus.PENDING, RunStatus.RUNNING)

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.models import Run


def register(commands: Commands) -> None:
    s = commands.add("logs", OnStore(cmd_logs, schedule=False), help="print a run's log")
    s.add_argument("id")
    s.add_argument("--follow", "-f", action="store_true", help="follow until the run ends")
    s.add_argument("--raw", action="store_true",
                   help="the log's lines exactly, escape sequences included (for files)")
    s.add_argument("--lines", "-n", type=int, metavar="N",
                   help="only the last N lines (with --follow: start from them)")
    s = commands.add("wait", OnStore(cmd_wait), help="wait for runs; exit like they did")
    s.add_argument("ids", nargs="*", metavar="ID",
                   help="a run, or a sweep (its current runs)")
    s.add_argument("--all", action="store_true", help="every unfinished run of yours")
    s.add_argument("--timeout", type=float)


def cmd_logs(args: argparse.Namespace, svc: Services) -> int:
    # an event loop and aiofiles: only for this command, not at start-up
    import asyncio

    from fusion_tui.monitor.log_stream import last_lines_offset, stream_log

    run = svc.manager.resolve(args.id)
    if not folder_readable(Path(run.run_dir)):
        raise FaultError(f"the log of run {run.id} is {NOT_READABLE}: the run belongs to "
                         f"{run.owner or '-'} and its folder is closed to you")
    path = svc.manager.paths(run).log
    clean = not args.raw
    last_check = [0.0]

    def finished() -> bool:
        now = time.monotonic()
        if now - last_check[0] < 1.0:
            return False
        last_check[0] = now
        current = svc.manager.get(run.id)
        svc.manager.reconcile_run(current)
        return svc.manager.get(run.id).status in FINISHED_STATUSES

    start = last_lines_offset(path, args.lines) if args.lines is not None else None

    async def pump() -> None:
        async for line in stream_log(path, start=start, follow=args.follow,
                                     should_stop=finished):
            if args.json:
                write_out(json.dumps({"line": line}) + "\n", flush=args.follow)
            else:
                write_out((strip_escapes(line) if clean else line) + "\n", flush=args.follow)

    asyncio.run(pump())
    return 0


def wait_exit_code(run: Run) -> int:
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
    data = [run_to_dict(r) for r in done]
    emit(args, data if len(done) > 1 else data[0],
         lambda: "\n".join(f"{r.id} {r.status}" for r in done))
    return next((code for code in map(wait_exit_code, done) if code), 0)
