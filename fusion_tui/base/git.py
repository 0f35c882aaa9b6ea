"""The commit a git checkout is at, read from its `.git` files (no git process is
started): what a run of a simulator taken from a checkout records as its version."""

from __future__ import annotations

import re
from pathlib import Path

from fusion_tui.base.safefile import read_text

_SHA = re.compile(r"[0-9a-f]{40}\Z")
_LIMIT = 1 << 20


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
