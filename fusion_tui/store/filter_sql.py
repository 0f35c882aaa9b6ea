"""A `RunFilter` as SQL conditions on `runs`, for SQLite and PostgreSQL alike, so a
filtered list pages and counts in the database like an unfiltered one.

Tags are one EXISTS per tag on `run_tags` (its primary key leads with the run). A
parameter filter reads the frozen config (`config_json`, `{"section": {"key": "value"}}`)
with the database's JSON functions, after a plain substring test that the key is there
at all, which skips the runs that cannot match without parsing their config.
"""

from __future__ import annotations

import json

from sqlalchemy import JSON, ColumnElement, Numeric, and_, case, cast, exists, func, or_, select
from sqlalchemy.sql.expression import literal, true

from fusion_tui.store.database import SAME_VALUE_FUNCTION
from fusion_tui.store.models import Run, RunTag
from fusion_tui.store.params import NUMBER_PATTERN, ParamFilter
from fusion_tui.store.query import RunFilter


def filter_clauses(f: RunFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The conditions that select the runs `f` asks for (none for an empty filter)."""
    out: list[ColumnElement[bool]] = []
    if f.statuses:
        out.append(Run.status.in_(sorted(f.statuses)))
    for tag in sorted(f.tags):
        out.append(exists().where(RunTag.run_id == Run.id, RunTag.tag == tag))
    if f.template:
        out.append(func.lower(Run.template) == f.template.lower())
    if f.sweep:
        out.append(Run.sweep_id.startswith(f.sweep, autoescape=True))
    out += [_param(p, dialect) for p in f.params]
    if f.text:
        needle = f.text.lower()
        out.append(or_(
            func.lower(Run.id).contains(needle, autoescape=True),
            func.lower(func.coalesce(Run.name, "")).contains(needle, autoescape=True),
            func.lower(Run.template).contains(needle, autoescape=True),
        ))
    return out


def _param(p: ParamFilter, dialect: str) -> ColumnElement[bool]:
    """The run's config has `p.key` (in `p.section`, or in any section) equal to `p.value`."""
    key_there = Run.config_json.contains(json.dumps(p.name) + ": ", autoescape=True)
    if dialect == "postgresql":
        sections = func.json_each(cast(Run.config_json, JSON)).table_valued(
            "key", "value").alias("sec")
        keys = func.json_each_text(sections.c.value).table_valued("key", "value").alias("kv")
        value = func.btrim(keys.c.value)
        number = p.number
        same = func.lower(value) == p.value.strip().lower()
        if number is not None:
            as_number = case((value.op("~")(NUMBER_PATTERN), cast(value, Numeric)))
            same = or_(same, as_number == number)
    else:
        sections = func.json_each(Run.config_json).table_valued("key", "value").alias("sec")
        keys = func.json_each(sections.c.value).table_valued("key", "value").alias("kv")
        same = getattr(func, SAME_VALUE_FUNCTION)(keys.c.value, p.value) == 1
    where = [keys.c.key == p.name, same]
    if p.section is not None:
        where.insert(0, sections.c.key == p.section)
    match = exists(select(literal(1)).select_from(sections).join(keys, true()).where(*where))
    return and_(key_there, match)
