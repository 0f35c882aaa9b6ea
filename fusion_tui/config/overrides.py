"""Parse `section.key=value` overrides (the CLI's `--set`, the new-run form)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fusion_tui.base.errors import ConfigError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*\Z")


@dataclass(frozen=True)
class Override:
    section: str
    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.section}.{self.key}={self.value}"


def parse_override(text: str) -> Override:
    """`general_settings.max_iters=4` -> Override; the value may hold any character."""
    target, sep, value = text.partition("=")
    section, dot, key = target.strip().partition(".")
    if not sep or not dot:
        raise ConfigError(f"override {text!r}: expected section.key=value")
    if not _NAME.match(section) or not _NAME.match(key):
        raise ConfigError(
            f"override {text!r}: section and key may hold only letters, digits, '_' and '-'"
        )
    if "\n" in value or "\r" in value:
        raise ConfigError(f"override {text!r}: the value must be a single line")
    return Override(section, key, value.strip())


def parse_overrides(texts: list[str] | tuple[str, ...]) -> list[Override]:
    return [parse_override(t) for t in texts]
