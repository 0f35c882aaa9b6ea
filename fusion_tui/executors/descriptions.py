"""Every executor's description by name, for the front ends: light (no database layer),
so the CLI can build its flags at parse time and the app fill its first frame. Another
executor is one more entry here, beside its line in `registry.py`."""

from __future__ import annotations

from fusion_tui.base.setting_tables import Table
from fusion_tui.executors.description import Description
from fusion_tui.executors.local.describe import LOCAL
from fusion_tui.executors.slurm.describe import SLURM

DESCRIPTIONS: dict[str, Description] = {d.name: d for d in (LOCAL, SLURM)}
# Every executor's settings, for `Settings.load`; its names are the valid `executor`s.
TABLES: tuple[Table, ...] = tuple(d.table for d in DESCRIPTIONS.values())


def description_of(name: str) -> Description:
    """The description of the executor called `name`; a bare one for a name no executor
    has (a run stored by another version)."""
    return DESCRIPTIONS.get(name) or Description(name, name, name, name)
