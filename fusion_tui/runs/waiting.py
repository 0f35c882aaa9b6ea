"""Why a queued run waits, in words for every front end: for the runs it needs to
COMPLETE ("waiting for run X"), for its start time ("starts at 02:00"), or both. Plain
Python over a run's fields, so the app's first page can say it too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fusion_tui.store.status import RunStatus, to_local

SHOWN = 3  # needed runs named; the rest are counted


def start_text(at: datetime, now: datetime) -> str:
    """A start time for people: the local clock time, with the date unless it is today
    (both naive UTC)."""
    local, today = to_local(at), to_local(now)
    return local.strftime("%H:%M" if local.second == 0 else "%H:%M:%S") \
        if local.date() == today.date() else local.strftime("%Y-%m-%d %H:%M")


def waiting_text(status: str, start_after: datetime | None, needs: Sequence[str],
                 now: datetime) -> str | None:
    """Why a PENDING run is not started yet, given the runs it needs that have not
    COMPLETED (`RunStore.waiting_on`); None when it waits for neither (only for a slot,
    or it is not queued)."""
    if status != RunStatus.PENDING:
        return None
    parts = []
    if needs:
        named = ", ".join(needs[:SHOWN]) + (f" (+{len(needs) - SHOWN} more)"
                                            if len(needs) > SHOWN else "")
        parts.append(f"waiting for run{'s' if len(needs) > 1 else ''} {named}")
    if start_after is not None and start_after > now:
        parts.append(f"starts at {start_text(start_after, now)}")
    return "; ".join(parts) or None


def short_waiting(status: str, start_after: datetime | None, needs: Sequence[str],
                  now: datetime) -> str | None:
    """The same in a few characters, for the run list's 12-cell progress column:
    `after 1a2b3c` (the first 6 of the id; `+` when it waits for more) or `at 02:00`;
    a later day as `at 02:00+1d`, a week or more away as `at 12-24` (the detail screen
    and `show` give the whole date)."""
    if status != RunStatus.PENDING:
        return None
    if needs:
        return f"after {needs[0][:6]}" + ("+" if len(needs) > 1 else "")
    if start_after is not None and start_after > now:
        local, today = to_local(start_after), to_local(now)
        days = (local.date() - today.date()).days
        if days == 0:
            return f"at {start_text(start_after, now)}"
        return f"at {local:%H:%M}+{days}d" if days < 7 else f"at {local:%m-%d}"
    return None
