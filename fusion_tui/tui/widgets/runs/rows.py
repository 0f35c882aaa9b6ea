"""A stored run (or a row of the first page) as a row of the run list: stalled by the
domain's rule, where it runs, whose it is when everyone's runs are listed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fusion_tui.executors.descriptions import description_of
from fusion_tui.runs.stall import is_stalled, silence
from fusion_tui.store.first_page import ListedRun
from fusion_tui.tui.widgets.runs.table import RowData

if TYPE_CHECKING:
    from fusion_tui.store.models import Run


def row_of(run: Run | ListedRun, now: datetime, stall_seconds: float, *,
           with_owner: bool, waiting: str | None = None) -> RowData:
    return RowData(run.id, run.status, run.name, run.template, run.fraction_done,
                   run.current_erlang, run.started_at, run.completed_at,
                   is_stalled(run, silence(run, now), stall_seconds), where=where(run),
                   owner=run.owner if with_owner else None, waiting=waiting)


def where(run: Run | ListedRun) -> str:
    """The executor, and its node once the run has one there (`<executor>:<node>`)."""
    description = description_of(run.executor)
    return description.where(run.node if isinstance(run, ListedRun) else description.node(run))
