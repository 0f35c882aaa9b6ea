"""The flags of `new` and `sweep new` that say when the runs may start: `--after ID|SWEEP`
(once those have COMPLETED), `--at TIME` or `--delay DURATION`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.start_time import after_delay, parse_at
from fusion_tui.store.status import utcnow

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.models import Run


def add_start_flags(s: argparse.ArgumentParser) -> None:
    group = s.add_argument_group("when to start (default: as soon as the queue has room)")
    group.add_argument("--after", action="append", default=[], metavar="ID|SWEEP",
                       help="start once these runs (a sweep: all its runs) have COMPLETED; "
                            "if one ends otherwise, this one is not started (repeatable, or "
                            "comma-separated)")
    when = group.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="TIME",
                      help="start no earlier than this local time: 02:00 (the next one) or "
                           "2026-12-08T02:00")
    when.add_argument("--delay", metavar="DURATION",
                      help="start no earlier than this long from now: 30s, 5m, 2h, 1d")


def start_after(args: argparse.Namespace) -> datetime | None:
    """`--at` or `--delay` as naive UTC (None without either); ConfigError, one line, for a
    malformed or passed time."""
    try:
        if args.at is not None:
            return parse_at(args.at, utcnow())
        if args.delay is not None:
            return after_delay(args.delay, utcnow())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return None


def runs_after(args: argparse.Namespace, svc: Services) -> list[Run]:
    """The runs `--after` names (a sweep's runs for a sweep id)."""
    from fusion_tui.sweeps.after import runs_after  # SQLAlchemy: not at start-up

    return runs_after(svc.sweeps, args.after) if args.after else []
