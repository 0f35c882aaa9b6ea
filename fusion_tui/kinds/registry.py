"""Which kind of run a simulator's name (the settings' BUILTIN_SIMULATOR,
FUSION_SIMULATOR; a template's `simulator`) stands for. A new kind is one line here."""

from __future__ import annotations

from fusion_tui.base.documents import LaunchRecord
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import BUILTIN_SIMULATOR
from fusion_tui.kinds.builtin.kind import BuiltinKind
from fusion_tui.kinds.fusion.kind import FusionKind
from fusion_tui.kinds.fusion55.kind import Fusion55Kind
from fusion_tui.kinds.kind import RunKind

KINDS: dict[str, RunKind] = {kind.name: kind
                             for kind in (BuiltinKind(), FusionKind(), Fusion55Kind())}


def kind_for(simulator: str | None) -> RunKind:
    """The kind of run of `simulator`. A template naming no known simulator is refused
    when it is read (`config/templates.py`); any other name (a run recorded by another
    version, an unreadable template in a list) is the built-in simulator's, as before."""
    return KINDS.get(simulator or BUILTIN_SIMULATOR, KINDS[BUILTIN_SIMULATOR])


def kind_of_run(paths: RunPaths) -> RunKind:
    """The kind of an existing run, from its `launch.json`."""
    launch = LaunchRecord.read(paths.launch)
    return kind_for(launch.simulator if launch is not None else None)
