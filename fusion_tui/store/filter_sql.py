"""A `RunFilter` as SQL conditions on `runs`, for SQLite and PostgreSQL alike, so a
filtered list pages and counts in the database like an unfiltered one.

Tags are one EXISTS per tag on `run_tags` (its primary key leads with the run). A
parameter filter finds the value in the frozen config's text (`config_json`,
`{"section": {"key": "value"}}`) and, where the text cannot settle it, reads the config
with the database's JSON functions (see `_param`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, Numeric, and_, case, cast, exists, func, or_, select
from sqlalchemy.sql.expression import literal, true

from fusion_tui.store.database import SAME_VALUE_FUNCTION
from fusion_tui.store.models import Run, RunTag
from fusion_tui.store.params import NUMBER_PATTERN, ParamFilter, ascii_lower
from fusion_tui.store.query import RunFilter

_CAPITALS, _SMALL = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


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
    """The run's config has `p.key` (in `p.section`, or in any section) equal to `p.value`.

    First by its text: `config_json` is written by `json.dumps` (`"key": "value"`, quotes
    inside values escaped), so `"k_paths": "3"` in it is a key with that value and nothing
    else, found ignoring the case of letters, as the rule does. That settles a short name's match,
    unless the value may be written with trailing zeros (`"k_paths": "3.`), which the
    JSON functions then check, as they check the section of a `section.key`: on the few
    runs the text found, not on every run."""
    def holds(text: str) -> ColumnElement[bool]:
        # SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does so
        # (the text is ASCII: json.dumps escapes the rest), and its faster LIKE is enough
        # for a number, whose only letters are the key's, small in both.
        if dialect == "postgresql" and p.number is None:
            return Run.config_json.icontains(text, autoescape=True)
        return Run.config_json.contains(text, autoescape=True)

    exact, loose = p.texts()
    written = or_(*map(holds, exact))
    maybe = or_(*map(holds, loose)) if loose else None
    if p.section is None:
        return written if maybe is None else or_(written, and_(maybe, _anywhere(p, dialect)))
    found = written if maybe is None else or_(written, maybe)
    value: ColumnElement[Any] = (
        cast(Run.config_json, JSON).op("->")(p.section).op("->>")(p.name)
        if dialect == "postgresql"
        else func.json_extract(Run.config_json, f'$."{p.section}"."{p.name}"'))
    return and_(found, _same(value, p, dialect))


def _anywhere(p: ParamFilter, dialect: str) -> ColumnElement[bool]:
    """Some section of the run's config has the key `p.name` with a value equal to
    `p.value`."""
    if dialect == "postgresql":
        sections = func.json_each(cast(Run.config_json, JSON)).table_valued(
            "key", "value").alias("sec")
        keys = func.json_each_text(sections.c.value).table_valued("key", "value").alias("kv")
    else:
        sections = func.json_each(Run.config_json).table_valued("key", "value").alias("sec")
        keys = func.json_each(sections.c.value).table_valued("key", "value").alias("kv")
    return exists(select(literal(1)).select_from(sections).join(keys, true())
                  .where(keys.c.key == p.name, _same(keys.c.value, p, dialect)))


def _same(value: ColumnElement[Any], p: ParamFilter, dialect: str) -> ColumnElement[bool]:
    """`value` (a config value as text) equals `p.value` by `params.same_value`'s rule:
    on SQLite that very function; on PostgreSQL the same in its own SQL."""
    if dialect != "postgresql":
        same_value: ColumnElement[Any] = getattr(func, SAME_VALUE_FUNCTION)(value, p.value)
        return same_value == 1
    stripped = func.btrim(value)
    same = func.translate(stripped, _CAPITALS, _SMALL) == ascii_lower(p.value.strip())
    number = p.number
    if number is None:
        return same
    as_number = case((stripped.op("~")(NUMBER_PATTERN), cast(stripped, Numeric)))
    return or_(same, as_number == number)
