"""The common fields of a run's configuration (loads, iterations, requests, network, k
paths, allocation), each with its error beside it."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from fusion_tui.base.settings import BUILTIN_SIMULATOR
from fusion_tui.config.templates import SectionDict
from fusion_tui.kinds.registry import kind_for
from fusion_tui.tui.widgets.new_run.rows import error_label, field_row, set_error

FIELDS = (
    ("general_settings", "erlang_start", "Erlang start"),
    ("general_settings", "erlang_stop", "Erlang stop"),
    ("general_settings", "erlang_step", "Erlang step"),
    ("general_settings", "max_iters", "Iterations"),
    ("general_settings", "num_requests", "Requests"),
    ("topology_settings", "network", "Network"),
    ("routing_settings", "k_paths", "k paths"),
    ("general_settings", "allocation_method", "Allocation"),
)

# "[section] key: problem", as the validators word a problem with one value.
_WHERE = re.compile(r"^\[(?P<section>[^\]]+)\] (?P<key>[^:]+): (?P<problem>.*)$")


def field_id(section: str, key: str) -> str:
    return f"{section}--{key}"


class ConfigFields(Vertical):
    def compose(self) -> ComposeResult:
        for section, key, label in FIELDS:
            if key == "allocation_method":
                field: Input | Select[str] = Select[str](
                    [(m, m) for m in kind_for(BUILTIN_SIMULATOR).allocation_methods],
                    id=field_id(section, key), allow_blank=False, compact=True)
            else:
                field = Input(id=field_id(section, key), compact=True)
            yield field_row(label, field)
            yield error_label(f"err-{field_id(section, key)}")

    simulator = BUILTIN_SIMULATOR  # whose configuration the fields show

    def fill(self, sections: SectionDict, simulator: str) -> None:
        """Show `sections`' values, each from where `simulator` keeps it; the allocation
        list is `simulator`'s."""
        self.simulator = simulator
        kind = kind_for(simulator)
        for section, key, _ in FIELDS:
            kept = kind.keeps(section, key)
            value = sections.get(kept[0], {}).get(kept[1], "").strip()
            widget = self.query_one(f"#{field_id(section, key)}")
            if isinstance(widget, Select):
                # The template's own value is always offered: a FUSION method the list
                # lacks must not silently become first_fit.
                choices = list(kind_for(simulator).allocation_methods)
                if value and value not in choices:
                    choices.append(value)
                widget.set_options([(m, m) for m in choices])
                if value:
                    widget.value = value
            elif isinstance(widget, Input):
                widget.value = value

    def values(self, base: SectionDict) -> SectionDict:
        """`base` with the fields' values in it."""
        sections = {name: dict(values) for name, values in base.items()}
        kind = kind_for(self.simulator)
        for section, key, _ in FIELDS:
            widget = self.query_one(f"#{field_id(section, key)}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            kept_section, kept_key = kind.keeps(section, key)
            sections.setdefault(kept_section, {})[kept_key] = \
                str(value) if value is not None else ""
        return sections

    def show_errors(self, problems: dict[tuple[str, str], str]) -> None:
        """Each field's problem beside it (none: the error is hidden)."""
        for section, key, _ in FIELDS:
            set_error(self.query_one(f"#err-{field_id(section, key)}", Label),
                      problems.get((section, key), ""))

    def scroll_to_error(self, message: str) -> None:
        """Bring the field a "[section] key: problem" message names into view, focused."""
        match = _WHERE.match(message)
        if match is None:
            return
        kind = kind_for(self.simulator)
        shown = {kind.keeps(s, k): (s, k) for s, k, _ in FIELDS}
        section, key = shown.get((match["section"], match["key"]),
                                 (match["section"], match["key"]))
        found = self.query(f"#{field_id(section, key)}")
        if found:
            found.first().focus()
            found.first().scroll_visible(animate=False)

    def place(self, message: str) -> bool:
        """Show a "[section] key: problem" message beside its field, if the form has it."""
        match = _WHERE.match(message)
        kind = kind_for(self.simulator)
        shown = {kind.keeps(s, k): (s, k) for s, k, _ in FIELDS}
        if match:
            section, key = shown.get((match["section"], match["key"]),
                                     (match["section"], match["key"]))
            target = self.query(f"#err-{field_id(section, key)}")
            if target:
                set_error(target.first(Label), match["problem"])
                return True
        return False
