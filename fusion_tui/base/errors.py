"""The one error type of configuration problems."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration problem, phrased as one line that names where it is."""

    @classmethod
    def at(cls, section: str, key: str, problem: str) -> ConfigError:
        return cls(f"[{section}] {key}: {problem}")
