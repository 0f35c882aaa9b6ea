"""The calling user's queue: start their oldest queued runs while their limit has free
slots (on executors whose runs wait in this queue)."""

from __future__ import annotations

from collections.abc import Sequence

from fusion_tui.executors.executor import QueuedExecutor
from fusion_tui.runs.context import RunContext
from fusion_tui.store.models import EventKind, Run


class Scheduler:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def schedule(self) -> list[Run]:
        """Start our oldest queued runs while our queue has free slots; returns them.

        Only the calling user's runs: each user's own processes (commands, the app, the
        recorder after each of their runs) start that user's queue.
        """
        ctx = self.ctx
        claimed: list[Run] = []
        for executor in ctx.executors.values():
            if isinstance(executor, QueuedExecutor):
                runs = ctx.store.claim_pending(executor.name, ctx.hostname, ctx.user)
                for run in runs:
                    executor.start(run)
                claimed += runs
        return claimed

    def start_queued(self, run_ids: Sequence[str]) -> None:
        """Schedule, and record the queue position of those of `run_ids` still waiting."""
        started = {r.id for r in self.schedule()}
        waiting = [rid for rid in run_ids if rid not in started]
        if len(waiting) == 1:
            position = self.ctx.store.count_pending_before(waiting[0])
            self.ctx.store.record_event(waiting[0], EventKind.QUEUED, f"position {position + 1}")
        elif waiting:
            self.ctx.store.record_events(waiting, EventKind.QUEUED, "in the queue")
