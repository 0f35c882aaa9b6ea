"""Cron expressions, read by croniter (widely used, keeps DST and day-of-week rules right):
five fields (minute hour day-of-month month day-of-week) or an @-name (@hourly, @daily,
@weekly, @monthly, @yearly), in local time like crontab's own. Times go in and come out
as naive UTC, the store's form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import CroniterError, croniter

from fusion_tui.base.errors import ConfigError
from fusion_tui.store.status import to_local

NAMES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
FIELDS = "minute hour day-of-month month day-of-week"
SPANS = ("0-59", "0-23", "1-31", "1-12 or jan-dec", "0-7 or sun-sat")


def _local(value: datetime) -> datetime:
    return to_local(value).replace(tzinfo=None)


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)  # a naive time is local to astimezone


@dataclass(frozen=True)
class CronRule:
    """A checked cron expression."""

    expression: str

    @classmethod
    def parse(cls, text: str) -> CronRule:
        """ConfigError, one line naming the expression and the problem, unless it is a
        crontab expression that comes due some time."""
        expression = " ".join(text.split())
        problem = _problem(expression)
        if problem is not None:
            raise ConfigError(f"cron expression {text!r}: {problem}")
        return cls(expression)

    def next_after(self, after: datetime) -> datetime:
        """The first due time after `after`."""
        return _utc(croniter(self.expression, _local(after)).get_next(datetime))

    def latest_due(self, now: datetime) -> datetime:
        """The last due time at or before `now`."""
        start = _local(now).replace(microsecond=0) + timedelta(seconds=1)
        return _utc(croniter(self.expression, start).get_prev(datetime))


def _problem(expression: str) -> str | None:
    if expression.startswith("@"):
        if expression.lower() not in NAMES:
            return f"expected one of {', '.join(NAMES)}"
    elif len(expression.split()) != 5:
        return f"expected 5 fields ({FIELDS}), got {len(expression.split())}"
    problem = _croniter_problem(expression)
    if problem is None or expression.startswith("@"):
        return problem
    if "never comes due" in problem:
        return problem
    fields = expression.split()
    for i, (name, span) in enumerate(zip(FIELDS.split(), SPANS, strict=True)):
        alone = " ".join(field if j == i else "*" for j, field in enumerate(fields))
        if _croniter_problem(alone) is not None:
            return (f"the {name} field {fields[i]!r} is not a number, range, list, step or "
                    f"name within {span}")
    return problem


def _croniter_problem(expression: str) -> str | None:
    """What croniter says of `expression`, in our words, or None."""
    try:
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterError as exc:
        detail = str(exc).replace(f"[{expression}]", "").replace(expression, "")
        detail = detail.replace("is not acceptable", "").replace("out of bands", "out of range")
        if "failed to find next date" in detail:
            return "it never comes due (no such date)"
        return " ".join(detail.strip(" ,").split()).removeprefix("is ") or \
            "a field is not a number, range, list, step or name"
    except (ValueError, KeyError, IndexError) as exc:  # croniter's own slips on odd input
        return f"not a cron expression ({exc})"
    return None
