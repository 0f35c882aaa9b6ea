"""The store read without SQLAlchemy, for the commands that only look (`runs`, `show`,
`wait` on ended runs, `logs --lines`): the standard library's sqlite3, or psycopg.

It executes the store's own statements as compiled into `read_sql.py` (see
`read_statements.py`), so it can never ask a different question than `RunStore`. It
only answers a store at the schema revision this code writes; `open_quick` returns None
for anything else (no file yet, an older or newer schema, another kind of database),
and the command then opens the store the usual way, which migrates or refuses as it
always has. It never writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from fusion_tui.store.query import RunFilter
from fusion_tui.store.read_sql import (
    BOOLEAN_COLUMNS,
    DATETIME_COLUMNS,
    EVENT_COLUMNS,
    IN_CHUNK,
    JOB_COLUMNS,
    MAX_STATUSES,
    MAX_TAGS,
    RUN_COLUMNS,
    SQL,
    SWEEP_COLUMNS,
)
from fusion_tui.store.revision import HEAD_REVISION
from fusion_tui.store.run_row import EventRow, JobRow, NeedRow, RunRow, SweepRecord, TagRow
from fusion_tui.store.run_stats import RunStats, run_stats, status_counts
from fusion_tui.store.sqlite_file import sqlite_path

_PG_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")


class _Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any]) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Unfinished:
    """What the start of a command would look at of a run that has not ended."""

    id: str
    status: str
    executor: str
    owner: str | None
    hostname: str | None
    run_dir: str
    started_at: datetime | None


def page_shape(f: RunFilter, owner: str | None, before: str | None = None) -> str | None:
    """The name of the kept statement that lists runs by `f` (None: not kept, such as a
    parameter or text filter; the store answers those)."""
    if f.sweep or f.params or f.text or len(f.statuses) > MAX_STATUSES \
            or len(f.tags) > MAX_TAGS:
        return None
    return (f"page:owner={int(owner is not None)}:statuses={len(f.statuses)}"
            f":tags={len(f.tags)}:template={int(f.template is not None)}"
            f":before={int(before is not None)}")


class QuickStore:
    """Read-only access to a store at the current revision, one connection."""

    def __init__(self, conn: _Connection, dialect: str) -> None:
        self._conn = conn
        self._sql = SQL[dialect]
        self._datetimes = dialect == "sqlite"  # SQLite keeps times as text

    def close(self) -> None:
        self._conn.close()

    def _rows(self, name: str, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        sql, params = self._sql[name]
        args = [values[v] if kind == "key" else v for kind, v in params]
        return [tuple(r) for r in self._conn.execute(sql, args).fetchall()]

    def _chunks(self, name: str, ids: Sequence[str],
                values: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """`name` over `ids` (IN_CHUNK at a time; a short chunk repeats its first id)."""
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), IN_CHUNK):
            chunk = list(ids[i:i + IN_CHUNK])
            chunk += [chunk[0]] * (IN_CHUNK - len(chunk))
            out += self._rows(name, {**(values or {}),
                                     **{f"id{n}": v for n, v in enumerate(chunk)}})
        return out

    def _when(self, value: Any) -> Any:
        return datetime.fromisoformat(value) if self._datetimes and value is not None \
            else value

    def _record(self, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
        return {c: self._when(v) if c in DATETIME_COLUMNS else
                (None if v is None else bool(v)) if c in BOOLEAN_COLUMNS else v
                for c, v in zip(columns, row, strict=True)}

    def revision_is_current(self) -> bool:
        return self._rows("revision", {}) == [(HEAD_REVISION,)]

    def unfinished(self) -> list[Unfinished]:
        return [Unfinished(id=r[0], status=r[1], executor=r[2], owner=r[3], hostname=r[4],
                           run_dir=r[5], started_at=self._when(r[6]))
                for r in self._rows("unfinished", {})]

    def page(self, f: RunFilter, owner: str | None, limit: int,
             before: str | None = None) -> list[RunRow] | None:
        """The first `limit` runs `f` selects, newest first (of `owner` and of nobody,
        when given; listed after the run `before`, when given), as `RunStore.list_runs`;
        None for a filter it keeps no statement for."""
        shape = page_shape(f, owner, before)
        if shape is None:
            return None
        values: dict[str, Any] = {"owner": owner, "limit": limit, "before": before,
                                  "template": (f.template or "").lower()}
        values.update({f"status{i}": s for i, s in enumerate(sorted(s.value for s in f.statuses))})
        values.update({f"tag{i}": t for i, t in enumerate(sorted(f.tags))})
        return self.runs([r[0] for r in self._rows(shape, values)])

    def runs(self, run_ids: Sequence[str]) -> list[RunRow]:
        """The runs of `run_ids` that exist, in that order, with job, tags and needs."""
        if not run_ids:
            return []
        found = {r[0]: RunRow(**self._record(RUN_COLUMNS, r))
                 for r in self._chunks("runs_by_id", run_ids)}
        return self._complete([found[i] for i in dict.fromkeys(run_ids) if i in found])

    def _complete(self, runs: list[RunRow]) -> list[RunRow]:
        by_id = {r.id: r for r in runs}
        ids = list(by_id)
        if not ids:
            return runs
        for run_id, tag in self._chunks("tags_of", ids):
            by_id[run_id].tags.append(TagRow(tag))
        for run_id, needs_id in self._chunks("needs_of", ids):
            by_id[run_id].needs.append(NeedRow(needs_id))
        for row in self._chunks("jobs_of", ids):
            job = JobRow(**self._record(JOB_COLUMNS, row))
            by_id[job.run_id].job = job
        return runs

    def get(self, run_id: str) -> RunRow | None:
        found = self.runs([run_id])
        return found[0] if found else None

    def find_by_prefix(self, prefix: str) -> list[RunRow]:
        """As `RunStore.find_by_prefix` (the prefix escaped as SQLAlchemy's autoescape does)."""
        escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
        return self._complete([RunRow(**self._record(RUN_COLUMNS, r))
                               for r in self._rows("by_prefix", {"prefix": escaped})])

    def events(self, run_id: str) -> list[EventRow]:
        return [EventRow(**self._record(EVENT_COLUMNS, r))
                for r in self._rows("events", {"run_id": run_id})]

    def stats(self, owner: str | None) -> RunStats:
        """As `RunStore.stats`."""
        whose, values = f"owner={int(owner is not None)}", {"owner": owner}
        return run_stats(status_counts(self._rows(f"stats_counts:{whose}", values)),
                         [r[0] for r in self._rows(f"stats_durations:{whose}", values)])

    def sweeps(self, owner: str | None, limit: int) -> list[SweepRecord]:
        """As `SweepStore.listing`'s sweeps: the newest first, with their tags."""
        found = [SweepRecord(**self._record(SWEEP_COLUMNS, r)) for r in self._rows(
            f"sweeps:owner={int(owner is not None)}", {"owner": owner, "limit": limit})]
        by_id = {w.id: w for w in found}
        if by_id:
            for sweep_id, tag in self._chunks("sweep_tags_of", list(by_id)):
                by_id[sweep_id].tags.append(TagRow(tag))
        return found

    def sweep_runs(self, sweep_id: str) -> list[RunRow]:
        """Every run of a sweep in creation order, as `SweepStore.runs(current=False)`,
        the runs it reuses among them with their point in this sweep; their rows only
        (no job, tags or needed runs: what a sweep's progress reads)."""
        runs = [RunRow(**self._record(RUN_COLUMNS, r))
                for r in self._rows("sweep_runs", {"sweep_id": sweep_id})]
        for r in self._rows("reused_runs", {"sweep_id": sweep_id}):
            run = RunRow(**self._record(RUN_COLUMNS, r[:len(RUN_COLUMNS)]))
            run.point_json = r[len(RUN_COLUMNS)]
            runs.append(run)
        runs.sort(key=lambda r: (r.created_at, r.id))
        return runs

    def waiting_on(self, run_ids: Iterable[str]) -> dict[str, list[str]]:
        """As `RunStore.waiting_on`."""
        out: dict[str, list[str]] = {}
        for run_id, needs_id in self._chunks("waiting_on", list(dict.fromkeys(run_ids))):
            out.setdefault(run_id, []).append(needs_id)
        return out


def open_quick(database_url: str, busy_seconds: float) -> QuickStore | None:
    """The store at `database_url` for reading, when it is a SQLite file or a PostgreSQL
    database at the current revision; None otherwise (the caller opens it the usual way)."""
    scheme = database_url.partition("://")[0]
    path = sqlite_path(database_url)
    conn: _Connection
    if path is not None:
        if not path.is_file():
            return None
        conn = _sqlite(path, busy_seconds)
        dialect = "sqlite"
    elif scheme in _PG_SCHEMES:
        import psycopg  # the PostgreSQL driver SQLAlchemy uses too

        conn = psycopg.connect("postgresql://" + database_url.partition("://")[2],
                               autocommit=True)
        dialect = "postgresql"
    else:
        return None
    store = QuickStore(conn, dialect)
    try:
        current = store.revision_is_current()
    except Exception:
        store.close()
        raise
    if not current:
        store.close()
        return None
    return store


def _sqlite(path: Path, busy_seconds: float) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           timeout=busy_seconds, isolation_level=None)
    conn.execute("BEGIN")  # one snapshot for the whole command
    return conn
