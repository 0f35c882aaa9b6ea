"""`python -m fusion_tui.runs.timer AT RUN_ID...`: start the queue when queued runs are due
(`runs/wakeups.py` starts it).

A run made with `--at` or `--delay` waits in its owner's queue until its start time. The
queue is advanced by whatever of that user's runs: a command, the app, the recorder after
a run ends. With nothing else going on at the time, nobody would, so each such batch of
runs gets one of these: a detached process (a session of its own, so a closed terminal or
a dropped SSH connection does not reach it) that sleeps until the time, then asks the
store to start the queue, as any command of the user's does (the due runs that fit the
limit in force then), and ends. A cancel that leaves none of its runs queued ends it
(`RunManager.cancel`); should it wake with none queued all the same, it does nothing.
It never restarts anything. It sleeps in steps of at most
a minute by the wall clock, so a suspended machine wakes it on time, and it costs no CPU
while it waits. A machine switched off before the time loses it: the next command, the
app or `fusion-tui schedule tick` starts the run then.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime

from fusion_tui.runs.background import say
from fusion_tui.store.status import utcnow

STEP_SECONDS = 60.0  # the longest sleep between looks at the wall clock
ATTEMPTS = 5  # a store that is busy or away is asked again, a little later each time


def sleep_until(at: datetime) -> None:
    """Until the wall clock reaches `at` (naive UTC)."""
    while (left := (at - utcnow()).total_seconds()) > 0:
        time.sleep(min(left, STEP_SECONDS))


def advance(run_ids: Sequence[str]) -> str:
    """Start the queue if any of `run_ids` is still queued; what was done, in words."""
    from fusion_tui.base.settings import Settings
    from fusion_tui.executors.descriptions import TABLES
    from fusion_tui.runs.manager import RunManager
    from fusion_tui.store.database import make_engine, make_sessionmaker
    from fusion_tui.store.runs_repo import RunStore
    from fusion_tui.store.sqlite_file import sqlite_path
    from fusion_tui.store.status import RunStatus

    settings = Settings.load(tables=TABLES)  # the queue may hold runs of any executor
    store_file = sqlite_path(settings.database_url)
    if store_file is not None and not store_file.exists():  # never make an empty store
        return f"the database {store_file} does not exist"
    engine = make_engine(settings.database_url,
                         slow_query_seconds=settings.slow_query_seconds,
                         busy_seconds=settings.db_busy_seconds)
    try:
        store = RunStore(make_sessionmaker(engine))
        if not any((run := store.get(i)) is not None and run.status == RunStatus.PENDING
                   for i in run_ids):
            return "none of its runs is queued any more"
        started = RunManager(settings, store).schedule()
        return f"started {len(started)} run(s): {' '.join(r.id for r in started) or '-'}"
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m fusion_tui.runs.timer AT RUN_ID...", file=sys.stderr)
        return 2
    at, run_ids = datetime.fromisoformat(args[0]), args[1:]
    say("timer", f"runs {' '.join(run_ids)} are due at {at.isoformat()} UTC")
    sleep_until(at)
    for attempt in range(ATTEMPTS):
        try:
            say("timer", advance(run_ids))
            return 0
        except Exception as exc:
            say("timer", f"cannot start the queue: {' '.join(str(exc).split())}")
            time.sleep(2.0 * (attempt + 1))
    return 1


if __name__ == "__main__":
    sys.exit(main())
