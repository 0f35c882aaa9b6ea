"""Modulation formats: which formats (and how many spectrum slots) carry a bandwidth over
a path length, read from FUSION's modulation file format or FUSION's DEFAULT table.

FUSION's file holds named sets and `mod_assumption` picks one:
`{"DEFAULT": {"100": {"QPSK": {"max_length": 5540, "slots_needed": 4}, ...}, ...}, ...}`.
The bandwidths of the chosen set are the bandwidths FUSION knows for the run (its
request quotas and slicing tiers come from them). Slot counts are used as written, as
FUSION uses them (`bw_per_slot` does not rescale them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fusion_tui.base.safefile import read_text

# Gb/s -> [(format, reach_km, slots)], FUSION's DEFAULT assumption.
DEFAULT_TABLE: dict[float, list[tuple[str, float, int]]] = {
    25: [("QPSK", 22160, 1), ("16-QAM", 9500, 1), ("64-QAM", 3664, 1)],
    50: [("QPSK", 11080, 2), ("16-QAM", 4750, 1), ("64-QAM", 1832, 1)],
    100: [("QPSK", 5540, 4), ("16-QAM", 2375, 2), ("64-QAM", 916, 2)],
    200: [("QPSK", 2770, 8), ("16-QAM", 1187, 4), ("64-QAM", 458, 3)],
    400: [("QPSK", 1385, 16), ("16-QAM", 594, 8), ("64-QAM", 229, 6)],
}
MODULATION_LIMIT = 16 << 20


class ModulationError(ValueError):
    """The modulation table is unusable; the message says why."""


class ModulationTable:
    """Per bandwidth, formats ordered from highest order (shortest reach) to lowest."""

    def __init__(self, table: dict[float, list[tuple[str, float, int]]]) -> None:
        self.formats: dict[float, list[tuple[str, float, int]]] = {
            float(bw): sorted(entries, key=lambda e: e[1]) for bw, entries in table.items()
        }
        # The formats as the file lists them: FUSION's result keys follow that order.
        self.order: dict[float, tuple[str, ...]] = {
            float(bw): tuple(name for name, _, _ in entries) for bw, entries in table.items()
        }

    def reaching(self, bandwidth: float, length: float) -> list[tuple[str, int]]:
        """(format, slots) of every format whose reach covers `length`, highest order
        first: the first is FUSION's choice, the rest its fallback formats."""
        return [(name, slots) for name, reach, slots in self.formats.get(float(bandwidth), ())
                if reach >= length]

    def choose(self, bandwidth: float, length: float) -> tuple[str, int] | None:
        """Highest-order format whose reach covers `length`; None if none does."""
        reaching = self.reaching(bandwidth, length)
        return reaching[0] if reaching else None

    def names(self) -> list[str]:
        return sorted({name for entries in self.formats.values() for name, _, _ in entries})

    @classmethod
    def from_file(cls, path: Path, assumption: str) -> ModulationTable:
        """The set `assumption` of a FUSION modulation file (or a file that is one set)."""
        try:
            raw = json.loads(read_text(path, MODULATION_LIMIT))
        except OSError as exc:
            raise ModulationError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
        except (ValueError, RecursionError) as exc:
            raise ModulationError(f"{str(path)!r} is not JSON: {exc}") from None
        if not isinstance(raw, dict) or not raw:
            raise ModulationError(f"{str(path)!r} holds no modulation sets")
        if assumption in raw:
            chosen = raw[assumption]
        elif all(_is_number(key) for key in raw):
            chosen = raw  # a file that is a single set, bandwidths at the top
        else:
            sets = ", ".join(sorted(str(k) for k in raw)[:10])
            raise ModulationError(f"{str(path)!r} has no set {assumption!r} (it has {sets})")
        return cls(_parse_set(chosen, path))


def _is_number(text: Any) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def _parse_set(chosen: Any, path: Path) -> dict[float, list[tuple[str, float, int]]]:
    if not isinstance(chosen, dict) or not chosen:
        raise ModulationError(f"{str(path)!r}: the chosen set is not a table of bandwidths")
    table: dict[float, list[tuple[str, float, int]]] = {}
    for bw, formats in chosen.items():
        if not _is_number(bw) or float(bw) <= 0 or not isinstance(formats, dict):
            raise ModulationError(f"{str(path)!r}: {bw!r} is not a bandwidth in Gb/s "
                                  "with formats")
        entries = []
        for name, spec in formats.items():
            try:
                reach, slots = float(spec["max_length"]), int(spec["slots_needed"])
            except (KeyError, TypeError, ValueError):
                raise ModulationError(f"{str(path)!r}: {bw} Gb/s {name}: needs numeric "
                                      "max_length and slots_needed") from None
            if not math.isfinite(reach) or slots < 1:
                raise ModulationError(f"{str(path)!r}: {bw} Gb/s {name}: max_length must be "
                                      "finite and slots_needed at least 1")
            entries.append((str(name), reach, slots))
        table[float(bw)] = entries
    return table
