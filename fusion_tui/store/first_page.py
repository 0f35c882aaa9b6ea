"""The newest page of runs, read straight from a SQLite file with the standard library.

SQLAlchemy takes longer to import than Textual takes to paint a screen, so the app
paints its first frame from this page and opens the real store (`RunStore`) right after.
It only answers when it can answer exactly: a SQLite file that exists, at the schema
revision this code knows. Anything else (PostgreSQL, an older schema, a locked or broken
file) returns None and the app simply waits for the store. It never writes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from fusion_tui.store.revision import HEAD_REVISION
from fusion_tui.store.sqlite_file import sqlite_path
from fusion_tui.store.status import fraction_done

_COLUMNS = ("r.id, r.name, r.status, r.template, r.run_dir, r.started_at, r.completed_at, "
            "r.last_progress_at, r.current_erlang, r.current_erlang_index, r.total_erlangs, "
            "r.current_iteration, r.total_iterations, r.executor, r.owner, j.node, "
            "r.sweep_id, r.point_json, r.result_load, r.result_blocking, r.result_low, "
            "r.result_high")


@dataclass(frozen=True)
class ListedRun:
    """The fields of a run that the run list shows (the same names as on `Run`)."""

    id: str
    name: str | None
    status: str
    template: str
    run_dir: str
    started_at: datetime | None
    completed_at: datetime | None
    last_progress_at: datetime | None
    current_erlang: float | None
    fraction_done: float | None
    executor: str = "local"
    owner: str | None = None
    node: str | None = None
    sweep_id: str | None = None
    point_json: str | None = None
    result_load: float | None = None
    result_blocking: float | None = None
    result_low: float | None = None
    result_high: float | None = None
    start_after: datetime | None = None  # not read for the first frame: no wait shown yet


@dataclass(frozen=True)
class FirstPage:
    runs: list[ListedRun]
    total: int


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _newest(of_owner: bool) -> str:
    """The runs the page is taken from. One owner's (theirs and those of nobody) are the
    newest `limit` of each, read down the (owner, created_at) index: with `owner = ? OR
    owner IS NULL` SQLite sorts every run first (15 ms of a 10,000-run first frame)."""
    if not of_owner:
        return "runs"
    newest = "SELECT * FROM (SELECT * FROM runs WHERE {} ORDER BY created_at DESC, id DESC " \
             "LIMIT ?)"
    return f"({newest.format('owner = ?')} UNION ALL {newest.format('owner IS NULL')})"


def read_first_page(database_url: str, limit: int, owner: str | None = None) -> FirstPage | None:
    """The `limit` newest runs (created_at, then id, descending, as `RunStore.list_runs`
    orders them by default) of `owner` (None: everyone's) and their number; None when it
    cannot say exactly."""
    path = sqlite_path(database_url)
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if versions != [(HEAD_REVISION,)]:
            return None
        where, args = ("WHERE (r.owner = ? OR r.owner IS NULL)", (owner,)) \
            if owner is not None else ("", ())
        (total,) = conn.execute(f"SELECT count(*) FROM runs r {where}", args).fetchone()
        rows = conn.execute(f"SELECT {_COLUMNS} FROM {_newest(owner is not None)} r LEFT JOIN "
                            "batch_jobs j ON j.run_id = r.id ORDER BY r.created_at DESC, "
                            "r.id DESC LIMIT ?",
                            (*((owner, limit, limit) if owner is not None else ()), limit)
                            ).fetchall()
        runs = [ListedRun(
            id=r[0], name=r[1], status=r[2], template=r[3], run_dir=r[4],
            started_at=_when(r[5]), completed_at=_when(r[6]), last_progress_at=_when(r[7]),
            current_erlang=r[8], fraction_done=fraction_done(r[2], r[9], r[10], r[11], r[12]),
            executor=r[13], owner=r[14], node=r[15], sweep_id=r[16], point_json=r[17],
            result_load=r[18], result_blocking=r[19], result_low=r[20], result_high=r[21],
        ) for r in rows]
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()
    return FirstPage(runs, int(total))
