"""What an executor says of itself, for the front ends: its name and what it is, the
options a run may give it (as command-line flags and as the app's form fields), whether
its runs are known only by polling, and how a run's job there is shown (JSON, the run
list's Where column, `show`, the app's detail panel, the line after a submission).

Light on purpose (the standard library and `base` only): the CLI builds its flags from
these at parse time, and the app's first frame fills the Where column, both before the
database layer is imported. Each executor folder has one (`describe.py`), collected in
`descriptions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fusion_tui.base.setting_tables import Setting, Table
from fusion_tui.base.settings import Settings

if TYPE_CHECKING:
    from fusion_tui.store.run_row import AnyRun


@dataclass(frozen=True)
class Option:
    """One option a run may give an executor: `--<name>` (dashes for underscores) on the
    command line unless `flags` says otherwise, and a field of the app's form."""

    name: str  # as `Executor.resolve` takes it
    label: str  # the form field's label
    hint: str  # the form field's placeholder
    setting: str  # the setting that holds its default (one of its executor's table)
    place: int  # the field's place on the form (the flags keep the order given)
    help: str | None = None  # the flag's help
    flags: tuple[str, ...] = ()  # the flag's spellings, when not just `--<name>`
    metavar: str | None = None

    @property
    def spellings(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.name.replace("_", "-"),)

    def default(self, template: Mapping[str, str], settings: Settings) -> str:
        """What the form shows before it is edited: the template's, else the setting."""
        return str(template.get(self.name) or settings.given(self.setting) or "")


@dataclass(frozen=True)
class Seconds:
    """A span of time in a run's job facts, for each front end to write its own way."""

    value: int | None


# One labelled fact of a run's job: text, or a span of time.
Fact = tuple[str, str | Seconds]


@dataclass(frozen=True)
class Description:
    """An executor that keeps nothing of a run's job beyond the run itself (the local one
    as it is); an executor with jobs of its own overrides the job methods."""

    name: str
    title: str  # its name in a sentence or a heading ("Slurm")
    text: str  # what it is, in a line
    choice: str  # what it is, in a few words (the form's executor choice)
    options: tuple[Option, ...] = ()
    polled: bool = False  # its runs reach the store only through `Executor.watch`
    batch: str | None = None  # what one submission of many runs is called on it
    batch_limit: str | None = None  # what a sweep's --array-limit means on it
    job_key: str | None = None  # the key of a run's job facts in JSON
    # Its settings: the settings file's table named like it, `FUSION_TUI_<NAME>_<KEY>`.
    settings: tuple[Setting, ...] = ()

    @property
    def table(self) -> Table:
        return Table(self.name, self.settings)

    @property
    def fields(self) -> tuple[Option, ...]:
        """The options in the form's order."""
        return tuple(sorted(self.options, key=lambda o: o.place))

    def node(self, run: AnyRun) -> str | None:
        """Where the run's job runs, once known."""
        return None

    def where(self, node: str | None) -> str:
        """The run list's Where cell: the executor (one whose jobs run on nodes adds the
        node once there is one)."""
        return self.name

    def job_id(self, run: AnyRun) -> str | None:
        return None

    def job_facts(self, run: AnyRun) -> dict[str, Any] | None:
        """The run's job as last seen, for JSON (times as datetimes); None without one."""
        return None

    def show_lines(self, run: AnyRun) -> list[Fact]:
        """The run's job for `fusion-tui show`, one fact a line."""
        return []

    def panel(self, run: AnyRun, now: datetime, settings: Settings) -> list[Fact]:
        """The run's job for the app's detail panel, two facts a line."""
        return []

    def submitted(self, run: AnyRun) -> str | None:
        """What became of a new run that neither started nor queued ("submitted as ...")."""
        return None

    def batch_submitted(self, run: AnyRun) -> str | None:
        """What became of a new sweep whose first run is `run` ("submitted as ...")."""
        return None
