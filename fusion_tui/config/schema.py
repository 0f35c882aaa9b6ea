"""The machinery of a configuration schema: a table of keys (type, required, bounds) and
the checks run against it before anything is created, whichever kind of run owns the
table (the built-in simulator's is `sim/keys.py`).

Values stay strings (the INI the simulator reads); validation only proves they parse.
Booleans are written `True`/`False` and `None` means unset, as in FUSION.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fusion_tui.base.errors import ConfigError

Sections = Mapping[str, Mapping[str, str]]

@dataclass(frozen=True)
class Key:
    """One known configuration key: its type, whether it is required, its lower bound."""

    section: str
    name: str
    kind: str  # int, float, bool, str, json, choice
    required: bool = True
    minimum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    maximum: float | None = None


# Bounds on sizes: a typo must not become a run that grows without end.
MAX_LOAD_POINTS = 10_000
MAX_VALUE_LENGTH = 4096
MAX_DISTRIBUTION_ENTRIES = 64

def _unset(value: str) -> bool:
    return value.strip() in ("", "None")


def _number(key: Key, raw: str) -> float:
    caster: Callable[[str], float] = int if key.kind == "int" else float
    try:
        value = caster(raw.strip())
    except ValueError:
        kind = "an integer" if key.kind == "int" else "a number"
        raise ConfigError.at(key.section, key.name, f"expected {kind}, got {raw!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError.at(key.section, key.name, f"expected a finite number, got {raw!r}")
    if key.minimum is not None:
        too_small = value <= key.minimum if key.exclusive_minimum else value < key.minimum
        if too_small:
            bound = "greater than" if key.exclusive_minimum else "at least"
            limit = int(key.minimum) if key.minimum == int(key.minimum) else key.minimum
            raise ConfigError.at(key.section, key.name, f"must be {bound} {limit}, got {raw}")
    if key.maximum is not None and value > key.maximum:
        raise ConfigError.at(key.section, key.name, f"must be at most {key.maximum:g}, got {raw}")
    return value


def _check(key: Key, raw: str) -> None:
    if key.kind in ("int", "float"):
        _number(key, raw)
    elif key.kind == "bool":
        if raw.strip() not in ("True", "False"):
            raise ConfigError.at(key.section, key.name, f"expected True or False, got {raw!r}")
    elif key.kind == "choice":
        if raw.strip() not in key.choices:
            allowed = ", ".join(key.choices)
            raise ConfigError.at(key.section, key.name, f"expected one of {allowed}, got {raw!r}")
    elif key.kind == "json":
        _check_distribution(key, raw)


def _check_distribution(key: Key, raw: str) -> None:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError.at(key.section, key.name, f"invalid JSON ({exc.msg})") from None
    if not isinstance(value, dict) or not value:
        raise ConfigError.at(key.section, key.name,
                             "expected a JSON object of bandwidth (Gb/s) to probability")
    if len(value) > MAX_DISTRIBUTION_ENTRIES:
        raise ConfigError.at(key.section, key.name,
                             f"at most {MAX_DISTRIBUTION_ENTRIES} bandwidths, got {len(value)}")
    for bw, p in value.items():
        try:
            bw_value = float(bw)
        except ValueError:
            raise ConfigError.at(key.section, key.name,
                                 f"bandwidth {bw!r} is not a number") from None
        if not math.isfinite(bw_value) or bw_value <= 0:
            raise ConfigError.at(key.section, key.name, f"bandwidth {bw} must be positive")
        if not isinstance(p, int | float) or isinstance(p, bool) or not math.isfinite(p) \
                or p < 0:
            raise ConfigError.at(key.section, key.name,
                                 f"probability of {bw} must be a non-negative number")
    total = sum(float(p) for p in value.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError.at(key.section, key.name,
                             f"probabilities must sum to 1, they sum to {total:g}")


def index(keys: tuple[Key, ...]) -> dict[tuple[str, str], Key]:
    """A table of keys by (section, name)."""
    return {(k.section, k.name): k for k in keys}


def check_value(known_keys: Mapping[tuple[str, str], Key], section: str, key: str,
                raw: str) -> None:
    """Check one value on its own (type, bounds); keys not in the table pass."""
    known = known_keys.get((section, key))
    if known is None:
        return
    if _unset(raw):
        if known.required:
            raise ConfigError.at(section, key, "missing required key")
        return
    _check(known, raw)


def validate(sections: Sections, keys: tuple[Key, ...]) -> None:
    """Raise ConfigError for the first problem found against the table `keys`, in a
    stable order."""
    for section, values in sections.items():
        for name, text in values.items():
            if len(text) > MAX_VALUE_LENGTH:
                raise ConfigError.at(section, name, f"at most {MAX_VALUE_LENGTH} characters, "
                                                    f"got {len(text)}")
    for key in keys:
        raw = sections.get(key.section, {}).get(key.name)
        if raw is None or _unset(raw):
            if key.required:
                raise ConfigError.at(key.section, key.name, "missing required key")
            continue
        _check(key, raw)
    check_load_points(sections)


def check_load_points(sections: Sections) -> None:
    """The Erlang range must go upwards and hold at most MAX_LOAD_POINTS loads."""
    general = sections["general_settings"]
    start = float(general["erlang_start"])
    stop = float(general["erlang_stop"])
    if stop < start:
        raise ConfigError.at("general_settings", "erlang_stop",
                             f"must not be below erlang_start ({start:g}), got {stop:g}")
    points = math.floor((stop - start) / float(general["erlang_step"]) + 1e-9) + 1
    if points > MAX_LOAD_POINTS:
        raise ConfigError.at("general_settings", "erlang_stop",
                             f"{start:g} to {stop:g} in steps of {general['erlang_step'].strip()} "
                             f"is {points:,} load points; at most {MAX_LOAD_POINTS:,}")


def erlang_values(sections: Sections) -> list[float]:
    """The inclusive Erlang list of a valid configuration (300..900 step 300: 3 values)."""
    general = sections["general_settings"]
    start, stop = float(general["erlang_start"]), float(general["erlang_stop"])
    step = float(general["erlang_step"])
    count = math.floor((stop - start) / step + 1e-9) + 1
    return [round(start + i * step, 10) for i in range(count)]


def iterations(sections: Sections) -> int:
    return int(sections["general_settings"]["max_iters"])
