"""The one validator of a run configuration, by the simulator that will run it.

Every simulator gets the common rules (`schema.validate`); a configuration for the
built-in simulator must also be one that `fusion-tui-sim` accepts, checked by the very
function the simulator itself calls. `fusion-tui new`, the new-run form and the
simulator therefore refuse the same values, before anything exists.
"""

from __future__ import annotations

from pathlib import Path

from fusion_tui.config import schema
from fusion_tui.config.schema import Sections
from fusion_tui.settings import BUILTIN_SIMULATOR


def validate(sections: Sections, simulator: str, run_dir: Path) -> None:
    """Raise ConfigError (one line naming section and key) for the first problem."""
    if simulator == BUILTIN_SIMULATOR:
        from fusion_tui.sim.config import sim_config

        sim_config({s: dict(v) for s, v in sections.items()}, run_dir)
    else:
        schema.validate(sections)
