"""The calling user's queue: start their oldest queued runs that are due while their
limit has free slots (on executors whose runs wait in this queue).

A queued run may wait for other runs to COMPLETE and for a start time
(`store/dependencies.py`); it keeps its place meanwhile. A run whose needed run ended
any other way is ended here (CANCELLED, saying which run and how it ended), and so are
the runs waiting for it in turn. A run due at a time gets a timer (`runs/timer.py`) that
starts the queue then, should nothing else of its owner's do so first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fusion_tui.base.faults import describe_os_error
from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.executor import QueuedExecutor
from fusion_tui.runs.context import RunContext
from fusion_tui.runs.waiting import waiting_text
from fusion_tui.runs.wakeups import end_timer, start_timer, timers
from fusion_tui.store.dependencies import Blocked
from fusion_tui.store.models import EventKind, Run
from fusion_tui.store.status import RunStatus, utcnow


class Scheduler:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def _queued_executors(self) -> list[QueuedExecutor]:
        return [e for e in self.ctx.executors.values() if isinstance(e, QueuedExecutor)]

    def end_blocked(self) -> list[Blocked]:
        """End our queued runs that can never start (a run they need ended other than
        COMPLETED, or is gone), and those that waited for them."""
        names = [e.name for e in self._queued_executors()]
        return self.ctx.store.cancel_blocked(names, self.ctx.user) if names else []

    def end_idle_timers(self) -> None:
        """End our timers none of whose runs is queued any more (cancelled): each would
        sleep until its time, up to a year, to do nothing. A timer with a run this store
        does not know (deleted, or another store's) is left to end by itself."""
        store = self.ctx.store
        for timer in timers():
            runs = (store.get(i) for i in timer.run_ids)
            if timer.run_ids and all(r is not None and r.status != RunStatus.PENDING
                                     for r in runs):
                end_timer(timer)

    def schedule(self, now: datetime | None = None, *, end_blocked: bool = True) -> list[Run]:
        """Start our oldest due queued runs while our queue has free slots; returns them.
        Then end the queued runs that can never start, unless `end_blocked` is False and
        no run failed to start here: the recorder leaves that out after a run that
        COMPLETED, which blocks nothing (whoever ends a run any other way, or deletes one,
        ends them).

        Only the calling user's runs: each user's own processes (commands, the app, the
        recorder after each of their runs, a timer) start that user's queue.
        """
        ctx = self.ctx
        claimed: list[Run] = []
        start_failed = False
        for executor in self._queued_executors():
            while True:
                runs = ctx.store.claim_pending(executor.name, ctx.hostname, ctx.user, now=now)
                freed = [executor.start(run) for run in runs]
                claimed += runs
                # A run that could not start (FAILED) gave its slot back: claim again,
                # or the queue would wait for whatever starts it next.
                if not any(freed):
                    break
                start_failed = True  # and the runs that were to start after it end
        # After the starts (a run that waits for another is never claimed before that
        # one COMPLETED): in a queue of short runs the next one starts without waiting.
        if end_blocked or start_failed:
            self.end_blocked()
        return claimed

    def start_queued(self, run_ids: Sequence[str]) -> None:
        """Schedule, and record the queue position (or what they wait for) of those of
        `run_ids` still waiting; a timer for those due at a later time."""
        started = {r.id for r in self.schedule()}
        waiting = [rid for rid in run_ids if rid not in started]
        if not waiting:
            return
        store, now = self.ctx.store, utcnow()
        first = store.get(waiting[0])
        needs = store.waiting_on(waiting)
        why = None if first is None else waiting_text(first.status, first.start_after,
                                                      needs.get(first.id, []), now)
        if why is not None:  # a batch (a sweep) waits for the same
            store.record_events(waiting, EventKind.QUEUED, why)
            if first is not None and first.start_after is not None and first.start_after > now:
                self._timer(first.start_after, waiting, RunPaths(Path(first.run_dir)))
        elif len(waiting) == 1:
            position = store.count_pending_before(waiting[0])
            store.record_event(waiting[0], EventKind.QUEUED, f"position {position + 1}")
        else:
            store.record_events(waiting, EventKind.QUEUED, "in the queue")

    def _timer(self, at: datetime, run_ids: Sequence[str], paths: RunPaths) -> None:
        """Start the queue at `at` even if nothing else of ours does (`runs/timer.py`).
        A timer that cannot be started is said in the runs' audit trail: they still
        start at the first command, app or schedule tick after their time."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSION_TUI_")}
        env.update(self.ctx.settings.to_env())
        try:
            start_timer(at, run_ids, paths, env)
        except OSError as exc:
            self.ctx.store.record_events(
                run_ids, EventKind.QUEUED,
                f"no timer could be started ({describe_os_error(exc)}); the next "
                "fusion-tui command after the start time starts it")
