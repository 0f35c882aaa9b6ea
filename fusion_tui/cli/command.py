"""What every command is built from: the parser that turns bad input into `UsageError`,
the exit statuses, and `Commands`, through which each group declares its subcommands next
to their handlers, saying what a handler needs (the settings alone, or the store)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from fusion_tui.base.settings import Settings
    from fusion_tui.services import Services
    from fusion_tui.store.quick_read import QuickStore

EXIT_USAGE = 2
EXIT_FAILED = 1  # a write that failed (disk full, I/O error): the input was fine


class UsageError(Exception):
    """Bad input: one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(frozen=True)
class OnSettings:
    """A command that needs only the settings: it never opens the store."""

    run: Callable[[argparse.Namespace, Settings], int]


@dataclass(frozen=True)
class Quick:
    """What a command that only looks reads the store through when opening it would
    change nothing (see `cli/quick.py`): the store read without SQLAlchemy."""

    store: QuickStore
    user: str


@dataclass(frozen=True)
class OnStore:
    """A command on the store: the services are opened and orphaned runs adopted first.
    `schedule` says whether that first step also starts queued runs where there is room:
    not for commands that only look, nor for the queue commands, which schedule
    themselves once their change is made. `quick`, for a command that only looks, does
    the same through `Quick` when that first step would do nothing; it returns None
    when it cannot answer exactly, and `run` answers."""

    run: Callable[[argparse.Namespace, Services], int]
    schedule: bool = True
    quick: Callable[[argparse.Namespace, Quick], int | None] | None = None


Handler = OnSettings | OnStore


class Commands:
    """The subcommands of one parser (`fusion-tui X`, or `fusion-tui sweep X`)."""

    def __init__(self, sub: argparse._SubParsersAction[Parser], common: Parser) -> None:
        self._sub = sub
        self._common = common

    def add(self, name: str, handler: Handler, help: str) -> Parser:
        """A subcommand (with `--json`) that runs `handler`."""
        parser = self._sub.add_parser(name, parents=[self._common], help=help)
        parser.set_defaults(handler=handler)
        return parser

    def group(self, name: str, help: str, dest: str) -> Commands:
        """A subcommand made of verbs (`sweep new`, `sweep list`...); one is required,
        and a missing one is named by `dest`."""
        verbs = self._sub.add_parser(name, help=help).add_subparsers(
            dest=dest, parser_class=Parser, required=True)
        return Commands(verbs, self._common)
