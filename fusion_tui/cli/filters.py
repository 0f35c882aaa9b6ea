"""The run filter flags (`--status --tag --template --sweep --where`), declared once for
every command that selects runs by them (`runs`, `cancel`, `clean`) and parsed by the
same parser as the app's `/` field (`store/filter_text.py`)."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from typing import TYPE_CHECKING

from fusion_tui.base.errors import ConfigError
from fusion_tui.store.filter_text import build_filter
from fusion_tui.store.query import RunFilter
from fusion_tui.store.status import RunStatus

if TYPE_CHECKING:
    from fusion_tui.services import Services


def add_filter_flags(parser: argparse.ArgumentParser, *, status_help: str,
                     sweep_help: str = "only the runs of this sweep (id, prefix or @last)",
                     ) -> None:
    parser.add_argument("--status", action="append", default=[], metavar="STATUS[,STATUS]",
                        help=status_help)
    parser.add_argument("--tag", action="append", default=[], metavar="TAG",
                        help="only runs with this tag (repeatable: runs with all of them)")
    parser.add_argument("--template", metavar="NAME", help="only runs of this template")
    parser.add_argument("--sweep", metavar="SWEEP", help=sweep_help)
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        help="only runs whose config has KEY (k_paths or section.key) equal "
                             "to VALUE (numbers by value: 3 = 3.0; text in any case); "
                             "repeatable")


def flag_filter(args: argparse.Namespace, *, sweep: str | None) -> RunFilter:
    """The filter the flags ask for, with the sweep's id as resolved."""
    return build_filter(statuses=args.status, tags=args.tag, template=args.template,
                        sweep=sweep, where=args.where)


def filter_from(args: argparse.Namespace, svc: Services,
                allowed: Collection[RunStatus] | None = None) -> RunFilter:
    """The filter the flags ask for (a sweep resolved to its id); a status outside
    `allowed` is refused naming those that are."""
    found = flag_filter(args, sweep=svc.sweeps.resolve(args.sweep).id if args.sweep else None)
    if allowed is not None and not found.statuses <= set(allowed):
        names = ", ".join(sorted(s.value for s in allowed))
        raise ConfigError(f"{args.command}: --status takes {names} here")
    return found
