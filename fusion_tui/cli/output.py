"""Output of the `fusion-tui` commands: runs as JSON objects and as text cells, columns,
and stdout writes that fail in one line.

Shared by every command group; imports nothing heavy, so bare `fusion-tui` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fusion_tui.base.faults import describe_os_error
from fusion_tui.base.output_path import OutputFailed
from fusion_tui.base.textsafe import strip_escapes
from fusion_tui.executors.descriptions import DESCRIPTIONS, description_of
from fusion_tui.store.result_cache import cached_result
from fusion_tui.store.status import iso_local

if TYPE_CHECKING:
    from fusion_tui.store.run_row import AnyRun


def iso(value: datetime | None) -> str | None:
    """Times in --json: ISO 8601 in the local zone, with its offset."""
    return iso_local(value)


def run_to_dict(run: AnyRun, *, with_config: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id, "name": run.name, "status": run.status, "template": run.template,
        "simulator": run.simulator, "executor": run.executor, "hostname": run.hostname,
        "run_dir": run.run_dir, "pid": run.pid, "pgid": run.pgid,
        "created_at": iso(run.created_at), "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at), "exit_code": run.exit_code,
        "error_message": run.error_message, "current_erlang": run.current_erlang,
        "current_erlang_index": run.current_erlang_index, "total_erlangs": run.total_erlangs,
        "current_iteration": run.current_iteration, "total_iterations": run.total_iterations,
        "fraction_done": run.fraction_done, "duration_seconds": run.duration_seconds,
        "owner": run.owner, **job_facts(run),
        "config_hash": run.config_hash, "seed": run.seed, "origin_id": run.origin_id,
        "after": [n.needs_id for n in run.needs], "start_after": iso(run.start_after),
        "provenance": json.loads(run.provenance_json) if run.provenance_json else None,
        "sweep_id": run.sweep_id, "point": json.loads(run.point_json) if run.point_json else None,
        "result": result_dict(run),
        "tags": run.tag_names, "note": run.note,
    }
    if with_config:
        data["config"] = json.loads(run.config_json)
    return data


def result_dict(run: AnyRun) -> dict[str, Any] | None:
    """The run list's cached result: the mean blocking at the run's last load with its
    95% interval; None until its files are read, and when they hold none."""
    result = cached_result(run.result_load, run.result_blocking, run.result_low,
                           run.result_high)
    if result is None:
        return None
    return {"erlang": result.load, "metric": "blocking", "mean": result.blocking,
            "ci95_low": result.low, "ci95_high": result.high}


def job_facts(run: AnyRun) -> dict[str, Any]:
    """The run's job on each executor that keeps one (under the key its description
    names; None when the run has none there), as last seen."""
    return {d.job_key: _json_times(d.job_facts(run)) for d in DESCRIPTIONS.values()
            if d.job_key}


def _json_times(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in facts.items()}


def where(run: AnyRun) -> str:
    """The run list's executor/node cell: the executor, and its node once it has one
    (`<executor>:<node>`)."""
    description = description_of(run.executor)
    return description.where(description.node(run))


def emit(args: argparse.Namespace, data: Any, text: Callable[[], str]) -> None:
    """JSON (control characters escaped by JSON itself), or text with every escape
    sequence and control character from names, paths and messages made harmless."""
    write_out((json.dumps(data, indent=2) if args.json else strip_escapes(text())) + "\n")


def write_out(text: str, *, flush: bool = True) -> None:
    """`text` on stdout. A failed write (stdout on a full disk or `/dev/full`) is
    `OutputFailed`: one line and exit 1, not a traceback, and not again when Python
    flushes at exit. A reader that went away is still BrokenPipeError (`| head`)."""
    try:
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        drop_stdout()
        raise OutputFailed(describe_os_error(exc, "standard output")) from None


def drop_stdout() -> None:
    """Point stdout at /dev/null, so what is left in its buffer has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def progress_text(run: AnyRun) -> str:
    fraction = run.fraction_done
    return "-" if fraction is None else f"{fraction * 100:5.1f}%"


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{text}" if days else text


def note_lines(label: str, note: str | None, width: int) -> list[str]:
    """A note under its label, its own lines indented below the first (escape sequences
    and control characters are made harmless where the text is written)."""
    lines = (note or "-").splitlines() or ["-"]
    return [f"{label if i == 0 else '':<{width}} {line}" for i, line in enumerate(lines)]


def columns(rows: list[tuple[str, ...]]) -> str:
    """Rows as left-aligned columns, two spaces apart, no trailing blanks."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)
