"""The store's read statements compiled once into SQL text for the quick read path.

`fusion-tui runs`, `show` and the other commands that only look would spend most of
their time importing SQLAlchemy. So the very statements `RunStore` runs (built by the
same functions: `runs_repo.page_statement`, `prefix_statement`, ...) are compiled here,
for SQLite and for PostgreSQL with psycopg, into `store/read_sql.py`, which the quick
read path (`store/quick_read.py`) executes with the standard library's sqlite3 or psycopg.
One query implementation, two ways to send it. A test regenerates the file and
compares; after changing a statement: `python -m fusion_tui.store.read_statements`.

Parameters: each statement is built with recognisable stand-in values; the compiled
statement's positional parameters are written as the name of the value to put there
(`("key", "owner")`) or, for a constant of the statement, the constant itself.
"""

from __future__ import annotations

import enum
import itertools
import sys
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Boolean, ClauseElement, DateTime, Select, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from fusion_tui.store.dependencies import waiting_on_statement
from fusion_tui.store.models import (
    BatchJob,
    Run,
    RunDependency,
    RunEvent,
    RunTag,
    Sweep,
    SweepTag,
)
from fusion_tui.store.query import RunFilter, RunQuery
from fusion_tui.store.runs_repo import (
    events_statement,
    page_statement,
    prefix_statement,
    stats_statements,
)
from fusion_tui.store.status import RunStatus
from fusion_tui.store.sweeps_repo import (
    listing_statement,
    reused_runs_statement,
    sweep_runs_statement,
)

TARGET = Path(__file__).resolve().parent / "read_sql.py"
IN_CHUNK = 100  # ids per `IN (...)`: a page of the run list in one statement
MAX_STATUSES = 3  # the filters a quick list takes (more: the store answers)
MAX_TAGS = 2
_STAND_IN = "@@"
_LIMIT = 987_654_321
_NUMBERS = {_LIMIT: "limit"}  # stand-ins of whole numbers
UNFINISHED = (RunStatus.PENDING, RunStatus.RUNNING)
DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.pysqlite.dialect(),  # qmark: ?
    "postgresql": postgresql.psycopg.dialect(paramstyle="format"),  # type: ignore[no-untyped-call]  # %s
}


def stand_in(name: str) -> str:
    return f"{_STAND_IN}{name}"


def page_key(*, owner: bool, statuses: int, tags: int, template: bool, before: bool) -> str:
    """The name of the run list's statement for a query of this shape."""
    return (f"page:owner={int(owner)}:statuses={statuses}:tags={tags}:template={int(template)}"
            f":before={int(before)}")


def _page(dialect: str, owner: bool, statuses: int, tags: int, template: bool,
          before: bool) -> Select[Any]:
    found = RunFilter(
        statuses=cast(frozenset[RunStatus], frozenset(stand_in(f"status{i}")
                                                      for i in range(statuses))),
        tags=frozenset(stand_in(f"tag{i}") for i in range(tags)),
        template=stand_in("template") if template else None)
    query = RunQuery(filter=found, owner=stand_in("owner") if owner else None,
                     before=stand_in("before") if before else None)
    return page_statement(select(Run.id), query, dialect, limit=_LIMIT)


def _ids() -> list[str]:
    return [stand_in(f"id{i}") for i in range(IN_CHUNK)]


