"""The one rule for a run's (or a sweep's) name, shared by the run manager, the sweep
manager and the new-run form, so the form refuses exactly what creating the run would."""

from __future__ import annotations

import unicodedata

from fusion_tui.base.errors import ConfigError

MAX_NAME = 255


def check_name(name: str | None) -> str | None:
    """The name as stored (stripped; None when empty); ConfigError ("name: ...") for one
    that is too long or holds control or format characters (they would rewrite the
    terminal of whoever lists the runs)."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        return None
    if len(name) > MAX_NAME:
        raise ConfigError(f"name: at most {MAX_NAME} characters, got {len(name)}")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ConfigError("name: control characters are not allowed")
    return name
