"""Which kind of run a simulator's name (the settings' BUILTIN_SIMULATOR,
FUSION_SIMULATOR; a template's `simulator`) stands for. A new kind is one line here.

A kind's module is imported when it is first asked for: a run's supervisor, which starts
for every run of a queue, then loads only its own run's kind (the others cost it 8 ms).
"""

from __future__ import annotations

import importlib

from fusion_tui.base.documents import LaunchRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import BUILTIN_SIMULATOR, FUSION55_SIMULATOR, FUSION_SIMULATOR
from fusion_tui.kinds.kind import RunKind

# name -> (module, class)
_KINDS = {
    BUILTIN_SIMULATOR: ("fusion_tui.kinds.builtin.kind", "BuiltinKind"),
    FUSION_SIMULATOR: ("fusion_tui.kinds.fusion.kind", "FusionKind"),
    FUSION55_SIMULATOR: ("fusion_tui.kinds.fusion55.kind", "Fusion55Kind"),
}
_loaded: dict[str, RunKind] = {}


def kind_for(simulator: str | None) -> RunKind:
    """The kind of run of `simulator`. A template naming no known simulator is refused
    when it is read (`config/templates.py`); any other name (a run recorded by another
    version, an unreadable template in a list) is the built-in simulator's, as before."""
    name = simulator if simulator in _KINDS else BUILTIN_SIMULATOR
    kind = _loaded.get(name)
    if kind is None:
        module, cls = _KINDS[name]
        kind = _loaded[name] = getattr(importlib.import_module(module), cls)()
        assert kind.name == name
    return kind


def load_all() -> None:
    """Import every kind now (the fork server does, once for all the supervisors it
    forks)."""
    for name in _KINDS:
        kind_for(name)


def kind_of_run(paths: RunPaths) -> RunKind:
    """The kind of an existing run, from its `launch.json`."""
    launch = LaunchRecord.read(paths.launch)
    return kind_for(launch.simulator if launch is not None else None)
