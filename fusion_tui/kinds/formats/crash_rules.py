"""The machinery of a FUSION line's list of settings it accepts and then crashes on
(`kinds/fusion/crashes.py`, `kinds/fusion55/crashes.py`): one entry per setting, when it
applies, FUSION's own error and how it was found; the checks both lines share."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fusion_tui.config.schema import Sections

G, T, SNR = "general_settings", "topology_settings", "snr_settings"
# The bandwidths of the DEFAULT modulation set both lines ship.
DEFAULT_BANDWIDTHS = ("25", "50", "100", "200", "400")


class Values:
    """Values of one configuration as FUSION reads them (text, stripped)."""

    def __init__(self, sections: Sections) -> None:
        self.sections = sections

    def text(self, section: str, key: str) -> str:
        return self.sections.get(section, {}).get(key, "").strip()

    def number(self, section: str, key: str) -> int | None:
        try:
            return int(self.text(section, key))
        except ValueError:
            return None

    def true(self, section: str, key: str) -> bool:
        return self.text(section, key).lower() in ("true", "yes", "1")

    @property
    def allocation(self) -> str:
        return self.text(G, "allocation_method")

    @property
    def guard(self) -> int | None:
        return self.number(G, "guard_slots")


@dataclass(frozen=True)
class Crash:
    """One setting a FUSION line crashes on: when it applies, what FUSION says, how found."""

    applies: Callable[[Values], str | None]  # the setting as the warning names it
    error: str  # FUSION's error, and when it comes
    found: str  # where in FUSION's code, and whether it was run

    def warning(self, values: Values, reader: str) -> str | None:
        setting = self.applies(values)
        return None if setting is None else f"{setting}: {reader} {self.error}"


def warnings(crashes: tuple[Crash, ...], sections: Sections, reader: str) -> list[str]:
    """One line per setting of `sections` the line is known to crash on."""
    values = Values(sections)
    return [w for crash in crashes if (w := crash.warning(values, reader)) is not None]


def unknown_value(section: str, key: str,
                  known: tuple[str, ...]) -> Callable[[Values], str | None]:
    """A value of `section.key` that is none of `known` (the engine's dispatch)."""
    def check(v: Values) -> str | None:
        value = v.text(section, key)
        if key in v.sections.get(section, {}) and value not in known:
            return f"[{section}] {key} = {value or '(empty)'}"
        return None
    return check


def priority_without_seven_cores(v: Values) -> str | None:
    """priority_first/last with fewer than 7 cores: both lines fix their core order at
    0, 2, 4, 1, 3, 5, 6."""
    cores = v.number(T, "cores_per_link")
    if v.allocation in ("priority_first", "priority_last") and cores is not None and cores < 7:
        return f"[{G}] allocation_method = {v.allocation} with cores_per_link = {cores}"
    return None


def file_type_not_json(v: Values) -> str | None:
    value = v.text("file_settings", "file_type")
    return None if value in ("", "json") else f"[file_settings] file_type = {value}"


def missing_bandwidth(v: Values) -> str | None:
    """A DEFAULT set's bandwidth left out of the mix: both lines index every one."""
    if v.text(G, "mod_assumption") != "DEFAULT":
        return None
    try:
        mix = ast.literal_eval(v.text(G, "request_distribution"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(mix, Mapping):
        return None
    given = {str(k).strip() for k in mix}
    missing = [bw for bw in DEFAULT_BANDWIDTHS if bw not in given]
    if missing and given <= set(DEFAULT_BANDWIDTHS):
        return f"[{G}] request_distribution without {', '.join(missing)} Gb/s"
    return None
