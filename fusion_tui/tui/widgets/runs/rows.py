"""A stored run (or a row of the first page) as a row of the run list: stalled by the
domain's rule, where it runs, whose it is when everyone's runs are listed, a sweep's run
by its point, its cached result; and a sweep as one row of the grouped list."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from fusion_tui.executors.descriptions import description_of
from fusion_tui.runs.stall import is_stalled, silence
from fusion_tui.store.first_page import ListedRun
from fusion_tui.store.query import SweepEntry
from fusion_tui.store.result_cache import cached_result, looked
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus
from fusion_tui.sweeps.labels import compact_label, name_without_point
from fusion_tui.tui.widgets.runs.row_data import RowData, SweepCounts

if TYPE_CHECKING:
    from fusion_tui.store.models import Run


def row_of(run: Run | ListedRun, now: datetime, stall_seconds: float, *,
           with_owner: bool, child: bool = False, waiting: str | None = None) -> RowData:
    point = _point(run.point_json)
    return RowData(
        run.id, run.status, run.name, run.template, run.fraction_done, run.current_erlang,
        run.started_at, run.completed_at, is_stalled(run, silence(run, now), stall_seconds),
        where=where(run), owner=run.owner if with_owner else None,
        params=compact_label(point) if point else None,
        sweep_name=name_without_point(run.name, point) if point else None,
        result=cached_result(run.result_load, run.result_blocking, run.result_low,
                             run.result_high),
        reading=RunStatus(run.status) in FINISHED_STATUSES and not looked(run.result_load),
        child=child, waiting=waiting)


def sweep_row(entry: SweepEntry, *, expanded: bool, with_owner: bool) -> RowData:
    """A sweep's row: its runs summed up (the grouped list)."""
    counts = tuple((s.value, entry.counts[s.value]) for s in RunStatus
                   if entry.counts.get(s.value))
    return RowData(entry.sweep_id, "", entry.name, entry.template, entry.fraction, None,
                   entry.started_at, entry.completed_at, False, where=entry.executor,
                   owner=entry.owner if with_owner else None, reading=entry.unread > 0,
                   sweep=SweepCounts(counts, entry.best_blocking, expanded))


def _point(text: str | None) -> dict[str, str]:
    try:
        point = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in point.items()} if isinstance(point, dict) else {}


def where(run: Run | ListedRun) -> str:
    """The executor, and its node once the run has one there (`<executor>:<node>`)."""
    description = description_of(run.executor)
    return description.where(run.node if isinstance(run, ListedRun) else description.node(run))