def statements(dialect: str) -> dict[str, ClauseElement]:
    """Every statement of the quick read path, by name."""
    ids = _ids()
    out: dict[str, ClauseElement] = {
        "revision": text("SELECT version_num FROM alembic_version"),
        "runs_by_id": select(Run).where(Run.id.in_(ids)),
        "tags_of": select(RunTag.run_id, RunTag.tag).where(RunTag.run_id.in_(ids))
        .order_by(RunTag.run_id, RunTag.tag),
        "needs_of": select(RunDependency.run_id, RunDependency.needs_id)
        .where(RunDependency.run_id.in_(ids))
        .order_by(RunDependency.run_id, RunDependency.needs_id),
        "jobs_of": select(BatchJob).where(BatchJob.run_id.in_(ids)),
        "waiting_on": waiting_on_statement(ids),
        "by_prefix": prefix_statement(stand_in("prefix")),
        "events": events_statement(stand_in("run_id")),
        "sweeps:owner=0": listing_statement(None, _LIMIT),
        "sweeps:owner=1": listing_statement(stand_in("owner"), _LIMIT),
        "sweep_tags_of": select(SweepTag.sweep_id, SweepTag.tag)
        .where(SweepTag.sweep_id.in_(ids)).order_by(SweepTag.sweep_id, SweepTag.tag),
        "sweep_runs": sweep_runs_statement(stand_in("sweep_id")),
        "reused_runs": reused_runs_statement(stand_in("sweep_id")),
        # What the reconcile step at the start of a command would look at.
        "unfinished": select(Run.id, Run.status, Run.executor, Run.owner, Run.hostname,
                             Run.run_dir, Run.started_at)
        .where(Run.status.in_([s.value for s in UNFINISHED])),
    }
    for owner in (False, True):
        counts, durations = stats_statements(stand_in("owner") if owner else None, dialect)
        out[f"stats_counts:owner={int(owner)}"] = counts
        out[f"stats_durations:owner={int(owner)}"] = durations
    for owner, statuses, tags, template, before in itertools.product(
            (False, True), range(MAX_STATUSES + 1), range(MAX_TAGS + 1), (False, True),
            (False, True)):
        out[page_key(owner=owner, statuses=statuses, tags=tags, template=template,
                     before=before)] = _page(dialect, owner, statuses, tags, template, before)
    return out


def compiled(stmt: ClauseElement, dialect: Dialect) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The statement's SQL and its positional parameters (`("key", name)` for a stand-in,
    `("value", v)` for a constant)."""
    done = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(done, SQLCompiler)
    params = done.params
    out = []
    for name in done.positiontup or ():
        value = params[name]
        if isinstance(value, int) and value in _NUMBERS:
            out.append(("key", _NUMBERS[value]))
        elif isinstance(value, str) and value.startswith(_STAND_IN):
            out.append(("key", value.removeprefix(_STAND_IN)))
        else:  # an enum's member (a status) as the value the driver is sent
            out.append(("value", value.value if isinstance(value, enum.Enum) else value))
    return done.string, tuple(out)


def _columns(model: Any) -> tuple[str, ...]:
    return tuple(c.name for c in model.__table__.columns)


def _datetimes(*models: Any) -> tuple[str, ...]:
    return tuple(sorted({c.name for m in models for c in m.__table__.columns
                         if isinstance(c.type, DateTime)}))


def _booleans(*models: Any) -> tuple[str, ...]:
    return tuple(sorted({c.name for m in models for c in m.__table__.columns
                         if isinstance(c.type, Boolean)}))


def generate() -> str:
    """The text of `read_sql.py`."""
    sql = {name: {key: compiled(stmt, DIALECTS[name]) for key, stmt in statements(name).items()}
           for name in DIALECTS}
    parts = [
        '"""Generated by `python -m fusion_tui.store.read_statements` from the store\'s own '
        "statements;\ndo not edit (a test regenerates it and compares).\"\"\"\n",
        "from typing import Any\n",
        f"IN_CHUNK = {IN_CHUNK}",
        f"MAX_STATUSES = {MAX_STATUSES}",
        f"MAX_TAGS = {MAX_TAGS}",
        f"RUN_COLUMNS = {_columns(Run)!r}",
        f"JOB_COLUMNS = {_columns(BatchJob)!r}",
        f"EVENT_COLUMNS = {_columns(RunEvent)!r}",
        f"SWEEP_COLUMNS = {_columns(Sweep)!r}",
        f"DATETIME_COLUMNS = {_datetimes(Run, BatchJob, RunEvent, Sweep)!r}",
        f"BOOLEAN_COLUMNS = {_booleans(Run, BatchJob, RunEvent, Sweep)!r}",
        "SQL: dict[str, dict[str, tuple[str, tuple[tuple[str, Any], ...]]]] = {",
    ]
    for name in sorted(sql):
        parts.append(f"    {name!r}: {{")
        for key in sorted(sql[name]):
            text, params = sql[name][key]
            parts += [f"        {key!r}: (", f"            {text!r},", f"            {params!r},",
                      "        ),"]
        parts.append("    },")
    return "\n".join([*parts, "}"]) + "\n"


if __name__ == "__main__":
    TARGET.write_text(generate())
    sys.stdout.write(f"wrote {TARGET} ({len(statements('sqlite'))} statements per database)\n")
