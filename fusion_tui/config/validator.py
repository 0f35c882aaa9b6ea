"""The one validator of a run configuration, by the simulator that will run it.

A configuration for FUSION is checked against FUSION 6.1's own rules
(`fusion_tui.kinds.fusion.schema`), not the built-in simulator's: FUSION accepts values such as
`allocation_method = priority_first` that the built-in does not implement. A
configuration for the built-in simulator must be one that `fusion-tui-sim` accepts,
checked by the very function the simulator itself calls. `fusion-tui new`, the new-run
form and the simulator therefore refuse the same values, before anything exists.
"""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.settings import FUSION_SIMULATOR
from fusion_tui.config import schema
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.fusion import schema as fusion_schema


def validate(sections: Sections, simulator: str, run_dir: Path) -> None:
    """Raise ConfigError (one line naming section and key) for the first problem."""
    if simulator == FUSION_SIMULATOR:
        fusion_schema.validate(sections)
        return
    from fusion_tui.sim.config import sim_config
    sim_config({s: dict(v) for s, v in sections.items()}, run_dir)


def check_value(section: str, key: str, raw: str, simulator: str) -> None:
    """Check one value on its own (a form field), by the rules of `simulator`."""
    if simulator == FUSION_SIMULATOR:
        fusion_schema.check_value(section, key, raw)
    else:
        schema.check_value(section, key, raw)


def may_add(section: str, key: str, simulator: str) -> bool:
    """Whether `--set` may add `section.key` to a template that lacks it.

    Any key FUSION 6.1 reads may be added, for either simulator (the built-in refuses,
    by name, a FUSION feature it does not implement); so may the built-in's own keys.
    """
    if fusion_schema.knows(section, key):
        return True
    return simulator != FUSION_SIMULATOR and (section, key) in schema.KNOWN
