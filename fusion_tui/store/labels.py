"""The rules for tags and notes, the user's own labels on runs and sweeps: one place, so
the store, the managers, the filter parser, the command line and the app's forms refuse
exactly the same things.

A tag is 1-64 letters, digits and `_ - . :` (a word to group and filter by: no spaces,
commas or quotes, so it stays one token in a filter and one cell in an export). A note
is free text of at most 2000 characters; line breaks and tabs are kept, every other
control or format character is refused (it would rewrite the terminal of whoever
reads it), and its surrounding blank space is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fusion_tui.base.errors import ConfigError

MAX_TAG = 64
MAX_NOTE = 2000
_TAG = re.compile(r"[A-Za-z0-9_.:-]+\Z")
_KEPT_IN_NOTES = frozenset("\n\t")


def check_tag(text: str) -> str:
    """The tag as stored; ConfigError saying what is wrong with it."""
    if not text:
        raise ConfigError("tag: empty; a tag is 1-64 letters, digits or _ - . :")
    if len(text) > MAX_TAG:
        raise ConfigError(f"tag {_shown(text)}: {len(text)} characters; at most {MAX_TAG}")
    if not _TAG.match(text):
        bad = next(ch for ch in text if not _TAG.match(ch))
        raise ConfigError(f"tag {_shown(text)}: {_char(bad)} is not allowed; a tag is "
                          "letters, digits and _ - . :")
    return text


def check_note(text: str | None) -> str | None:
    """The note as stored (None for an empty one: no note); ConfigError for one that is
    too long or holds control characters other than line breaks and tabs."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_NOTE:
        raise ConfigError(f"note: {len(text)} characters; at most {MAX_NOTE}")
    for ch in text:
        if ch not in _KEPT_IN_NOTES and unicodedata.category(ch) in ("Cc", "Cf"):
            raise ConfigError(f"note: {_char(ch)} is not allowed (control characters other "
                              "than line breaks and tabs)")
    return text


@dataclass(frozen=True)
class TagEdit:
    """Tags to add and to remove, each checked; a tag in both is refused."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        both = sorted(set(self.add) & set(self.remove))
        if both:
            raise ConfigError(f"tag {both[0]!r} is both added and removed")

    @classmethod
    def of(cls, add: tuple[str, ...] | list[str] = (),
           remove: tuple[str, ...] | list[str] = ()) -> TagEdit:
        return cls(tuple(dict.fromkeys(check_tag(t) for t in add)),
                   tuple(dict.fromkeys(check_tag(t) for t in remove)))

    @classmethod
    def parse(cls, text: str) -> TagEdit:
        """`+a -b c`: add a and c, remove b (the app's tag field)."""
        add, remove = [], []
        for word in text.split():
            if word.startswith("-"):
                remove.append(word[1:])
            else:
                add.append(word[1:] if word.startswith("+") else word)
        return cls.of(add, remove)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)

    def text(self) -> str:
        """`+a +c -b`: the audit trail's short account of the edit."""
        return " ".join([*(f"+{t}" for t in self.add), *(f"-{t}" for t in self.remove)])


def _shown(text: str) -> str:
    """A tag as quoted in a message: control characters escaped, a long one cut."""
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _char(ch: str) -> str:
    if ch == " ":
        return "a space"
    if unicodedata.category(ch) in ("Cc", "Cf"):
        return f"the control character U+{ord(ch):04X}"
    return repr(ch)
