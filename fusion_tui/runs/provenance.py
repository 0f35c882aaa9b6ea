"""Where a run's numbers come from: a hash of its frozen config, its seed, the simulator
and its version (as its kind of run says: fusion-tui's own, or the git commit of the
FUSION checkout), the host and the executor. Recorded once, when the run is created.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fusion_tui import __version__
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.kind import RunKind


def config_hash(text: str) -> str:
    """sha256 of the frozen config.ini, as written."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(settings: Settings, kind: RunKind, executor: str, host: str) -> dict[str, Any]:
    """The JSON object recorded with a new run."""
    return {"simulator": kind.name, "fusion_tui_version": __version__, "host": host,
            "executor": executor, **kind.version(settings)}
