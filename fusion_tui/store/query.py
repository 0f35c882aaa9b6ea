"""What the run list asks the store for: filters and order, as plain values that screens
can hold and change without importing the database layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fusion_tui.store.params import ParamFilter
from fusion_tui.store.status import RunStatus

FIELDS = ("status", "tag", "template", "sweep")  # the typed filter's `field:value` words
LISTED_SWEEPS = 200  # `sweep list`: the newest this many
SORTABLE_COLUMNS = ("created_at", "started_at", "completed_at", "name", "status", "template", "id",
                    "result_blocking")


@dataclass(frozen=True)
class RunFilter:
    """What a user filters runs by (`runs --status --tag --template --sweep --where`, the
    app's `/`); every part given must hold. `statuses`: any of them; `tags`: all of them;
    `template`: that name (any case); `sweep`: a sweep id or its prefix; `params`: every
    `key=value`; `text`: in the run's id, name or template (any case)."""

    statuses: frozenset[RunStatus] = frozenset()
    tags: frozenset[str] = frozenset()
    template: str | None = None
    sweep: str | None = None
    params: tuple[ParamFilter, ...] = ()
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.statuses or self.tags or self.template or self.sweep or self.params
                    or self.text)

    def describe(self) -> str:
        """The filter as the app's `/` field takes it back (`status:running tag:a k=3`)."""
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(sorted(s.value.lower() for s in self.statuses)))
        parts += [f"tag:{t}" for t in sorted(self.tags)]
        if self.template:
            parts.append(f"template:{self.template}")
        if self.sweep:
            parts.append(f"sweep:{self.sweep}")
        parts += [str(p) for p in self.params]
        if self.text:
            parts.append(_as_text(self.text))
        return " ".join(parts)


def _as_text(text: str) -> str:
    """Free text as the field reads it back as text: quoted when a word of it would
    otherwise read as a filter (`k=3`, `tag:x`)."""
    filters = any("=" in w or (":" in w and w.partition(":")[0].lower() in FIELDS)
                  for w in text.split())
    if not filters:
        return text
    quote = "'" if '"' in text else '"'
    return quote + text.replace(quote, "") + quote


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list and in what order. `statuses` are the app's status keys (any of
    them), `filter` what the user typed or asked for (both apply); `owner` None means
    everyone's (a run with no recorded owner is listed for every owner); `sweep_id` keeps
    one sweep's runs (an expanded sweep of the grouped run list)."""

    statuses: frozenset[RunStatus] = frozenset()
    filter: RunFilter = field(default_factory=RunFilter)
    owner: str | None = None
    sweep_id: str | None = None
    order_by: str = "created_at"
    descending: bool = True
    # Only the runs listed after this one, newest first (the next page, by keyset: a
    # page deep in the list is read as fast as the first).
    before: str | None = None

    def __post_init__(self) -> None:
        if self.order_by not in SORTABLE_COLUMNS:
            raise ValueError(f"cannot sort by {self.order_by!r}; use one of {SORTABLE_COLUMNS}")
        if self.before is not None and (self.order_by, self.descending) != ("created_at", True):
            raise ValueError("a page after a run is of the list newest first")


@dataclass(frozen=True)
class Entry:
    """One entry of the run list grouped by sweep: a run of no sweep, or a sweep."""

    id: str
    is_sweep: bool


@dataclass(frozen=True)
class SweepEntry:
    """A sweep's runs that match the run list's query, summed up for its row."""

    sweep_id: str
    name: str | None
    template: str
    executor: str
    owner: str | None
    counts: dict[str, int]  # status -> runs
    fraction: float  # as a sweep's progress counts it: a COMPLETED run whole
    started_at: datetime | None  # its first run's start
    completed_at: datetime | None  # its last run's end, once every run has ended
    best_blocking: float | None  # the lowest cached blocking of its runs
    unread: int = 0  # finished runs whose result files nobody has read yet

    @property
    def total(self) -> int:
        return sum(self.counts.values())
