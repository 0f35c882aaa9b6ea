"""`key=value` filters on a run's parameters (its frozen config), and the one rule for
when a config value equals the value asked for.

The key is a setting's short name (`k_paths`: that key in any section; any case, as
config keys are) or its full `section.key`. Values are equal when both are plain decimal
numbers of the same value (`3`, `3.0` and `3.00` are equal; `-.5` equals `-0.5`), or
else when they are the same text, ignoring surrounding blanks and the case of ASCII
letters (`first_fit` equals `First_Fit`, `True` equals `true`). Other ways of writing a
number (`1e3`, `+3`, `03`) are text: a config value is found by its text first (see
`store/filter_sql.py`), so the rule keeps to forms that text can find.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fusion_tui.base.errors import ConfigError

# A plain decimal number: an optional minus, no leading zeros, no exponent.
NUMBER_PATTERN = r"^-?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)$"
_NUMBER = re.compile(NUMBER_PATTERN)
_KEY = re.compile(r"([A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+\Z")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """`text` with ASCII capitals made small, and nothing else changed (what SQLite's
    `lower` does, and what the filters' SQL does on both databases)."""
    return text.translate(_ASCII_LOWER)
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
    return int(ascii_lower(value.strip()) == ascii_lower(wanted.strip()))


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

    def texts(self) -> tuple[list[str], list[str]]:
        """How a matching value can be written, as it stands after its key in a run's
        `config_json` (`"k_paths": "3"`), in small ASCII letters: those that are a match
        whatever follows, and the beginnings of those that may be (`"k_paths": "3.`: 3.0
        is, 3.5 is not)."""
        key = f"{json.dumps(self.name)}: "
        number = self.number
        if number is None:
            return [ascii_lower(key + json.dumps(self.value.strip()))], []
        plain = format(number.normalize(), "f")
        forms = {plain, "-" + plain} if number == 0 else {plain}
        for form in list(forms):  # 0.5 is also written .5
            sign, digits = ("-", form[1:]) if form.startswith("-") else ("", form)
            if digits.startswith("0."):
                forms.add(sign + digits[1:])
        exact = [f'{key}"{f}"' for f in sorted(forms)]
        loose = [f'{key}"{f}' + ("" if "." in f else ".") for f in sorted(forms)]
        return exact, loose

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
        section, dot, name = key.rpartition(".")
        return cls(f"{section}{dot}{name.lower()}", value)
