"""Carrying a cancel out: SIGTERM to the run's processes, then SIGKILL once the grace
period is over, or earlier when the run's kind says the simulator is done (FUSION saves
its statistics on SIGTERM and carries on). Every signal goes to processes verified to
be the run's (`procs.signal_run`) and is recorded for the store."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from fusion_tui.base import procs
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.kind import RunKind
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.runs.background import say
from fusion_tui.runs.supervision.signals import SignalRequests
from fusion_tui.runs.supervision.status import StatusFile
from fusion_tui.store.status import utcnow

POLL_SECONDS = 0.5
SAVE_WATCH_SECONDS = 0.1  # after SIGTERM: how often to look for the simulator being done
LEFTOVER_GRACE = 1.0


def now_iso() -> str:
    return utcnow().isoformat()


class Sender:
    """Signals the run's processes and keeps what was sent, for the store."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.sent: list[tuple[str, str]] = []  # (ISO time, what), until reported

    def send(self, sig: int, why: str) -> int:
        sent = procs.signal_run(self.run_id, sig)
        if sent:
            detail = f"{procs.signal_name(sig)} to {sent} process{'es' if sent > 1 else ''} " \
                     f"of the run ({why})"
            say("supervisor", detail)
            self.sent.append((now_iso(), detail))
        return sent

    def clear_leftovers(self, *, subreaper: bool) -> None:
        """Leave nothing of the run behind (workers orphaned by a dead simulator). A
        `subreaper` that started the run finds them among its own descendants."""
        why: dict[int, str] = {
            signal.SIGTERM: "left behind when the simulator ended",
            signal.SIGKILL: f"still there {LEFTOVER_GRACE:g} s after SIGTERM"}
        procs.stop_run(self.run_id, LEFTOVER_GRACE, lambda sig: self.send(sig, why[sig]),
                       below=os.getpid() if subreaper else None)


class CancelEscalation:
    """SIGTERM, then SIGKILL when the kind says it is done or the grace period is over."""

    def __init__(self, kind: RunKind, settings: Settings, requests: SignalRequests,
                 sender: Sender, status: StatusFile) -> None:
        self.kind = kind
        self.grace = kind.cancel_grace(settings)
        self.requests = requests
        self.sender = sender
        self.status = status
        self.term_sent_at: float | None = None
        self.saves_at_term = 0
        self.kill_sent = False

    def step(self, progress: Callable[[], ProgressState], simulator_known: bool) -> float:
        """Carry out a cancel; returns how long until the next step is due. `progress`
        reads what is new and gives the run's progress."""
        requests = self.requests
        if not requests.cancel_requested and requests.paths.cancel_request.exists():
            requests.cancel_requested = True
        if not requests.cancel_requested:
            return POLL_SECONDS
        now = time.monotonic()
        if self.term_sent_at is None:
            if self.status.record.cancel_seen_at is None:  # the canceller waits for it
                self.status.save(cancel_seen_at=now_iso())
            self.saves_at_term = progress().signal_saves
            if self.sender.send(signal.SIGTERM, "cancel") or simulator_known:
                self.term_sent_at = now
            return SAVE_WATCH_SECONDS
        if not self.kill_sent:
            done = self.kind.done_after_term(self.saves_at_term, progress())
            if done is not None:
                self.sender.send(signal.SIGKILL, done)
                self.kill_sent = True
            elif now - self.term_sent_at >= self.grace:
                self.sender.send(signal.SIGKILL, f"still running {self.grace:g} s after "
                                                 "SIGTERM")
                self.kill_sent = True
            else:
                return min(SAVE_WATCH_SECONDS, self.term_sent_at + self.grace - now)
        return POLL_SECONDS
