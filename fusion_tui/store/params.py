"""`key=value` filters on a run's parameters (its frozen config), and the one rule for
when a config value equals the value asked for.

The key is a setting's short name (`k_paths`: that key in any section) or its full
`section.key`. Values are equal when both are decimal numbers of the same value (`3`,
`3.0` and `3.00` are equal; `1e3` equals `1000`), or else when they are the same text,
ignoring case and surrounding blanks (`first_fit` equals `First_Fit`, `True` equals
`true`). The store compares in SQL (PostgreSQL's own `numeric`; on SQLite through
`same_value`, registered as a function), so a filter pages like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fusion_tui.base.errors import ConfigError

# A decimal number as config files write one; the exponent is bounded so that both
# databases read any match as a number.
NUMBER_PATTERN = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$"
_NUMBER = re.compile(NUMBER_PATTERN)
_KEY = re.compile(r"([A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+\Z")
MAX_VALUE = 500


def as_number(text: str) -> Decimal | None:
    """`text` as a decimal number, None when it is not one."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # the pattern admits only what Decimal reads; kept safe
        return None


def same_value(value: object, wanted: object) -> int:
    """1 when a config value equals the value asked for (the rule above), else 0 (an int:
    SQLite calls it as a function)."""
    if not isinstance(value, str) or not isinstance(wanted, str):
        return 0
    a, b = as_number(value), as_number(wanted)
    if a is not None and b is not None:
        return int(a == b)
    return int(value.strip().lower() == wanted.strip().lower())


@dataclass(frozen=True)
class ParamFilter:
    """Runs whose config has `key` (short name or `section.key`) equal to `value`."""

    key: str
    value: str

    @property
    def section(self) -> str | None:
        return self.key.partition(".")[0] if "." in self.key else None

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]

    @property
    def number(self) -> Decimal | None:
        return as_number(self.value)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def parse(cls, text: str) -> ParamFilter:
        """`k_paths=3` or `routing_settings.k_paths=3`; ConfigError saying what is wrong."""
        key, eq, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key:
            raise ConfigError(f"where {text!r}: expected key=value, e.g. k_paths=3 or "
                              "routing_settings.k_paths=3")
        if not _KEY.match(key):
            raise ConfigError(f"where {text!r}: {key!r} is not a setting's name (key or "
                              "section.key)")
        if len(value) > MAX_VALUE:
            raise ConfigError(f"where {key}: the value is {len(value)} characters; at most "
                              f"{MAX_VALUE}")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ConfigError(f"where {key}: control characters are not allowed in the value")
        return cls(key, value)
