"""The run list's columns, declared once: key, title, fixed width and how a row's values
become the cell's text. `[columns] shown` in the settings file and the column picker
(`C`) choose which are shown and in what order; `DEFAULT_SHOWN` fits 100 columns.

Widths are fixed (a flexible column grows with the terminal from its width up to
`FLEX_MAX`), so a row is drawn without measuring anything. Text from runs goes through
`safe()`: never markup, never an escape sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.base.rundir import NOT_READABLE
from fusion_tui.tui.format import (
    STATUS_STYLE,
    STATUS_SYMBOL,
    duration,
    eta,
    progress_bar,
    safe,
    timestamp,
)
from fusion_tui.tui.widgets.runs.row_data import RowData

FLEX_MAX = 64
BAR = 6  # the progress bar's cells; with " 100%" 11 of the column's 12 (a wait needs 12)
DEFAULT_SHOWN = ("id", "status", "progress", "params", "blocking", "interval", "where", "eta")

Render = Callable[[RowData, datetime, int], Text]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # a flexible column's narrowest
    render: Render  # (row, now, the column's width) -> the cell
    about: str  # what it shows, for the column picker
    flexible: bool = False
    sort: str = "created_at"  # the store's column that a click on the title sorts by


class ColumnsError(ValueError):
    """`[columns] shown` names no column, or one twice; the message says which."""


def _status(row: RowData, _now: datetime, _width: int) -> Text:
    """Symbol and word (16 colours and NO_COLOR still read it); a stalled run says so
    instead of RUNNING; a sweep's row its runs by status (`✔10 ▶2 …4`)."""
    symbol, style = STATUS_SYMBOL.get(row.status, "?"), STATUS_STYLE.get(row.status, "")
    if row.sweep is not None:
        text = Text()
        for status, n in row.sweep.counts:
            text.append(" " if text else "")
            text.append(f"{STATUS_SYMBOL.get(status, '?')}{n}", style=STATUS_STYLE.get(status, ""))
        return text
    if row.stalled:
        return Text.assemble((f"{symbol} ", style), ("STALLED", "bold red reverse"))
    return Text(f"{symbol} {row.status}", style=style)


def _progress(row: RowData, _now: datetime, _width: int) -> Text:
    if not row.readable:
        return Text(NOT_READABLE, style="dim")
    if row.waiting:
        return Text(row.waiting, style="dim")
    return progress_bar(row.fraction, BAR)


def _params(row: RowData, _now: datetime, width: int) -> Text:
    """A sweep's name and size, a sweep's run by its point (under its sweep's row, or
    followed by its sweep's name), any other run by its name."""
    if row.sweep is not None:
        text = Text("▾ " if row.sweep.expanded else "▸ ", style="bold")
        text.append_text(safe(row.name or row.template, width))
        text.append(f" ({row.sweep.total} runs)", style="dim")
        return text
    if row.params is None:
        return safe(row.name, width)
    text = Text("  " if row.child else "")
    text.append_text(safe(row.params, width))
    if not row.child and row.sweep_name:
        text.append("  " + safe(row.sweep_name, width).plain, style="dim")
    return text


def _blocking(row: RowData, _now: datetime, _width: int) -> Text:
    if row.sweep is not None:
        return Text(value_text(row.sweep.best))
    if row.result is None:
        return Text("…" if row.reading else "-", style="dim")
    return Text(value_text(row.result.blocking, row.result.low, row.result.high), style="bold")


def _interval(row: RowData, _now: datetime, _width: int) -> Text:
    if row.sweep is not None:
        return Text("lowest" if row.sweep.best is not None else "-", style="dim")
    if row.result is None:
        return Text("-", style="dim")
    return Text(interval_text(row.result.low, row.result.high))


def _where(row: RowData, _now: datetime, _width: int) -> Text:
    return safe(row.where if row.owner is None else f"{row.owner}@{row.where}", 40)


def _eta(row: RowData, now: datetime, _width: int) -> Text:
    if row.sweep is not None:
        unfinished = row.completed is None and row.fraction is not None and row.fraction < 1
        return Text(eta(row.started, row.fraction, now) if unfinished else "-")
    return Text(eta(row.started, row.fraction, now, row.seconds_left)
                if row.status == "RUNNING" else "-")


def _duration(row: RowData, now: datetime, _width: int) -> Text:
    end = row.completed or now
    return Text(duration((end - row.started).total_seconds() if row.started else None))


def _number(value: float | None) -> Text:
    return Text("-" if value is None else f"{value:g}")


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("id", "ID", 12, lambda r, _n, _w: Text(r.run_id), "the run's id (a sweep's id on "
           "its row)", sort="id"),
    Column("status", "Status", 11, _status, "status; a sweep's runs by status", sort="status"),
    Column("progress", "Progress", 12, _progress, "how far it is (a sweep: all its runs)"),
    Column("params", "Run", 12, _params, "a sweep's run by its parameters (k=2 ff s=3), "
           "any other by its name", flexible=True, sort="name"),
    Column("name", "Name", 16, lambda r, _n, w: safe(r.name, w), "the name in full",
           flexible=True, sort="name"),
    Column("template", "Template", 12, lambda r, _n, _w: safe(r.template, 20),
           "the template it was made from", sort="template"),
    Column("where", "Where", 10, _where, "the executor and node (owner@ for everyone's runs)"),
    Column("erlang", "Erlang", 7, lambda r, _n, _w: _number(r.erlang),
           "the load it is simulating now"),
    Column("load", "Load", 7, lambda r, _n, _w: _number(r.result.load if r.result else None),
           "the load of its result (its last)"),
    Column("blocking", "Blocking", 10, _blocking, "mean blocking at its last load (a sweep: "
           "its lowest)", sort="result_blocking"),
    Column("interval", "Interval", 16, _interval, "the 95% interval of that mean"),
    Column("eta", "ETA", 6, _eta, "time left"),
    Column("started", "Started", 11, lambda r, _n, _w: Text(timestamp(r.started)),
           "when it started", sort="started_at"),
    Column("duration", "Duration", 8, _duration, "how long it ran (so far)"),
)}


def shown_columns(names: Sequence[str] | None, where: str = "[columns] shown") -> \
        tuple[Column, ...]:
    """The columns `names` lists, in its order (the default when None); `ColumnsError`
    names the first unknown or repeated one, prefixed with `where`."""
    if names is None:
        names = DEFAULT_SHOWN
    if not names:
        raise ColumnsError(f"{where}: lists no column (columns: {', '.join(COLUMNS)})")
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise ColumnsError(f"{where}: no column {name!r} (columns: {', '.join(COLUMNS)})")
        if name in names[:i]:
            raise ColumnsError(f"{where}: {name!r} is listed twice")
    return tuple(COLUMNS[name] for name in names)
