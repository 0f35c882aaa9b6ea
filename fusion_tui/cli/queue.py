"""Your queue: `parallel [N]` (how many of your runs may run at once), `pause` and `start`.

Each user's queue is theirs, kept in the store: another user's limit and pause apply to
their runs only. The change is `runs/queue.change_queue`'s, as in the app.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fusion_tui.cli.command import Commands, OnStore
from fusion_tui.cli.output import emit
from fusion_tui.store.query import RunQuery
from fusion_tui.store.queue import MAX_PARALLEL
from fusion_tui.store.status import RunStatus

if TYPE_CHECKING:
    from fusion_tui.services import Services


def register(commands: Commands) -> None:
    handler = OnStore(cmd_queue, schedule=False)  # it schedules once its change is made
    s = commands.add("parallel", handler,
                     help="show or set how many runs may run at once (kept in the store)")
    s.add_argument("limit", nargs="?", type=_limit, metavar="N")
    commands.add("pause", handler, help="pause the queue: running runs go on, queued runs wait")
    commands.add("start", handler, help="resume a paused queue")


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_PARALLEL:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_PARALLEL}, got {value}")
    return value


def cmd_queue(args: argparse.Namespace, svc: Services) -> int:
    """Apply `parallel N`, `pause` or `start`, then say how the queue stands."""
    from fusion_tui.runs.queue import change_queue  # the run manager: only once it is used

    paused = {"pause": True, "start": False}.get(args.command)
    queue = change_queue(svc.manager, paused=paused,
                         limit=args.limit if args.command == "parallel" else None)
    mine = svc.manager.user
    running, pending = (svc.store.count_runs(RunQuery(statuses=frozenset({status}), owner=mine))
                        for status in (RunStatus.RUNNING, RunStatus.PENDING))
    data = {"owner": mine, "max_concurrent": queue.max_concurrent, "paused": queue.paused,
            "running": running, "pending": pending}
    emit(args, data, lambda: _queue_text(queue.max_concurrent, queue.paused, running, pending))
    return 0


def _queue_text(limit: int, paused: bool, running: int, pending: int) -> str:
    state = "paused (running runs go on; queued runs wait)" if paused else "running"
    return f"your queue {state}: up to {limit} at once; {running} running, {pending} queued"
