"""Modulation formats: which format (and how many spectrum slots) carries a bandwidth over
a path length. FUSION's DEFAULT table, or a FUSION-style JSON file
(`{"100": {"QPSK": {"max_length": 5540, "slots_needed": 4}, ...}, ...}`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from fusion_tui.safefile import read_text

# Gb/s -> [(format, reach_km, slots at 12.5 GHz)], from FUSION's DEFAULT assumption.
DEFAULT_TABLE: dict[float, list[tuple[str, float, int]]] = {
    25: [("QPSK", 22160, 1), ("16-QAM", 9500, 1), ("64-QAM", 3664, 1)],
    50: [("QPSK", 11080, 2), ("16-QAM", 4750, 1), ("64-QAM", 1832, 1)],
    100: [("QPSK", 5540, 4), ("16-QAM", 2375, 2), ("64-QAM", 916, 2)],
    200: [("QPSK", 2770, 8), ("16-QAM", 1187, 4), ("64-QAM", 458, 3)],
    400: [("QPSK", 1385, 16), ("16-QAM", 594, 8), ("64-QAM", 229, 6)],
}
REFERENCE_SLOT_GHZ = 12.5


class ModulationError(ValueError):
    """The modulation table is unusable; the message says why."""


class ModulationTable:
    """Per bandwidth, formats ordered from highest order (shortest reach) to lowest."""

    def __init__(self, table: dict[float, list[tuple[str, float, int]]],
                 bw_per_slot: float = REFERENCE_SLOT_GHZ) -> None:
        scale = REFERENCE_SLOT_GHZ / bw_per_slot
        self.formats: dict[float, list[tuple[str, float, int]]] = {
            float(bw): sorted(((name, reach, max(1, math.ceil(slots * scale - 1e-9)))
                               for name, reach, slots in entries), key=lambda e: e[1])
            for bw, entries in table.items()
        }

    def choose(self, bandwidth: float, length: float) -> tuple[str, int] | None:
        """Highest-order format whose reach covers `length`; None if none does."""
        for name, reach, slots in self.formats.get(float(bandwidth), ()):
            if reach >= length:
                return name, slots
        return None

    def names(self) -> list[str]:
        return sorted({name for entries in self.formats.values() for name, _, _ in entries})

    @classmethod
    def from_file(cls, path: Path, bw_per_slot: float) -> ModulationTable:
        try:
            raw = json.loads(read_text(path, 16 << 20))
            table = {
                float(bw): [(str(name), float(spec["max_length"]), int(spec["slots_needed"]))
                            for name, spec in formats.items()]
                for bw, formats in raw.items()
            }
        except OSError as exc:
            raise ModulationError(f"cannot read modulation table {str(path)!r}: "
                                  f"{exc.strerror or exc}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModulationError(f"cannot read modulation table {str(path)!r}: {exc}") from None
        return cls(table, bw_per_slot)
