"""Settings that a part above `base` declares for itself: a table of the settings file
(`[name]`, its keys the settings `<name>_<key>`, each also a `FUSION_TUI_<NAME>_<KEY>`
variable). Each executor declares one (`Description.settings`), so `base` knows no
executor's settings and a new executor brings its own.

`Settings.load` is given the tables to read (the CLI and the recorder helper pass every
executor's); a process that needs none of them (a supervisor) reads none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

# text: as given; args: command-line arguments (a TOML list is joined as a shell would
# quote it); int and float: numbers, within `low`..`high` when given.
Kind = Literal["text", "args", "int", "float"]


@dataclass(frozen=True)
class Setting:
    key: str  # within its table: `partition` is the setting `slurm_partition`
    kind: Kind = "text"
    default: str | int | float | None = None
    low: float | None = None
    high: float | None = None

    def bounds(self) -> str:
        """The accepted range, for messages ("10 to 3600")."""
        return f"{self.low:g} to {self.high:g}"


class Given(Protocol):
    """What a table reads its values from (`Settings`)."""

    def given(self, name: str) -> Any:
        ...


@dataclass(frozen=True)
class Table:
    """A table of the settings file and the settings it holds."""

    name: str
    settings: tuple[Setting, ...] = ()

    def named(self) -> dict[str, Setting]:
        """Setting name (`<table>_<key>`) -> its declaration."""
        return {f"{self.name}_{s.key}": s for s in self.settings}

    def value(self, settings: Given, key: str) -> Any:
        """The setting's value: as given (file, variable, flag), else its default."""
        name = f"{self.name}_{key}"
        given = settings.given(name)
        if given is not None:
            return given
        return self.named()[name].default
