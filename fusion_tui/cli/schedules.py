"""Recurring runs: `schedule add|list|pause|resume|rm|tick|install`. A schedule is a cron
expression and what it starts (a run of a template, or a sweep); `schedule tick`, which
`schedule install` puts into the user's crontab, starts what has come due."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.settings import Settings
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import EXIT_FAILED, Commands, OnSettings, OnStore
from fusion_tui.cli.executor_flags import add_executor_flags, batch_limit_help, executor_options
from fusion_tui.cli.output import columns, emit, iso, write_out
from fusion_tui.store.status import local_text, utcnow

if TYPE_CHECKING:
    from fusion_tui.schedules.manager import Ticked
    from fusion_tui.services import Services
    from fusion_tui.store.models import Schedule


def register(commands: Commands) -> None:
    verbs = commands.group("schedule", help="recurring runs and sweeps on a cron schedule",
                           dest="schedule_command")
    v = verbs.add("add", OnStore(schedule_add, schedule=False),
                  help="start a run (or, with --grid/--seeds/--split-loads, a sweep) of a "
                       "template on a cron schedule")
    v.add_argument("cron", metavar="CRON",
                   help='five fields in local time, as crontab: "0 2 * * *" is 02:00 daily; '
                        "or @hourly, @daily, @weekly, @monthly")
    v.add_argument("--template", "-t", required=True)
    v.add_argument("--name", "-n", help="the schedule's name, and its runs' (with the time)")
    v.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE")
    sweep = v.add_argument_group("a sweep each time (as `sweep new`)")
    sweep.add_argument("--grid", "-g", action="append", default=[],
                       metavar="SECTION.KEY=V1,V2,...")
    sweep.add_argument("--seeds", metavar="1-5|1,4,9")
    sweep.add_argument("--split-loads", action="store_true")
    sweep.add_argument("--array-limit", type=int, metavar="N", help=batch_limit_help())
    add_executor_flags(v)
    v = verbs.add("list", OnStore(schedule_list, schedule=False),
                  help="your schedules: when each is next due, what it starts")
    v.add_argument("--all", "-a", action="store_true", help="every user's schedules")
    for name, handler, text in (
            ("pause", schedule_pause, "stop starting it until resumed"),
            ("resume", schedule_resume, "start it again from its next due time on"),
            ("rm", schedule_rm, "delete a schedule (what it started stays)")):
        verbs.add(name, OnStore(handler, schedule=False), help=text).add_argument("id")
    verbs.add("tick", OnStore(schedule_tick),
              help="start what has come due (what the crontab line runs every minute)")
    v = verbs.add("install", OnSettings(schedule_install),
                  help="add the line that runs `schedule tick` every minute to your crontab")
    v.add_argument("--remove", action="store_true", help="take that line out again")


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    from fusion_tui.schedules.manager import next_due, spec_of  # SQLAlchemy: not at start

    spec = spec_of(schedule)
    return {"id": schedule.id, "name": schedule.name, "owner": schedule.owner,
            "cron": schedule.cron, "what": spec.what(), "template": spec.template,
            "sweep": spec.is_sweep, "overrides": list(spec.overrides),
            "executor": spec.executor, "paused": schedule.paused,
            "created_at": iso(schedule.created_at), "last_due_at": iso(schedule.last_due_at),
            "last_started_id": schedule.last_started_id,
            "next_due_at": iso(next_due(schedule, utcnow()))}


def _next_text(schedule: Schedule) -> str:
    from fusion_tui.schedules.manager import next_due

    due = next_due(schedule, utcnow())
    return "paused" if due is None else local_text(due, "%Y-%m-%d %H:%M")


def schedule_add(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.schedules.spec import StartSpec
    from fusion_tui.sweeps.grid import Grid, parse_axis, parse_seeds

    grid = None
    if args.grid or args.seeds is not None or args.split_loads:
        grid = Grid(tuple(parse_axis(g) for g in args.grid),
                    parse_seeds(args.seeds) if args.seeds is not None else (), args.split_loads)
    elif args.array_limit is not None:
        raise ConfigError("--array-limit is for a sweep (add --grid, --seeds or --split-loads)")
    spec = StartSpec(args.template, args.name, tuple(args.set or ()), args.executor,
                     executor_options(args), grid, args.array_limit)
    schedule = svc.schedules.add(args.cron, spec)
    emit(args, schedule_to_dict(schedule),
         lambda: f"schedule {schedule.id}: {spec.what()} at {schedule.cron!r}; next at "
                 f"{_next_text(schedule)}")
    return 0


def schedule_list(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.schedules.manager import spec_of

    schedules = svc.schedules.listing(everyone=args.all)
    rows: list[tuple[str, ...]] = [("ID", "CRON", "NEXT", "LAST", "STARTED", "WHAT", "NAME")]
    for s in schedules:
        rows.append((s.id, s.cron, _next_text(s), local_text(s.last_due_at, "%Y-%m-%d %H:%M"),
                     s.last_started_id or "-", one_line(spec_of(s).what(), 50),
                     one_line(s.name or "-", 30)))
    emit(args, [schedule_to_dict(s) for s in schedules], lambda: columns(rows) if schedules
         else 'No schedules yet. Add one with: fusion-tui schedule add "0 2 * * *" -t minimal')
    return 0


def schedule_pause(args: argparse.Namespace, svc: Services) -> int:
    schedule = svc.schedules.pause(args.id)
    emit(args, schedule_to_dict(schedule), lambda: f"schedule {schedule.id} paused")
    return 0


def schedule_resume(args: argparse.Namespace, svc: Services) -> int:
    schedule = svc.schedules.resume(args.id)
    emit(args, schedule_to_dict(schedule),
         lambda: f"schedule {schedule.id} resumed; next at {_next_text(schedule)}")
    return 0


def schedule_rm(args: argparse.Namespace, svc: Services) -> int:
    schedule = svc.schedules.remove(args.id)
    emit(args, {"id": schedule.id, "deleted": True},
         lambda: f"schedule {schedule.id} deleted")
    return 0


def schedule_tick(args: argparse.Namespace, svc: Services) -> int:
    """Start what has come due: one line for each started, one on stderr for each that
    could not be (exit 1); nothing at all when nothing was due (cron mails no output)."""
    done = svc.schedules.tick()
    for t in done:
        if t.problem is not None:
            print(f"fusion-tui: schedule {t.schedule.id}: not started at "
                  f"{local_text(t.due, '%Y-%m-%d %H:%M')}: {one_line(t.problem, 500)}",
                  file=sys.stderr)
    started = [t for t in done if t.started is not None]
    if args.json or started:
        emit(args, [_ticked(t) for t in done], lambda: "\n".join(
            f"{local_text(utcnow(), '%Y-%m-%d %H:%M:%S')} schedule {t.schedule.id}: started "
            f"{'sweep' if _is_sweep(t) else 'run'} {t.started} "
            f"(due {local_text(t.due, '%Y-%m-%d %H:%M')})" for t in started))
    return EXIT_FAILED if len(started) < len(done) else 0


def _is_sweep(ticked: Ticked) -> bool:
    from fusion_tui.schedules.manager import spec_of

    return spec_of(ticked.schedule).is_sweep


def _ticked(t: Ticked) -> dict[str, Any]:
    return {"schedule": t.schedule.id, "due_at": iso(t.due), "started": t.started,
            "sweep": _is_sweep(t), "problem": t.problem}


def schedule_install(args: argparse.Namespace, settings: Settings) -> int:
    from fusion_tui.schedules.crontab import NoCrontab, install

    try:
        done, line = install(settings, remove=args.remove, config=args.config)
    except NoCrontab as exc:
        write_out(exc.line + "\n")
        raise
    emit(args, {"done": done, "line": line}, lambda: f"{done}: {line}"
         if not args.remove else done)
    return 0
