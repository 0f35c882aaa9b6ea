"""Where a run's numbers come from: a hash of its frozen config, its seed, the simulator
and its version (fusion-tui's own, or the git commit of the FUSION checkout), the host
and the executor. Recorded once, when the run is created. Plain Python: the commit is
read from the checkout's `.git` files, no git process is started.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from fusion_tui import __version__
from fusion_tui.base.safefile import read_text
from fusion_tui.base.settings import FUSION_SIMULATOR, Settings

_SHA = re.compile(r"[0-9a-f]{40}\Z")
_LIMIT = 1 << 20


def config_hash(text: str) -> str:
    """sha256 of the frozen config.ini, as written."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def git_commit(checkout: Path) -> str | None:
    """The commit a git checkout is at (HEAD, through a branch ref or packed-refs);
    None when it is not a git checkout or cannot be read."""
    git = checkout / ".git"
    try:
        head = read_text(git / "HEAD", _LIMIT).strip()
        if _SHA.match(head):
            return head
        if not head.startswith("ref: "):
            return None
        ref = head[5:].strip()
        if ".." in ref:
            return None
        try:
            value = read_text(git / ref, _LIMIT).strip()
            return value if _SHA.match(value) else None
        except OSError:
            for line in read_text(git / "packed-refs", _LIMIT).splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _SHA.match(parts[0]):
                    return parts[0]
    except (OSError, UnicodeDecodeError):
        return None
    return None


def seed_of(sections: dict[str, dict[str, str]]) -> int | None:
    """The run's seed: the built-in simulator's `[builtin_settings] seed`."""
    raw = sections.get("builtin_settings", {}).get("seed", "").strip()
    return int(raw) if re.fullmatch(r"-?\d{1,18}", raw) else None


def provenance(settings: Settings, simulator: str, executor: str, host: str) -> dict[str, Any]:
    """The JSON object recorded with a new run."""
    data: dict[str, Any] = {"simulator": simulator, "fusion_tui_version": __version__,
                            "host": host, "executor": executor}
    if simulator == FUSION_SIMULATOR and settings.fusion_home is not None:
        data["fusion_commit"] = git_commit(settings.fusion_home)
    else:
        data["simulator_version"] = __version__
    return data
