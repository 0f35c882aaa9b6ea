"""`db upgrade|check|reset`: database maintenance. `db check` really checks (integrity,
revision, tables, then whether the runs folder and the rows agree); `db upgrade` and
`db reset` go through the same guards as every start (a file that is not ours or is newer
than this code is left alone)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fusion_tui.base.settings import Settings
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnSettings, UsageError
from fusion_tui.cli.output import emit


def register(commands: Commands) -> None:
    s = commands.add("db", OnSettings(cmd_db), help="database maintenance")
    s.add_argument("db_command", choices=["upgrade", "check", "reset"])
    s.add_argument("--repair", action="store_true",
                   help="with check: remove your run folders that have no row (saying "
                        "which), put back folders of interrupted deletes, fail queued runs "
                        "whose folder is gone")


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Opens the store itself: `check` must look before any migration runs."""
    # SQLAlchemy and Alembic: only for this command, not at start-up
    from fusion_tui.services import open_services
    from fusion_tui.store.migrate import current_revision, reset_database

    if args.db_command == "reset" and not settings.is_development:
        raise UsageError("refusing to reset the database: set FUSION_TUI_ENVIRONMENT=development")
    if args.repair and args.db_command != "check":
        raise UsageError(f"--repair is for `db check`, not `db {args.db_command}`")
    if args.db_command == "check":
        return _db_check(args, settings)
    svc = open_services(settings)
    try:
        if args.db_command == "upgrade":
            data = {"upgraded": True, "revision": current_revision(svc.engine)}
            emit(args, data, lambda: f"database at revision {data['revision']}")
        else:
            reset_database(svc.engine)
            emit(args, {"reset": True}, lambda: "database reset")
    finally:
        svc.close()
    return 0


def _db_check(args: argparse.Namespace, settings: Settings) -> int:
    """Integrity, schema revision and tables, then whether the runs folder and the rows
    agree (`--repair` makes them agree where nothing is lost, saying what it does first);
    exit 1 and one line per problem if unhealthy."""
    from fusion_tui.services import database_problems  # SQLAlchemy: not at start-up

    problems = database_problems(settings)
    data: dict[str, Any] = {"healthy": not problems, "database": settings.database_label}
    if not problems:
        data.update(_folder_check(args, settings))
        problems = data.pop("folder_problems")
    data.update(healthy=not problems, problems=problems)
    if problems and not args.json:
        for problem in problems:
            where = "" if problem.startswith("runs folder ") else \
                f"database {settings.database_label}: "
            print(f"fusion-tui: {where}{one_line(problem, 500)}", file=sys.stderr)
        return 1
    emit(args, data, lambda: f"database ok: {settings.database_label}")
    return 1 if problems else 0


def _folder_check(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Run folders without rows and rows without folders (the caller's own only)."""
    # SQLAlchemy: not at start-up
    from fusion_tui.runs.consistency import check, repair
    from fusion_tui.services import open_services
    from fusion_tui.store.migrate import current_revision
    from fusion_tui.store.revision import HEAD_REVISION

    svc = open_services(settings, migrate=False)  # settles interrupted creations first
    try:
        if current_revision(svc.engine) != HEAD_REVISION:
            return {"folder_problems": []}  # `db upgrade` first; nothing to compare yet
        found = check(settings.runs_dir, svc.store, svc.manager.user)
        repaired: list[str] = []
        if args.repair and not found.consistent:
            for line in repair(found, svc.store):
                repaired.append(line)
                if not args.json:
                    print(one_line(line, 1000), flush=True)
            found = check(settings.runs_dir, svc.store, svc.manager.user)
        return {"folder_problems": found.problems(),
                "orphan_folders": [str(p) for p in found.orphan_folders],
                "aside_folders": [str(p) for p in found.aside],
                "missing_folders": [r.id for r in found.missing_folders],
                "repaired": repaired}
    finally:
        svc.close()
