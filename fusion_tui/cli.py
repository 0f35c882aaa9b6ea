"""The `fusion-tui` command: scripting subcommands, every one with `--json`.

Bad input or an unknown id prints one line on stderr and exits with status 2; a write
that fails (`export -o` on a full disk) prints one line and exits with status 1.
`fusion-tui wait ID` exits like the run did: 0 COMPLETED, the simulator's exit code for
FAILED (128+N when killed by signal N), 130 CANCELLED, 124 on --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from fusion_tui import __version__, cli_sweeps
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.ids import InvalidRunId
from fusion_tui.base.output_path import OutputFailed
from fusion_tui.base.rundir import NOT_READABLE, folder_readable
from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.base.textsafe import one_line, strip_escapes
from fusion_tui.cli_output import (
    drop_stdout,
    duration_text,
    emit,
    iso,
    progress_text,
    run_to_dict,
    where,
    write_out,
)
from fusion_tui.cli_sweeps import SLURM_FLAGS, add_slurm_flags
from fusion_tui.runs.errors import RunError
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, local_text, utcnow

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.models import Run

EXIT_USAGE = 2
EXIT_FAILED = 1  # a write that failed (disk full, I/O error): the input was fine


class UsageError(Exception):
    """Bad input: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _table(runs: Sequence[Run]) -> str:
    if not runs:
        return "No runs yet. Start one with: fusion-tui new --template minimal"
    rows = [("ID", "STATUS", "PROGRESS", "TEMPLATE", "WHERE", "OWNER", "CREATED", "NAME")]
    for r in runs:
        rows.append((r.id, r.status, progress_text(r), one_line(r.template, 20),
                     one_line(where(r), 24), one_line(r.owner or "-", 16),
                     local_text(r.created_at, "%Y-%m-%d %H:%M:%S"), one_line(r.name or "", 40)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def _describe(run: Run, readable: bool = True, results: str | None = None) -> str:
    folder = run.run_dir if readable else f"{run.run_dir} ({NOT_READABLE})"
    lines = [f"{k:<16} {v}" for k, v in (
        ("id", run.id), ("name", one_line(run.name or "-")), ("status", run.status),
        ("template", run.template), ("simulator", run.simulator),
        ("progress", progress_text(run)),
        ("erlang", f"{run.current_erlang} ({(run.current_erlang_index or 0) + 1}"
                   f"/{run.total_erlangs})" if run.current_erlang is not None else "-"),
        ("iteration", f"{run.current_iteration}/{run.total_iterations}"),
        ("created", local_text(run.created_at)), ("started", local_text(run.started_at)),
        ("completed", local_text(run.completed_at)),
        ("exit code", "-" if run.exit_code is None else run.exit_code),
        ("pid", run.pid or "-"), ("host", run.hostname or "-"), ("owner", run.owner or "-"),
        ("executor", run.executor), ("directory", folder),
        ("config hash", run.config_hash or "-"), ("seed", "-" if run.seed is None else run.seed),
    )]
    job = run.slurm
    if job is not None:
        lines += [f"{k:<16} {v}" for k, v in (
            ("slurm job", job.job_id or "-"),
            ("slurm state", job.state or "-"),
            ("slurm reason", one_line(job.reason or "-")),
            ("node", one_line(job.node or "-")),
            ("elapsed", duration_text(job.elapsed_seconds)),
            ("time limit", job.time_limit or "partition default"),
            ("attempt", job.attempt),
        )]
    if run.error_message:
        lines.append(f"{'error':<16} {one_line(run.error_message, 500)}")
    if results:
        lines.append(f"{'results':<16} {one_line(results, 1500)}")
    return "\n".join(lines)


def wait_exit_code(run: Run) -> int:
    if run.status == RunStatus.COMPLETED:
        return 0
    if run.status == RunStatus.CANCELLED:
        return 130
    code = run.exit_code
    if code is None or code == 0:
        return 1
    return 128 - code if code < 0 else min(code, 255)


# -- commands --------------------------------------------------------------------------


def cmd_runs(args: argparse.Namespace, svc: Services) -> int:
    statuses = frozenset(RunStatus(s) for s in args.status)
    owner = None if args.all else svc.manager.user
    runs = svc.store.list_runs(RunQuery(statuses=statuses, owner=owner), limit=args.limit)
    emit(args, [run_to_dict(r) for r in runs], lambda: _table(runs))
    return 0


def cmd_new(args: argparse.Namespace, svc: Services) -> int:
    slurm = {key: getattr(args, key) for key in SLURM_FLAGS}
    run = svc.manager.create(args.template, name=args.name, overrides=args.set or [],
                             executor=args.executor, executor_options=slurm)
    if args.wait:
        run = svc.manager.wait(run.id)
    emit(args, run_to_dict(run), lambda: f"{run.id} {run.status}")
    return wait_exit_code(run) if args.wait else 0


def cmd_show(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.store.models import results_note

    run = svc.manager.resolve(args.id)
    data = run_to_dict(run, with_config=True)
    events = svc.store.events(run.id)
    data["events"] = [{"kind": e.kind, "at": iso(e.at), "detail": e.detail} for e in events]
    data["folder_readable"] = readable = folder_readable(Path(run.run_dir))
    data["results_note"] = note = results_note(events)
    emit(args, data, lambda: _describe(run, readable, note))
    return 0


def config_diff(a: dict[str, dict[str, str]],
                b: dict[str, dict[str, str]]) -> list[tuple[str, str | None, str | None]]:
    """(section.key, value in a, value in b) for every key whose value differs."""
    keys = sorted({(s, k) for side in (a, b) for s, values in side.items() for k in values})
    out = []
    for section, key in keys:
        left, right = a.get(section, {}).get(key), b.get(section, {}).get(key)
        if left != right:
            out.append((f"{section}.{key}", left, right))
    return out


def cmd_diff(args: argparse.Namespace, svc: Services) -> int:
    """The config keys that differ between two runs (their frozen configs)."""
    a, b = svc.manager.resolve(args.a), svc.manager.resolve(args.b)
    rows = config_diff(json.loads(a.config_json), json.loads(b.config_json))
    data = {"a": a.id, "b": b.id, "same_config": a.config_hash is not None
            and a.config_hash == b.config_hash,
            "differences": [{"key": k, "a": x, "b": y} for k, x, y in rows]}

    def text() -> str:
        if not rows:
            return f"{a.id} and {b.id}: no config key differs"
        width = max(len(k) for k, _, _ in rows)
        head = f"{'key':<{width}}  {a.id:<20}  {b.id}"
        return "\n".join([head] + [
            f"{k:<{width}}  {one_line('-' if x is None else x, 20):<20}  "
            f"{one_line('-' if y is None else y, 60)}" for k, x, y in rows])

    emit(args, data, text)
    return 0


def _each(args: argparse.Namespace, act: Callable[[str], dict[str, Any]],
          line: Callable[[dict[str, Any]], str]) -> int:
    """Do `act` for every id given: one line (or JSON object) each, a failure reported and
    the others still done; exit 2 when any failed."""
    results: list[dict[str, Any]] = []
    failed = False
    for ref in args.ids:
        try:
            results.append(act(ref))
        except (RunError, InvalidRunId, FaultError) as exc:
            failed = True
            print(f"fusion-tui: {one_line(str(exc), 1000)}", file=sys.stderr)
            results.append({"id": ref, "error": one_line(str(exc), 1000)})
    ok = [r for r in results if "error" not in r]
    if ok or args.json:
        emit(args, results if len(args.ids) > 1 else results[0],
              lambda: "\n".join(line(r) for r in ok))
    return EXIT_USAGE if failed else 0


def cmd_cancel(args: argparse.Namespace, svc: Services) -> int:
    def act(ref: str) -> dict[str, Any]:
        run = svc.manager.cancel(svc.manager.resolve(ref).id)
        return run_to_dict(run)

    return _each(args, act, lambda r: f"{r['id']} " + (
        r["status"] if RunStatus(r["status"]).is_finished else "cancel requested"))


def cmd_rm(args: argparse.Namespace, svc: Services) -> int:
    def act(ref: str) -> dict[str, Any]:
        run = svc.manager.resolve(ref)
        svc.manager.delete(run.id)
        return {"id": run.id, "deleted": True}

    return _each(args, act, lambda r: f"{r['id']} deleted")


def cmd_restart(args: argparse.Namespace, svc: Services) -> int:
    """A new run with the same frozen config as each given run, linked to it."""
    def act(ref: str) -> dict[str, Any]:
        return run_to_dict(svc.manager.restart(svc.manager.resolve(ref).id))

    return _each(args, act, lambda r: f"{r['id']} {r['status']} (restart of "
                                      f"{r['origin_id']})")


def _age(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"expected a duration such as 30m, 12h or 7d, got "
                                         f"{text!r}")
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400,
                                "w": 604800}[m.group(2)]


def cmd_clean(args: argparse.Namespace, svc: Services) -> int:
    """Delete your finished runs in bulk (by status, by age); asks unless --yes."""
    statuses = frozenset(RunStatus(x) for x in args.status) or FINISHED_STATUSES
    if not statuses <= FINISHED_STATUSES:
        raise UsageError("clean removes finished runs only; cancel running runs first")
    cutoff = utcnow() - timedelta(seconds=args.older_than) if args.older_than else None
    runs = [r for r in svc.store.list_runs(RunQuery(statuses=statuses, owner=svc.manager.user),
                                           limit=1_000_000)
            if r.owner == svc.manager.user
            and (cutoff is None or (r.completed_at or r.created_at) < cutoff)]
    if runs and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"clean would delete {len(runs)} run(s): add --yes to confirm "
                             "(stdin is not a terminal to ask)")
        answer = input(f"Delete {len(runs)} finished run(s) and their folders? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            emit(args, {"deleted": []}, lambda: "nothing deleted")
            return 0
    deleted, failed = [], False
    for run in runs:
        try:
            svc.manager.delete(run.id)
            deleted.append(run.id)
        except (RunError, FaultError) as exc:
            failed = True
            print(f"fusion-tui: {one_line(str(exc), 1000)}", file=sys.stderr)
    emit(args, {"deleted": deleted}, lambda: f"deleted {len(deleted)} run(s)")
    return EXIT_USAGE if failed else 0


def cmd_logs(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.monitor.log_stream import last_lines_offset, stream_log

    run = svc.manager.resolve(args.id)
    if not folder_readable(Path(run.run_dir)):
        raise FaultError(f"the log of run {run.id} is {NOT_READABLE}: the run belongs to "
                         f"{run.owner or '-'} and its folder is closed to you")
    path = svc.manager.paths(run).log
    clean = not args.raw
    last_check = [0.0]

    def finished() -> bool:
        now = time.monotonic()
        if now - last_check[0] < 1.0:
            return False
        last_check[0] = now
        current = svc.manager.get(run.id)
        svc.manager.reconcile_run(current)
        return svc.manager.get(run.id).status in FINISHED_STATUSES

    start = last_lines_offset(path, args.lines) if args.lines is not None else None

    async def pump() -> None:
        async for line in stream_log(path, start=start, follow=args.follow,
                                     should_stop=finished):
            if args.json:
                write_out(json.dumps({"line": line}) + "\n", flush=args.follow)
            else:
                write_out((strip_escapes(line) if clean else line) + "\n", flush=args.follow)

    asyncio.run(pump())
    return 0


def cmd_wait(args: argparse.Namespace, svc: Services) -> int:
    """Wait for every given run; exit like the first that did not complete (0 if all did)."""
    runs = [svc.manager.resolve(ref) for ref in args.ids]
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    done = []
    for run in runs:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            done.append(svc.manager.wait(run.id, timeout=left))
        except TimeoutError as exc:
            print(f"fusion-tui: {exc}", file=sys.stderr)
            return 124
    data = [run_to_dict(r) for r in done]
    emit(args, data if len(done) > 1 else data[0],
          lambda: "\n".join(f"{r.id} {r.status}" for r in done))
    return next((code for code in map(wait_exit_code, done) if code), 0)


def _queue_text(limit: int, paused: bool, running: int, pending: int) -> str:
    state = "paused (running runs go on; queued runs wait)" if paused else "running"
    return f"your queue {state}: up to {limit} at once; {running} running, {pending} queued"


def cmd_queue(args: argparse.Namespace, svc: Services) -> int:
    """`parallel [N]`, `pause`, `start`: the caller's own queue, kept in the store (another
    user's queue is theirs: each user's limit and pause apply to their runs only)."""
    if args.command == "parallel" and args.limit is not None:
        svc.store.set_queue(max_concurrent=args.limit)
    elif args.command in ("pause", "start"):
        svc.store.set_queue(paused=args.command == "pause")
    if args.command != "pause":
        svc.manager.schedule()
    queue = svc.store.queue()
    mine = svc.manager.user
    running, pending = (svc.store.count_runs(RunQuery(statuses=frozenset({status}), owner=mine))
                        for status in (RunStatus.RUNNING, RunStatus.PENDING))
    data = {"owner": mine, "max_concurrent": queue.max_concurrent, "paused": queue.paused,
            "running": running, "pending": pending}
    emit(args, data, lambda: _queue_text(queue.max_concurrent, queue.paused, running, pending))
    return 0


def cmd_templates(args: argparse.Namespace, settings: Settings) -> int:
    from fusion_tui.config.templates import list_templates

    templates = list_templates(settings.template_dirs)
    data = [{"name": t.name, "simulator": t.simulator, "description": t.description,
             "path": str(t.path)} for t in templates]
    emit(args, data, lambda: "\n".join(
        f"{t.name:<16} {t.simulator:<8} {one_line(t.description)}" for t in templates))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Check the FUSION set-up (and a FUSION template's files); exit 1 on any problem."""
    from fusion_tui.config.templates import load_template
    from fusion_tui.kinds.fusion.doctor import diagnose

    template, sections = load_template(args.template, settings.template_dirs)
    if template.simulator != "fusion":
        raise UsageError(f"template {template.name!r} runs the built-in simulator, not FUSION; "
                         "name a FUSION template (-t fusion)")
    checks = diagnose(settings, sections, template.name)
    data = [{"check": c.name, "detail": c.detail, "ok": c.ok, "problem": c.problem}
            for c in checks]
    emit(args, data, lambda: "\n".join(
        f"ok       {c.name:<10} {one_line(c.detail)}" if c.ok else
        f"PROBLEM  {c.name:<10} {one_line(c.problem or '', 1000)}" for c in checks))
    return 0 if all(c.ok for c in checks) else 1


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Every key binding of the app: id, keys in force (after [keys]), what it does."""
    from fusion_tui.tui.keys import conflicts, key_table, unknown_ids

    keymap = dict(settings.keymap)
    unknown = unknown_ids(keymap)
    if unknown:
        raise UsageError(f"{settings.config_file}: [keys] {', '.join(unknown)}: no such key "
                         "binding")
    clashes = conflicts(keymap)
    if clashes:
        raise UsageError(f"{settings.config_file}: [keys] {'; '.join(clashes)}")
    table = key_table(keymap)
    rows = [("WHERE", "ID", "KEYS", "ACTION")] + [
        (k.where, k.id, k.keys, k.description) for k in table]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    emit(args, [vars(k) for k in table], lambda: "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows))
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """The resolved settings and where each came from (file, variable, flag or default)."""
    from dataclasses import fields

    from fusion_tui.base.settings_file import config_path

    rows: list[dict[str, str | None]] = []
    for f in fields(settings):
        if not f.compare:
            continue
        value = getattr(settings, f.name)
        if f.name == "database_url":
            value = settings.database_label  # never print a password
        elif isinstance(value, tuple):
            value = os.pathsep.join(str(v) for v in value)
        rows.append({"name": f.name, "value": None if value is None else str(value),
                     "source": settings.source_of(f.name)})
    looked_at, _ = config_path(os.environ, args.config)
    data = {"settings_file": str(settings.config_file) if settings.config_file else None,
            "settings_file_looked_for": str(looked_at) if looked_at else None,
            "settings": rows}

    def text() -> str:
        head = (f"settings file: {settings.config_file}" if settings.config_file else
                f"settings file: none ({looked_at} does not exist)" if looked_at else
                "settings file: none (FUSION_TUI_CONFIG=none)")
        width = max(len(str(r["name"])) for r in rows)
        body = [f"{r['name']:<{width}}  {one_line(r['value'] or '-', 200)}  [{r['source']}]"
                for r in rows]
        return "\n".join([head, *body])

    emit(args, data, text)
    return 0


def cmd_stats(args: argparse.Namespace, svc: Services) -> int:
    stats = svc.store.stats(owner=None if args.all else svc.manager.user)

    def text() -> str:
        counts = "  ".join(f"{k.lower()} {v}" for k, v in stats.counts.items())
        rate = "-" if stats.success_rate is None else f"{stats.success_rate * 100:.1f}%"
        mean = "-" if stats.mean_duration is None else f"{stats.mean_duration:.1f} s"
        median = "-" if stats.median_duration is None else f"{stats.median_duration:.1f} s"
        return (f"runs {stats.total}: {counts}\nsuccess rate {rate}\n"
                f"duration of completed runs: mean {mean}, median {median}")

    emit(args, stats.as_dict(), text)
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """`db check` really checks; `db upgrade` and `db reset` go through the same guards
    as every start (a file that is not ours or is newer than this code is left alone)."""
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
    from fusion_tui.services import database_problems

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


# -- parser ----------------------------------------------------------------------------


def _limit(text: str) -> int:
    from fusion_tui.store.queue import MAX_PARALLEL

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_PARALLEL:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_PARALLEL}, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    p = _Parser(prog="fusion-tui", description="Launch, watch and manage simulation runs.")
    p.add_argument("--version", action="version", version=f"fusion-tui {__version__}")
    p.add_argument("--config", help="settings file (FUSION_TUI_CONFIG; 'none' for no file)")
    p.add_argument("--home", help="data directory (FUSION_TUI_HOME)")
    p.add_argument("--database-url", help="SQLAlchemy URL (FUSION_TUI_DATABASE_URL)")
    p.add_argument("--runs-dir", help="where run directories go (FUSION_TUI_RUNS_DIR)")
    p.add_argument("--simulator-command", help="built-in simulator command template")
    p.add_argument("--cancel-grace", type=float, help="seconds from SIGTERM to SIGKILL")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("runs", parents=[common], help="list runs")
    s.add_argument("--status", action="append", default=[], type=str.upper,
                   choices=[x.value for x in RunStatus], help="only this status (repeatable)")
    s.add_argument("--limit", type=int, default=100)
    s.add_argument("--all", "-a", action="store_true", help="every user's runs, not just yours")
    s = sub.add_parser("new", parents=[common], help="create (and start or queue) a run")
    s.add_argument("--template", "-t", required=True)
    s.add_argument("--name", "-n")
    s.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE")
    add_slurm_flags(s)
    s.add_argument("--wait", action="store_true", help="wait for the run to finish")
    sub.add_parser("show", parents=[common], help="show one run").add_argument("id")
    for name, text in (("cancel", "cancel runs"),
                       ("rm", "delete finished runs and their directories"),
                       ("restart", "a new run with the same frozen config as each run")):
        sub.add_parser(name, parents=[common], help=text).add_argument("ids", nargs="+",
                                                                       metavar="ID")
    s = sub.add_parser("clean", parents=[common], help="delete your finished runs in bulk")
    s.add_argument("--status", action="append", default=[], type=str.upper,
                   choices=sorted(x.value for x in FINISHED_STATUSES),
                   help="only this status (repeatable; default: every finished status)")
    s.add_argument("--older-than", type=_age, metavar="DURATION",
                   help="only runs that ended longer ago than this (30m, 12h, 7d, 2w)")
    s.add_argument("--yes", "-y", action="store_true", help="do not ask")
    s = sub.add_parser("logs", parents=[common], help="print a run's log")
    s.add_argument("id")
    s.add_argument("--follow", "-f", action="store_true", help="follow until the run ends")
    s.add_argument("--raw", action="store_true",
                   help="the log's lines exactly, escape sequences included (for files)")
    s.add_argument("--lines", "-n", type=int, metavar="N",
                   help="only the last N lines (with --follow: start from them)")
    s = sub.add_parser("wait", parents=[common], help="wait for runs; exit like they did")
    s.add_argument("ids", nargs="+", metavar="ID")
    s.add_argument("--timeout", type=float)
    s = sub.add_parser("parallel", parents=[common],
                       help="show or set how many runs may run at once (kept in the store)")
    s.add_argument("limit", nargs="?", type=_limit, metavar="N")
    sub.add_parser("pause", parents=[common],
                   help="pause the queue: running runs go on, queued runs wait")
    sub.add_parser("start", parents=[common], help="resume a paused queue")
    sub.add_parser("templates", parents=[common], help="list templates")
    s = sub.add_parser("doctor", parents=[common],
                       help="check the FUSION set-up: checkout, Python, command, files")
    s.add_argument("--template", "-t", default="fusion", help="FUSION template to check")
    s = sub.add_parser("diff", parents=[common], help="config keys that differ between two runs")
    s.add_argument("a")
    s.add_argument("b")
    s = sub.add_parser("stats", parents=[common], help="run statistics (your runs)")
    s.add_argument("--all", "-a", action="store_true", help="every user's runs, not just yours")
    sub.add_parser("keys", parents=[common],
                   help="the app's key bindings: id, keys (after [keys] remapping), action")
    sub.add_parser("config", parents=[common],
                   help="print the resolved settings and where each came from")
    s = sub.add_parser("db", parents=[common], help="database maintenance")
    s.add_argument("db_command", choices=["upgrade", "check", "reset"])
    s.add_argument("--repair", action="store_true",
                   help="with check: remove your run folders that have no row (saying "
                        "which), put back folders of interrupted deletes, fail queued runs "
                        "whose folder is gone")
    cli_sweeps.add_parsers(sub, common, _Parser)
    return p


_COMMANDS: dict[str, Callable[[argparse.Namespace, Services], int]] = {
    "runs": cmd_runs, "new": cmd_new, "show": cmd_show, "cancel": cmd_cancel, "rm": cmd_rm,
    "restart": cmd_restart, "clean": cmd_clean,
    "logs": cmd_logs, "wait": cmd_wait, "stats": cmd_stats, "diff": cmd_diff,
    "parallel": cmd_queue, "pause": cmd_queue, "start": cmd_queue,
    **cli_sweeps.COMMANDS,
}
# Commands that only look (they adopt orphaned runs but never start a queued one), and
# the queue commands, which schedule themselves once their change is made.
_NO_SCHEDULING = frozenset({"runs", "show", "logs", "stats", "diff", "parallel", "pause",
                            "start"})


def load_settings(args: argparse.Namespace) -> Settings:
    return Settings.load(overrides={
        "home": Path(args.home).expanduser() if args.home else None,
        "database_url": args.database_url,
        "runs_dir": Path(args.runs_dir).expanduser() if args.runs_dir else None,
        "simulator_command": args.simulator_command,
        "cancel_grace": args.cancel_grace,
    }, config=args.config)


def run_tui(settings: Settings) -> int:
    """Bare `fusion-tui`: open the app on the store (runs keep going when it closes).

    The app opens the store itself, after its first frame (see `tui.app`), so this path
    imports neither SQLAlchemy nor the run manager.
    """
    from fusion_tui.tui.app import create_app

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the app needs a terminal (stdin and stdout are not a TTY); "
                         "for scripts use `fusion-tui runs`")
    app = create_app(settings)
    try:
        app.run()
    finally:
        app.close_services()
    if app.services_error is not None:
        raise SettingsError(app.services_error)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings: Settings | None = None
    try:
        args = build_parser().parse_args(argv)
        settings = load_settings(args)
        if args.command is None:
            return run_tui(settings)
        if args.command == "templates":
            return cmd_templates(args, settings)
        if args.command == "doctor":
            return cmd_doctor(args, settings)
        if args.command == "config":
            return cmd_config(args, settings)
        if args.command == "keys":
            return cmd_keys(args, settings)
        if args.command == "db":
            return cmd_db(args, settings)
        from fusion_tui.services import open_services

        svc = open_services(settings)
        try:
            svc.manager.reconcile(schedule=args.command not in _NO_SCHEDULING
                                  and not cli_sweeps.looks_only(args))
            status = _COMMANDS[args.command](args, svc)
            write_out("")  # what is still buffered: its failure is one line too
            return status
        finally:
            svc.close()
    except OutputFailed as exc:
        return _fail(str(exc), argv, status=EXIT_FAILED)
    except (UsageError, ConfigError, SettingsError, RunError, InvalidRunId, FaultError) as exc:
        return _fail(str(exc), argv)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return _fail(describe(exc), argv)
    except Exception as exc:
        if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
            raise
        return _fail(describe(exc, settings.database_label if settings else None), argv)


def _fail(message: str, argv: Sequence[str] | None = None, status: int = EXIT_USAGE) -> int:
    """One line on stderr; under --json also `{"error": ...}` on stdout, for scripts."""
    line = one_line(message, 1000)
    print(f"fusion-tui: {line}", file=sys.stderr)
    if "--json" in (sys.argv[1:] if argv is None else argv):
        with contextlib.suppress(OSError):  # stdout may be what failed (a full disk)
            write_out(json.dumps({"error": line}) + "\n")
    return status


def _quiet_broken_pipe() -> int:
    """The reader went away (`| head`): stop quietly, like other Unix tools (128+SIGPIPE)."""
    drop_stdout()
    return 141


if __name__ == "__main__":
    sys.exit(main())
