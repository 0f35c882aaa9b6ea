"""Who is asking: the OS user, recorded as a run's owner. Plain Python."""

from __future__ import annotations

import os
import pwd


def current_user() -> str:
    """The name of the real user running us (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())
