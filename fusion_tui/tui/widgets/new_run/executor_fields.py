"""What a run asks of one executor (a batch scheduler's partition, time limit, CPUs...),
a field per option of its description; shown only while that
executor is chosen. Empty: the template's or the settings' value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from fusion_tui.base.settings import Settings
from fusion_tui.config.templates import Template
from fusion_tui.executors.description import Description
from fusion_tui.tui.widgets.new_run.rows import field_row


class ExecutorFields(Vertical):
    """The option fields of the executor `description` (id `<name>-fields`, each input
    `<name>-<option>`)."""

    def __init__(self, description: Description) -> None:
        super().__init__(id=f"{description.name}-fields", classes="executor-fields")
        self.description = description

    def _input(self, key: str) -> Input:
        return self.query_one(f"#{self.description.name}-{key}", Input)

    def compose(self) -> ComposeResult:
        for option in self.description.fields:
            yield field_row(option.label, Input(placeholder=option.hint, compact=True,
                                                id=f"{self.description.name}-{option.name}"))

    def fill(self, template: Template, settings: Settings) -> None:
        """The template's request, else the settings' default."""
        for option in self.description.fields:
            self._input(option.name).value = option.default(template.executor_options,
                                                            settings)

    def values(self) -> dict[str, str | None]:
        return {o.name: self._input(o.name).value for o in self.description.fields}
