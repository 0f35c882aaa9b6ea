"""The form's check of what it holds, by the rules that creating the run applies: each
field on its own, the name, then the whole configuration (which reads files: the
topology, so it runs in a worker, never on a keystroke's thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.config.templates import SectionDict
from fusion_tui.kinds.kind import RunKind
from fusion_tui.kinds.registry import kind_for
from fusion_tui.runs.evidence import load_list
from fusion_tui.runs.naming import check_name
from fusion_tui.tui.widgets.new_run.config_fields import FIELDS


@dataclass(frozen=True)
class FormCheck:
    """Problems found: per field, with the name, with the whole configuration."""

    fields: dict[tuple[str, str], str] = field(default_factory=dict)
    name: str = ""
    whole: str = ""
    # Settings of a valid configuration the simulator is known to crash on (they do not
    # stop the run being made: a later simulator may not crash).
    warnings: tuple[str, ...] = ()
    plan: str = ""  # the loads it will run, as its simulator computes them

    @property
    def ok(self) -> bool:
        return not (self.fields or self.name or self.whole)


def _problem(exc: ConfigError) -> str:
    return str(exc).split(": ", 1)[-1]


def check_form(sections: SectionDict, simulator: str, name: str, runs_dir: Path) -> FormCheck:
    """Field by field first; the whole configuration only once every field and the name
    are right (its first problem is then the one to show)."""
    kind = kind_for(simulator)
    fields: dict[tuple[str, str], str] = {}
    for section, key, _ in FIELDS:
        kept_section, kept_key = kind.keeps(section, key)
        try:
            kind.check_value(kept_section, kept_key, sections[kept_section][kept_key])
        except ConfigError as exc:
            fields[(section, key)] = _problem(exc)
    try:
        check_name(name)
        bad_name = ""
    except ConfigError as exc:
        bad_name = _problem(exc)
    if fields or bad_name:
        return FormCheck(fields, bad_name)
    try:
        kind.validate(sections, runs_dir / "new")
    except ConfigError as exc:
        return FormCheck(whole=str(exc))
    return FormCheck(warnings=tuple(kind.warnings(sections)), plan=plan_text(kind, sections))


def plan_text(kind: RunKind, sections: SectionDict) -> str:
    """`Plan: 300, 600, 900 Erlang x 4 iterations (arrival rate = ...)`."""
    loads = kind.loads(sections)
    iterations = sections["general_settings"]["max_iters"].strip()
    return (f"Plan: {load_list(loads)} Erlang ({len(loads)} load{'s' if len(loads) != 1 else ''}"
            f" x {iterations} iterations; {kind.load_meaning})")
