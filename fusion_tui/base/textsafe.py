"""Make text that comes from runs safe to show on a terminal.

Names, log lines and file names are data: terminal escape sequences (colours, OSC 52
clipboard writes, cursor moves) and other control characters are made visible instead
of being passed to the terminal.
"""

from __future__ import annotations

import re

# CSI ... final byte, OSC ... BEL/ST, other two-byte ESC sequences.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences, then show remaining control characters."""
    return _CONTROL.sub(_visible, _ESCAPE.sub("", text))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}"


def one_line(text: str, limit: int = 200) -> str:
    """A single safe line (for names and messages in tables)."""
    flat = strip_escapes(text.replace("\n", " ").replace("\r", " ").replace("\t", " "))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
