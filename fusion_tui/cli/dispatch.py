"""The `fusion-tui` command line: the global flags, every group's subcommands, and the one
dispatch from a parsed command to its handler, with the errors every command shares
(one line on stderr: exit 2 for bad input, 1 for a write that failed)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fusion_tui import __version__
from fusion_tui.base.settings import Settings
from fusion_tui.cli.command import (
    Commands,
    Handler,
    OnSettings,
    Parser,
    UsageError,
)
from fusion_tui.cli.failures import failed
from fusion_tui.cli.launch import run_tui
from fusion_tui.cli.output import write_out
from fusion_tui.cli.quick import answer_quickly
from fusion_tui.executors.descriptions import TABLES


def _global_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="settings file (FUSION_TUI_CONFIG; 'none' for no file)")
    p.add_argument("--home", help="data directory (FUSION_TUI_HOME)")
    p.add_argument("--database-url", help="SQLAlchemy URL (FUSION_TUI_DATABASE_URL)")
    p.add_argument("--runs-dir", help="where run directories go (FUSION_TUI_RUNS_DIR)")
    p.add_argument("--simulator-command", help="built-in simulator command template")
    p.add_argument("--cancel-grace", type=float, help="seconds from SIGTERM to SIGKILL")


def build_parser() -> argparse.ArgumentParser:
    # Every command group: imported here, not by the bare `fusion-tui` (see `_bare_app`).
    from fusion_tui.cli import (
        comparison,
        db,
        follow,
        history,
        labels,
        lifecycle,
        queue,
        report,
        runs,
        schedules,
        sweeps,
        templates,
    )
    from fusion_tui.cli import settings as settings_group

    common = Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    p = Parser(prog="fusion-tui", description="Launch, watch and manage simulation runs.")
    p.add_argument("--version", action="version", version=f"fusion-tui {__version__}")
    _global_flags(p)
    p.set_defaults(handler=None)  # no command: the app
    commands = Commands(p.add_subparsers(dest="command", parser_class=Parser), common)
    # In the order `fusion-tui --help` lists their commands.
    for group in (runs, lifecycle, labels, follow, queue, templates, history, settings_group,
                  db, sweeps, schedules, comparison, report):
        group.register(commands)
    return p


def _bare_app(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The global flags when the command line asks for the app (no command, no --help or
    --version): the app's first frame then does not wait for every command group's
    import. None otherwise, and for anything the full parser must judge (its errors)."""
    bare = Parser(prog="fusion-tui", add_help=False)
    _global_flags(bare)
    try:
        args, rest = bare.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    except UsageError:
        return None
    return None if rest else args


def load_settings(args: argparse.Namespace) -> Settings:
    return Settings.load(overrides={
        "home": Path(args.home).expanduser() if args.home else None,
        "database_url": args.database_url,
        "runs_dir": Path(args.runs_dir).expanduser() if args.runs_dir else None,
        "simulator_command": args.simulator_command,
        "cancel_grace": args.cancel_grace,
    }, config=args.config, tables=TABLES)


def main(argv: Sequence[str] | None = None) -> int:
    settings: Settings | None = None
    try:
        bare = _bare_app(argv)
        if bare is not None:
            settings = load_settings(bare)
            return run_tui(settings)
        args = build_parser().parse_args(argv)
        settings = load_settings(args)
        handler: Handler | None = args.handler
        if handler is None:
            return run_tui(settings)
        if isinstance(handler, OnSettings):
            return handler.run(args, settings)
        if handler.quick is not None:
            quick = answer_quickly(handler, args, settings)
            if quick is not None:
                return quick
        from fusion_tui.services import open_services  # SQLAlchemy: not at start-up

        svc = open_services(settings)
        try:
            svc.manager.reconcile(schedule=handler.schedule)
            status = handler.run(args, svc)
            write_out("")  # what is still buffered: its failure is one line too
            return status
        finally:
            svc.close()
    except Exception as exc:
        return failed(exc, argv, settings)
    except KeyboardInterrupt:
        return 130
