"""When a new run may start, as people write it: `--delay 30s|5m|2h|1d` from now, or
`--at` a local clock time (`02:00`: the next one) or an ISO 8601 date and time
(`2026-12-08T02:00`, local unless it carries an offset). Times come back as naive UTC,
the form the store keeps; a time that has passed is refused, and so is one more than
`MAX_AHEAD` away (a slip such as `1000000d`; a time near year 9999 would also break every
listing that shows it in local time)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
MAX_AHEAD = timedelta(days=366)
_TOO_FAR = f"too far ahead (a run waits at most {MAX_AHEAD.days} days)"


def parse_duration(text: str) -> float:
    """`30s`, `5m`, `2h`, `1d`, `1w` (a decimal allowed: `1.5h`) as seconds; ValueError."""
    m = _DURATION.fullmatch(text.strip().lower())
    if not m:
        raise ValueError(f"expected a duration such as 30s, 5m, 2h or 1d, got {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def after_delay(text: str, now: datetime) -> datetime:
    """`--delay`: `now` (naive UTC) plus the duration, which must be more than nothing."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"--delay {text}: {exc}") from None
    if seconds <= 0:
        raise ValueError(f"--delay {text}: expected a duration of more than 0")
    if seconds > MAX_AHEAD.total_seconds():
        raise ValueError(f"--delay {text}: {_TOO_FAR}")
    return now + timedelta(seconds=seconds)


def parse_at(text: str, now: datetime) -> datetime:
    """`--at`: a local clock time (the next one after `now`) or an ISO 8601 date and time
    (local unless it has an offset), as naive UTC; ValueError if malformed or passed."""
    given = text.strip()
    local_now = now.replace(tzinfo=UTC).astimezone()
    if _CLOCK.fullmatch(given):
        try:
            clock = time.fromisoformat(given.zfill(len(given) + (given.index(":") == 1)))
        except ValueError:
            raise ValueError(f"--at {text}: not a clock time (HH:MM)") from None
        day = local_now.replace(tzinfo=None).date()
        at = datetime.combine(day, clock).astimezone()
        if at <= local_now:
            at = datetime.combine(day + timedelta(days=1), clock).astimezone()
    else:
        try:
            parsed = datetime.fromisoformat(given)
        except ValueError:
            raise ValueError(f"--at {text}: expected a local time such as 02:00 or "
                             "2026-12-08T02:00") from None
        passed = ValueError(f"--at {text}: that time has passed (it is now "
                            f"{local_now.strftime('%Y-%m-%d %H:%M:%S %Z')})")
        try:  # local unless it has an offset; in UTC, which year 1 or 9999 may overflow
            at = (parsed.astimezone() if parsed.tzinfo is None else parsed).astimezone(UTC)
        except (OverflowError, ValueError):
            raise (passed if parsed.year < local_now.year else
                   ValueError(f"--at {text}: {_TOO_FAR}")) from None
        if at <= local_now:
            raise passed
        if at - local_now > MAX_AHEAD:
            raise ValueError(f"--at {text}: {_TOO_FAR}")
    return at.astimezone(UTC).replace(tzinfo=None)
